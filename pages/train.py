"""Train: train a model in the server's background and watch its attention learn to align, epoch by epoch."""

import time

import streamlit as st

from attnviz import jobs, plots, tasks, watch
from attnviz.config import ATTENTIONS, SIZES, ConfigError, TrainConfig, resolve
from attnviz.i18n import N_
from attnviz.search import InputError, check_sentence
from attnviz.tasks import DataError, Pair, load_task, missing_data
from attnviz.tasks.tsv import MAX_TSV_BYTES, read_tsv
from pages import lang
from pages.lang import _, ngettext
from pages.layout import chart
from pages.loading import USER_MODELS, available_models
from pages.text import md
from pages.widgets import alignment_table, sidebar

FORM_DEFAULTS = {
    "data_source": "Built-in task",
    "task": jobs.DEFAULTS["task"],
    "attention": jobs.DEFAULTS["attention"],
    "size": jobs.DEFAULTS["size"],
    "epochs": jobs.DEFAULTS["epochs"],
    "budget": jobs.DEFAULTS["minutes"],
}
# While a job runs its view is redrawn this often. Every redraw costs each watching browser ~0.1 CPU
# second whatever it changes (Streamlit's frontend re-renders the page, plotly lays the loss chart out
# again), so the progress line and the charts share one timer (bench/RESULTS.md, issue 13 item 1).
LIVE_EVERY_S = 5.0
ATTENTION_HELP = {  # marked with N_, translated where the picker is drawn
    "dot": N_("dot: score = s·h (Luong)"),
    "general": N_("general: score = s·W h (Luong)"),
    "concat": N_("concat: score = v·tanh(W[s; h]) (Bahdanau)"),
    "scaled_dot": N_("scaled dot: score = s·h / √d"),
    "none": N_("none: no attention, the bottleneck"),
}
DATA_SOURCES = {"Built-in task": N_("Built-in task"), "Upload a corpus": N_("Upload a corpus")}
JOB_STATES = {  # a job's state (jobs.Job.state) in words
    "starting": N_("starting"),
    "preparing": N_("preparing"),
    "running": N_("running"),
    "evaluating": N_("evaluating"),
    "done": N_("done"),
    "cancelled": N_("cancelled"),
    "failed": N_("failed"),
}


def state_text(state: str) -> str:
    """A job's state in the session's language; a state this page does not know, as it is."""
    return _(JOB_STATES[state]) if state in JOB_STATES else state


@st.cache_resource
def runner() -> jobs.Runner:
    """The server's one training slot, shared by every session."""
    return jobs.Runner(USER_MODELS)


@st.cache_data(show_spinner=_("Preparing the data..."), max_entries=8)
def dev_pairs(task: str, path: str | None = None) -> list[Pair]:
    corpus = load_task(task, seed=TrainConfig().data_seed, path=path)
    return list(corpus.dev[:200])


@st.cache_data(show_spinner=_("Checking the file..."), max_entries=4)
def check_upload(data: bytes, language: str) -> watch.UploadReport:
    """read_tsv's report, once per file content and language (`language`, lang.current(), keys the cache:
    the report's table has headers in it): the page reruns on every widget change."""
    return watch.upload_report(*read_tsv(data))


@st.cache_data(show_spinner=_("Preparing the data..."), max_entries=4)
def upload_dev_pairs(data: bytes) -> list[Pair]:
    return jobs.upload_dev_pairs(data, TrainConfig().data_seed)


