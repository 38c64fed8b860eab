"""What every page shares: the model list, cached model loading, the sidebar, and the query string."""

from __future__ import annotations

import json
import os
import re
import string
import unicodedata
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from attnviz import checks, metrics, plots, search
from attnviz.checkpoint import WEIGHTS, Bundle, ModelError, list_models, load_model
from attnviz.evaluate import paired_gap
from attnviz.tasks import EXAMPLES
from attnviz.trace import Trace
from pages.params import url_choice

ROOT = Path(__file__).resolve().parent.parent
USER_MODELS = Path(os.environ.get("ATTNVIZ_USER_MODELS", ROOT / "user_models"))  # the Train page saves here
MODEL_DIRS = [ROOT / "models", USER_MODELS]
DEFAULT_MODEL = "de-en-dot"


_MARKDOWN_SPECIAL = frozenset(string.punctuation)  # CommonMark lets a backslash escape any of these
_WORD_JOINER = "\u2060"  # invisible and zero-width: it splits what Streamlit would match in plain text
# Streamlit rewrites some patterns in the text *after* Markdown's escapes are resolved, so a backslash
# cannot stop them: bare URLs and e-mail addresses become links (GFM autolinks), :smile: and :streamlit:
# become an emoji or an <img>, and " -> ", " <= ", " -- " ... become arrows and dashes. A word joiner
# inside each such pattern breaks the match and leaves the text looking the same.
_BROKEN_UP = [
    (re.compile(r"[:@]"), lambda m: m[0] + _WORD_JOINER),  # https:, mailto:, :smile:, me@example
    (re.compile(r"(?i)(?<=www)(?=\.)"), lambda m: _WORD_JOINER),  # www.example.com
    (re.compile(r"(?<=[<>~-])(?=[<>=-])"), lambda m: _WORD_JOINER),  # -> <- <-> -- >= <= ~=
]


def literal(text: object) -> str:
    """`text` escaped so that Streamlit's Markdown shows it as typed: no link (bare URLs included),
    image, emphasis, LaTeX ($), colour (:red[...]), emoji or icon (:smile:), heading, arrow or HTML.
    Every character of ASCII punctuation gets a backslash, which CommonMark defines as that character
    itself; newlines become spaces so a value cannot start a block of its own; a word joiner (U+2060,
    invisible) breaks the patterns Streamlit replaces after escapes are gone (see `_BROKEN_UP`)."""
    text = " ".join(str(text).splitlines())
    for pattern, insert in _BROKEN_UP:
        text = pattern.sub(insert, text)
    return "".join("\\" + c if c in _MARKDOWN_SPECIAL else c for c in text)


def md(template: str, *args: object, **values: object) -> str:
    """A message for st.warning / st.info / st.markdown ...: the template is ours (it may use Markdown),
    every value put into it is shown literally (see `literal`). Use it for any text a user controls:
    sentences, file names, model names, URL parameters, lines quoted from an upload. Numbers stay numbers,
    so `{:.2f}` works; `{!r}` would quote the escaped text - write the quotes in the template instead."""

    def safe(value: object) -> object:
        return value if isinstance(value, int | float) else literal(value)

    return template.format(*(safe(a) for a in args), **{k: safe(v) for k, v in values.items()})


def available_models() -> dict[str, Path]:
    """Model name -> directory; shipped models first, then the user's own."""
    found: dict[str, Path] = {}
    for root in MODEL_DIRS:
        for path in list_models(root):
            found.setdefault(path.name, path)
    return found


def _stamp(path: str) -> int:
    """When the model's weights were written: a model retrained under the same name is a new model."""
    try:
        return (Path(path) / WEIGHTS).stat().st_mtime_ns
    except OSError:
        return 0


@st.cache_resource(show_spinner="Loading the model...", max_entries=32)
def _load_bundle(path: str, stamp: int) -> Bundle:
    return load_model(Path(path))


def load_bundle(path: str) -> Bundle:
    """One copy per server process (and weights file), shared read-only by every session."""
    return _load_bundle(path, _stamp(path))


@st.cache_data(max_entries=256, show_spinner=False)
def _cached_trace(path: str, stamp: int, text: str, beam: int) -> Trace:
    return search.translate(_load_bundle(path, stamp), text, beam=beam)


def cached_trace(path: str, text: str, beam: int) -> Trace:
    return _cached_trace(path, _stamp(path), text, beam)


@st.cache_data(max_entries=64, show_spinner=False)
def _cached_force(path: str, stamp: int, text: str, reference: str) -> Trace:
    return search.force(_load_bundle(path, stamp), text, reference)


def cached_force(path: str, text: str, reference: str) -> Trace:
    """search.force (the model writing a given translation), once per server and model."""
    return _cached_force(path, _stamp(path), text, reference)


@st.cache_data(max_entries=8, show_spinner="Decoding the test sentences with both models...")
def _cached_paired_gap(first: str, first_stamp: int, second: str, second_stamp: int, beam: int) -> dict:
    return paired_gap(_load_bundle(first, first_stamp), _load_bundle(second, second_stamp), beam=beam)


def cached_paired_gap(first: str, second: str, beam: int) -> dict:
    """evaluate.paired_gap of two models, once per server (and weights files, and beam)."""
    return _cached_paired_gap(first, _stamp(first), second, _stamp(second), beam)


def _through_app_py() -> None:
    """Make sure the page runs inside app.py's navigation.

    When the first request a fresh server gets is a deep link (/step?...), Streamlit runs the page file on
    its own, in its old `pages/` directory mode, and keeps doing so for every session until app.py has
    called st.navigation once. Leave that mode and run again: app.py then routes to the same page.
    (PagesManager.uses_pages_directory is Streamlit's own switch; st.navigation sets it the same way.)
    """
    if PagesManager.uses_pages_directory and not st.session_state.get("_routed"):
        # Once per session: AppTest turns the switch back on before each of its runs, and a rerun
        # would drop the click that started that run.
        st.session_state._routed = True
        PagesManager.uses_pages_directory = False
        st.rerun()


IMAGE_FORMATS = {"png": "PNG", "svg": "SVG"}


# Always: a formula wider than the page scrolls sideways instead of being cut off, and on a narrow
# screen (a projector's 1024 px) the sidebar takes less of the width.
PAGE_CSS = """<style>
.katex-display { overflow-x: auto; overflow-y: hidden; padding: 0.2rem 0; }
@media (max-width: 1100px) {
  section[data-testid="stSidebar"][aria-expanded="true"] {
    width: 15rem !important; min-width: 15rem !important;
  }
}
</style>"""
# Presentation mode: larger type everywhere (Streamlit sizes its text in rem) and in every chart.
PRESENT_CSS = """<style>
html { font-size: 20px; }
.katex { font-size: 1.3em; }
</style>"""
PRESENT_FONT = 18  # px, chart text in presentation mode (tick labels one size below)


def presenting() -> bool:
    """Whether presentation mode is on: the sidebar switch, or present=1 in the URL."""
    if "present" in st.session_state:
        return bool(st.session_state.present)
    return st.query_params.get("present") == "1"


def presentation_switch() -> bool:
    """The sidebar's presentation switch (app.py draws it on every page) and the page-wide styles."""
    st.session_state.present = presenting()
    on = st.sidebar.toggle(
        "Presentation mode",
        key="present",
        help="Larger type for a projector; the sidebar starts collapsed (open it again with the arrow "
        "at the top left). The link keeps it: present=1.",
    )
    if on:
        st.query_params["present"] = "1"
    else:
        st.query_params.pop("present", None)
    st.html(PAGE_CSS + (PRESENT_CSS if on else ""))
    return on


def chart(fig: Any, key: str, where: Any = st) -> None:
    """Every figure goes through here: the camera button in its toolbar saves it in the format chosen in
    the sidebar (a crisp 2x PNG, or SVG), named after the figure; in presentation mode its type is larger."""
    if presenting():
        fig.update_layout(font={"size": PRESENT_FONT})
        fig.update_xaxes(tickfont={"size": PRESENT_FONT - 2}, title_font={"size": PRESENT_FONT})
        fig.update_yaxes(tickfont={"size": PRESENT_FONT - 2}, title_font={"size": PRESENT_FONT})
    fmt = st.session_state.get("image_format", "png")
    options = {"format": fmt, "filename": f"attnviz-{key}", "scale": 2 if fmt == "png" else 1}
    where.plotly_chart(
        fig, key=key, width="stretch", config={"toImageButtonOptions": options, "displaylogo": False}
    )