def upload_corpus() -> tuple[bytes | None, list[Pair]]:
    """The upload widget and its report; returns the checked file's bytes and dev pairs, or (None, [])."""
    st.caption(
        _(
            "UTF-8 text, one `source<TAB>target` pair per line, at most {mb:g} MB. Every line is checked "
            "before training; bad lines are skipped and listed."
        ).format(mb=MAX_TSV_BYTES / 1e6)
    )
    file = st.file_uploader(_("Corpus (TSV)"), type=["tsv", "txt"], key="upload")
    if file is None:
        return None, []
    data = file.getvalue()
    try:
        report = check_upload(data, lang.current())
    except DataError as err:
        st.error(md("{}: {}", file.name, err))
        return None, []
    st.success(md(_("{name}: {summary}"), name=file.name, summary=report.summary))
    if report.rejected:
        st.markdown(report.table_title)
        st.table(report.first_rejected)
    try:  # the file itself is saved only when a job on it starts (Runner.start)
        return data, upload_dev_pairs(data)
    except DataError as err:
        st.error(md("{}", err))
        return None, []


def new_job_form(slot: jobs.Runner, waiting: set[str]) -> None:
    st.subheader(_("Start a training run"))
    sources = {value: _(label) for value, label in DATA_SOURCES.items()}  # written out in this run's language
    source = st.radio(_("Data"), list(sources), horizontal=True, key="data_source", format_func=sources.get)
    if source == "Built-in task":
        names = [t.name for t in tasks.built_in()]
        shown = {
            t: (_("{task} ({title}) - not installed") if missing_data(t) else _("{task} ({title})")).format(
                task=t, title=_(tasks.get(t).title)
            )
            for t in names
        }
        task = st.selectbox(_("Task"), names, key="task", format_func=shown.get)
        upload = None
        if missing := missing_data(task):  # said before anything is clicked, with the command
            st.info(missing)
            return
        try:
            dev = dev_pairs(task)
        except DataError as err:
            st.error(md("{}", err))
            return
    else:
        task = tasks.for_uploads().name
        upload, dev = upload_corpus()
        if upload is None:
            return
    c1, c2 = st.columns(2)
    helps = {a: _(ATTENTION_HELP[a]) for a in ATTENTIONS}
    attention = c1.selectbox(_("Attention"), ATTENTIONS, key="attention", format_func=helps.get)
    size = c2.select_slider(_("Model size"), list(SIZES), key="size")
    c1, c2 = st.columns(2)
    epochs = c1.number_input(_("At most this many epochs"), 1, 100, key="epochs")
    budget = c2.number_input(
        _("At most this many minutes"),
        0.5,
        60.0,
        step=0.5,
        key="budget",
        help=_(
            "Counted from when the trainer starts: preparing the data, then training, stopped within one "
            "batch. Scoring the epoch so far and then the test split come after, each with its own progress."
        ),
    )
    default_probe = dev[0].source if dev else ""
    probe_text = st.text_input(
        _("Probe sentence, traced as training goes"),
        default_probe,
        key=f"probe-{task}",
        help=_("The default is the first sentence of the dev set; type your own if you like."),
    )
    by_source = {p.source: p for p in dev}
    probe = by_source.get(probe_text, Pair(probe_text, ""))
    if probe.target:
        st.caption(md(_("From the dev set; reference: “{reference}”."), reference=probe.target))
    taken = set(available_models())
    name = st.text_input(_("Save the model as"), watch.free_name(f"{task}-{attention}", taken | waiting))
    problem = jobs.check_name(name, taken, waiting)
    try:
        check_sentence(probe_text)
    except InputError as err:
        problem = problem or _("Probe sentence: {error}").format(error=err)
    if problem:
        st.warning(md("{}", problem))
    if st.button(_("Start training"), type="primary", disabled=problem is not None):
        try:
            cfg = resolve(task, attention=attention, size=size, epochs=int(epochs), max_minutes=float(budget))
            job = slot.start(cfg, name=name, probe=probe, upload=upload)
        except (ConfigError, jobs.Busy) as err:
            st.error(md("{}", err))
            return
        st.query_params["job"] = st.session_state.my_job = job.id
        st.rerun()