def sidebar() -> tuple[Bundle | None, int]:
    """The shared sidebar: model picker and decoding. Reads and writes the query string."""
    _through_app_py()
    st.session_state.image_format = st.session_state.get("image_format", "png")  # kept across pages
    models = available_models()
    if not models:
        st.sidebar.error("No models found in models/. Train one with `attnviz train --recipe dates-dot`.")
        return None, 1
    names = list(models)
    wanted = st.query_params.get("model")
    if wanted is not None and wanted not in models:
        st.warning(md("There is no model called “{}” here; showing the default model instead.", wanted))
        wanted = None
    default = wanted or (DEFAULT_MODEL if DEFAULT_MODEL in models else names[0])
    # The choices live under plain keys, copied into the widgets on every run: Streamlit drops a widget's
    # state when another page draws "the same" widget, and the URL's parameters go on a page change, so
    # without this every other page change went back to the default model and to greedy decoding.
    state = st.session_state
    if state.get("model_choice") not in models:
        state.model_choice = default
    state.model = state.model_choice
    # The picker shows bare names, which fit the sidebar; what each model is sits right below it.
    name = st.sidebar.selectbox(
        "Model",
        names,
        key="model",
        on_change=lambda: state.update(model_choice=state.model),
        help="Models in models/ and user_models/.",
    )
    st.sidebar.caption(md("{}", _describe(name, models)))
    beams = [1, 2, 3, 5, 8]
    if "beam_choice" not in state:
        state.beam_choice = url_choice("beam", beams, 1)
    state.beam = state.beam_choice
    beam = st.sidebar.select_slider(
        "Decoding",
        options=beams,
        key="beam",
        on_change=lambda: state.update(beam_choice=state.beam),
        format_func=lambda k: "greedy" if k == 1 else f"beam {k}",
        help="Greedy takes the most probable piece at each step; beam search keeps k hypotheses.",
    )
    st.sidebar.radio(
        "Chart downloads",
        list(IMAGE_FORMATS),
        key="image_format",
        format_func=IMAGE_FORMATS.get,
        horizontal=True,
        help="What the camera button in each chart's toolbar saves.",
    )
    st.query_params["model"] = name
    st.query_params["beam"] = str(beam)
    try:
        return load_bundle(str(models[name])), beam
    except ModelError as err:
        st.error(md("Model “{}” could not be loaded: {}", name, err))
        return None, beam


TASK_NAMES = {"dates": "dates", "reverse": "reverse", "de-en": "German→English", "g2p": "spelling→sounds"}


def model_summary(path: str) -> dict[str, str]:
    """Task and attention function of a model directory, read from its config without loading it."""
    return _model_summary(path, _stamp(path))


@st.cache_data(show_spinner=False)
def _model_summary(path: str, stamp: int) -> dict[str, str]:
    try:
        saved = json.loads((Path(path) / "config.json").read_text(encoding="utf-8"))
        return {"task": (saved.get("train") or {}).get("task", "?"), "attention": saved["model"]["attention"]}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):  # e.g. "train": "oops"
        return {"task": "?", "attention": "?"}


def _describe(name: str, models: dict[str, Path]) -> str:
    summary = model_summary(str(models[name]))
    task = TASK_NAMES.get(summary["task"], summary["task"])
    return f"{task}, {summary['attention']} attention"


def sentence_input(bundle: Bundle) -> str:
    """The sentence box shared by the pages: it survives page changes and lives in the URL."""
    task = bundle.train_config.task if bundle.train_config else ""
    examples = EXAMPLES.get(task, ())
    if "text" not in st.session_state:
        st.session_state.text = st.query_params.get("s", examples[0] if examples else "")
    # Widget state is dropped when a page stops drawing the widget, so a plain key carries the text.
    st.session_state.sentence = st.session_state.text

    def keep() -> None:
        st.session_state.text = st.session_state.sentence
        if "example" in st.session_state:  # the box no longer shows the example: say so
            st.session_state.example = None

    def use_example() -> None:
        if st.session_state.example:
            st.session_state.text = st.session_state.example

    if examples:
        st.selectbox(
            "Examples",
            examples,
            index=None,
            key="example",
            on_change=use_example,
            placeholder="Pick an example",
        )
    st.text_input(
        "Sentence",
        key="sentence",
        on_change=keep,
        # No max_chars: its "160/2000" counter is drawn over the end of the text. search checks the limit.
        help=f"Press Enter to translate. At most {search.MAX_INPUT_CHARS:,} characters.",
    )
    # Streamlit draws "Press Enter to apply" inside the box, over the end of a long sentence: the text
    # stops short of it instead.
    st.html("<style>.st-key-sentence input { padding-right: 9.5rem; }</style>")
    st.query_params["s"] = st.session_state.text
    return st.session_state.text


def reference_input(label: str, help: str | None = None) -> str:
    """The reference-translation box (Translate's forced decoding, Compare's scores): one text for both
    pages, kept across page changes and in the URL as ref=."""
    if "ref_text" not in st.session_state:
        st.session_state.ref_text = st.query_params.get("ref", "")[: search.MAX_INPUT_CHARS]
    st.session_state.reference = st.session_state.ref_text  # widget state is dropped between pages

    def keep() -> None:
        st.session_state.ref_text = st.session_state.reference

    reference = st.text_input(label, key="reference", on_change=keep, help=help)
    if reference:
        st.query_params["ref"] = reference
    else:
        st.query_params.pop("ref", None)
    return reference


def alignment_table(trace: Trace) -> None:
    """The attention map's "show as table" fallback: the same weights, a row per target piece."""
    with st.expander("Show as table"):
        table = trace.to_frame().pivot(index="step", columns="source_index", values="weight")
        table.index = [f"{t + 1}: {p}" for t, p in enumerate(trace.target_pieces)]
        table.columns = [f"{s}: {p}" for s, p in enumerate(trace.source_pieces)]
        st.dataframe(table.style.format("{:.4f}"))


def slug(text: str, limit: int = 40) -> str:
    """`text` as a safe piece of a file name: ASCII letters, digits and single dashes, at most `limit`
    characters, never empty (no path separators, no dots, nothing a file system or a shell reads)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cut = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-")[:limit].strip("-")
    return cut.lower() or "sentence"


def download_name(trace: Trace, ext: str) -> str:
    """What a download of this trace is called: attnviz-<model>-<sentence>.<ext>."""
    return f"attnviz-{slug(trace.model)}-{slug(trace.source)}.{ext}"


def pharaoh_file(trace: Trace) -> str:
    """The alignment file: a header of comment lines naming the model and the pieces the indices count
    (from 0), then the plain Pharaoh line "i-j ..." (source piece i, target piece j) that tools read."""

    def pieces(labels: tuple[str, ...]) -> str:
        return " ".join(f"{i}:{' '.join(p.split()) or '_'}" for i, p in enumerate(labels))

    head = [
        "# attnviz alignment, Pharaoh format: i-j = source piece i aligned to target piece j (argmax)",
        f"# model: {trace.model} ({trace.attention} attention)",
        f"# source: {' '.join(trace.source.split())}",
        f"# source pieces: {pieces(trace.source_pieces)}",
        f"# target pieces: {pieces(trace.target_pieces)}",
    ]
    return "\n".join(head) + "\n" + trace.pharaoh() + "\n"


def model_column(path: Path, text: str, beam: int, reference: str = "") -> Trace | None:
    """One model's answer in a column beside others: its translation (scored against `reference` when
    one is given) and a compact attention map, or a note that it has none. One model's failure is shown
    in its column and does not hide the others."""
    try:
        trace = cached_trace(str(path), text, beam)
    except Exception as err:  # noqa: BLE001
        st.warning(md("{}", err))
        return None
    if trace.cut:  # as trace_or_message says it: the model read only the first max_src_len pieces
        st.warning(
            md(
                "The input is longer than this model's limit of {} pieces: the last {} pieces were cut. "
                "Only “{}” was translated.",
                len(trace.source_pieces),
                trace.cut,
                trace.source,
            )
        )
    st.code(trace.translation or "(empty)", language=None, wrap_lines=True)
    if reference.strip():
        st.caption(
            f"BLEU {metrics.bleu([trace.translation], [reference]):.1f} · "
            f"chrF {metrics.chrf([trace.translation], [reference]):.1f}"
        )
    if trace.weights.shape[1] == 0:
        st.info("No attention: one fixed latent vector for the whole sentence.")
    else:
        chart(plots.alignment_heatmap(trace, compact=True), key=f"map-{path.name}")
        alignment_table(trace)
    return trace


def trace_or_message(bundle: Bundle, text: str, beam: int) -> Trace | None:
    """The trace for `text`, or None after telling the user, kindly, why there is none."""
    if not text.strip():
        st.info("Type a sentence above (or pick an example) and press Enter.")
        return None
    try:
        trace = cached_trace(str(bundle.path), text, beam)
    except search.InputError as err:
        st.warning(md("{}", err))
        return None
    if trace.cut:
        st.warning(
            f"The input is longer than this model's limit of {bundle.config.max_src_len} pieces: "
            + md("the last {} pieces were cut. Only “{}” was translated.", trace.cut, trace.source)
        )
    # Unknown pieces, a foreign script, input unlike any training input; the model's own confidence.
    findings = checks.check(bundle, trace, text)
    if findings.warnings:
        st.warning("\n\n".join(md(m.template, *m.values) for m in findings.warnings))
    for note in findings.notes:
        st.caption(md(note.template, *note.values))
    return trace