def history_view(job: jobs.Job) -> None:
    """The probe's attention at every snapshot: a slider, following the newest while training."""
    snaps = list(job.snapshots)
    if not snaps:
        return
    st.markdown(md(_("**The probe sentence over training:** “{probe}”"), probe=job.probe.source))
    if snaps[-1].trace.weights.shape[1] == 0:
        st.info(_("This model has no attention, so there is no alignment to watch: see the loss instead."))
        return
    # A slider whose options grow under it (a new snapshot every few seconds) can send a stale value back
    # as if the user had moved it. So the slider only ever has a fixed list: while following a running
    # job the page shows the newest without one; otherwise the list is frozen when following stopped.
    follow_key, frozen_key = f"follow-{job.id}", f"frozen-{job.id}"
    # The default goes in value=, not in st.session_state: a widget pre-set through session state can be
    # sent back with the frontend's own default (False) by a fragment rerun, turning following off.
    follow = st.toggle(_("Follow the newest"), value=True, key=follow_key)
    if follow:
        st.session_state.pop(frozen_key, None)
    else:
        snaps = snaps[: st.session_state.setdefault(frozen_key, len(snaps))]
    newer = len(job.snapshots) - len(snaps)
    c1, c2 = st.columns([4, 1])
    if follow and job.running:
        chosen = len(snaps) - 1
        c1.caption(
            _("Snapshot {n}: the newest. Turn off following to look back at earlier ones.").format(
                n=len(snaps)
            )
        )
    else:
        labels = [watch.epoch_label(s.epoch) for s in snaps]  # written out in this run's language
        chosen = c1.select_slider(
            _("Snapshot"),
            options=list(range(len(snaps))),
            value=len(snaps) - 1,
            key=f"snap-{job.id}-{len(snaps)}",
            format_func=labels.__getitem__,
            disabled=len(snaps) < 2,
        )
        if newer:
            c1.caption(
                ngettext(
                    "{n} newer snapshot since: turn on following to see them.",
                    "{n} newer snapshots since: turn on following to see them.",
                    newer,
                ).format(n=newer)
            )
    replay = c2.button(_("▶ Replay"), key=f"replay-{job.id}", disabled=len(snaps) < 2)
    view = st.empty()
    for i in range(len(snaps)) if replay else [chosen]:
        with view.container():
            draw_snapshot(snaps[i], job.probe, i)
        if replay:
            time.sleep(0.6)


def draw_snapshot(snap: jobs.Snapshot, probe: Pair, i: int) -> None:
    trace = snap.trace
    said = trace.translation or _("(empty)")
    if probe.target:
        same = trace.translation == probe.target
        verdict = (
            _("{translation} ✓ equals the reference") if same else _("{translation} ✗ not the reference yet")
        )
        said = verdict.format(translation=said)
    label = watch.epoch_label(snap.epoch)
    st.markdown(_("{epoch}: the model says").format(epoch=label[:1].upper() + label[1:]))
    st.code(said, language=None)
    figure = plots.alignment_heatmap(trace, gold=snap.gold, title=watch.epoch_label(snap.epoch))
    chart(figure, key=f"snapfig{i}")
    alignment_table(trace)
    if probe.links:
        if snap.gold is not None:
            st.caption(_("Open squares: the gold alignment (links the task generator knows)."))
        else:
            st.caption(_("Gold links are drawn once the model's output equals the reference."))


def job_status(job: jobs.Job, owner: bool) -> None:
    """The job's name, what it does now, and Cancel."""
    st.markdown(
        md(
            _("**{name}** - {task}, {attention} attention, {hidden} hidden units · {state}"),
            name=job.name,
            task=job.cfg.task,
            attention=job.cfg.model.attention,
            hidden=job.cfg.model.hidden,
            state=state_text(job.state),
        )
    )
    if (line := watch.status(job, time.time())) is not None:
        st.progress(line.fraction, text=line.text)
    if job.running and job.state != "evaluating" and owner:
        st.button(_("Cancel"), on_click=job.cancel, disabled=job.cancelling, key=f"cancel-{job.id}")


def job_charts(job: jobs.Job) -> None:
    """The loss curves and the probe's history."""
    history = list(job.history)  # one copy for the chart and the table: the job grows as it is read
    if (curves := watch.curves(job.losses, history)) is not None:
        chart(plots.training_chart(curves.losses, curves.dev, curves.metric), key="curves")
    if history:
        with st.expander(_("Show as table")):
            st.dataframe(watch.history_table(history), hide_index=True)
    history_view(job)


def job_view(job: jobs.Job, owner: bool) -> None:
    """Everything about one job, and how it ended."""
    job_status(job, owner)
    job_charts(job)
    if job.state == "failed":
        st.error(md(_("Training failed: {message}"), message=job.message))
    elif job.state == "cancelled" and job.saved is None:
        st.warning(md(_("Cancelled: {message}."), message=job.message))
    elif job.saved is not None:
        # job.message is ours here ("stopped: time budget"), shown as it is; the name is the user's
        template = _(
            "Saved as **{name}** ({how}). It is now in the model picker of every page; its test "
            "metrics are on the Models page."
        )
        st.success(md(template.replace("{how}", job.message), name=job.name))


sidebar()
slot = runner()
# Streamlit forgets a widget's value in any run that does not draw it, and the form is hidden while a job
# runs: writing each value back keeps the user's settings for the next run (so no widget has a default).
for key, default in FORM_DEFAULTS.items():
    st.session_state[key] = st.session_state.get(key, default)
st.title(_("Train a model"))
st.markdown(
    _(
        "Train a small encoder-decoder here and watch its attention learn to align - with **no alignment "
        "supervision**: the model is only ever shown sentence pairs. Training runs on the server, so you can "
        "refresh or close this tab; one run at a time per server."
    )
)
job = slot.job
asked = st.query_params.get("job")
if asked and (job is None or (job.id != asked and not job.running)):
    # A run from before a restart of the server, or one that ended since: its folder tells how.
    job = slot.find(asked) or job
    if job is None or job.id != asked:
        st.info(md(_("The run in this page's address ({job}) is no longer on this server."), job=asked))
# The job's starter may cancel it: found by the id in the URL (a refreshed tab) or in the session (a tab
# that went to another page and came back).
owner = job is not None and job.id in (st.query_params.get("job"), st.session_state.get("my_job"))
if owner:
    st.query_params["job"] = st.session_state.my_job = job.id
if job is not None and job.running:
    if not owner:
        st.info(
            md(
                _("The server is training **{name}** for someone; you can watch. One run at a time."),
                name=job.name,
            )
        )

    @st.fragment(run_every=LIVE_EVERY_S)
    def live() -> None:
        if slot.job is not job or not job.running:
            st.rerun()  # finished: redraw the whole page, with the form
        job_view(job, owner)

    live()
else:
    if outcome := st.session_state.pop("kept", None):  # what Keep or Discard did
        (st.success if outcome.ok else st.error)(md("{}", outcome.message))
    interrupted = slot.interrupted()
    for staged in interrupted:
        st.warning(
            md(
                _("A run of **{name}** was interrupted (its process stopped); its last checkpoint is kept."),
                name=staged.name,
            )
        )
        c1, c2 = st.columns(2)
        if c1.button(_("Keep it among my models"), key=f"keep-{staged.name}"):
            with st.spinner(_("Scoring it on the test set...")):
                st.session_state.kept = slot.keep(staged)  # said after the rerun below
            st.rerun()
        if c2.button(_("Discard it"), key=f"discard-{staged.name}"):
            st.session_state.kept = jobs.discard(staged)
            st.rerun()
    if job is not None:
        with st.expander(
            md(_("Last run: {name} ({state})"), name=job.name, state=state_text(job.state)), expanded=owner
        ):
            job_view(job, owner)
    new_job_form(slot, {p.name for p in interrupted})
