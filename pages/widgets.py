"""The widgets the pages share: the sidebar (model picker, decoding, chart format), the sentence and
reference boxes, and the output blocks (one model's column, a trace or the reason there is none).

Choices are kept in plain session-state keys and in the URL, so they survive page changes and links.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from attnviz import checks, metrics, plots, search, tasks
from attnviz.bundle import Bundle
from attnviz.checkpoint import ModelError
from attnviz.recipes import DEFAULT_MODEL
from attnviz.trace import Trace
from pages.lang import _, language_switch
from pages.layout import IMAGE_FORMATS, chart
from pages.loading import available_models, cached_trace, load_bundle, model_summary
from pages.params import url_choice
from pages.routing import through_app_py
from pages.text import md


def sidebar() -> tuple[Bundle | None, int]:
    """The shared sidebar: model picker, decoding and chart format, then the language (last, so the model
    picker stays the sidebar's first box). Reads and writes the query string."""
    through_app_py()
    picked = _model_and_decoding()
    language_switch()
    return picked


def _model_and_decoding() -> tuple[Bundle | None, int]:
    """The model picker, decoding and chart format: the loaded model (None, said why) and the beam size."""
    st.session_state.image_format = st.session_state.get("image_format", "png")  # kept across pages
    models = available_models()
    if not models:
        st.sidebar.error(_("No models found in models/. Train one with `attnviz train --recipe dates-dot`."))
        return None, 1
    names = list(models)
    wanted = st.query_params.get("model")
    if wanted is not None and wanted not in models:
        st.warning(
            md(_("There is no model called “{name}” here; showing the default model instead."), name=wanted)
        )
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
        _("Model"),
        names,
        key="model",
        on_change=lambda: state.update(model_choice=state.model),
        help=_("Models in models/ and user_models/."),
    )
    st.sidebar.caption(md("{}", _describe(name, models)))
    beams = [1, 2, 3, 5, 8]
    if "beam_choice" not in state:
        state.beam_choice = url_choice("beam", beams, 1)
    state.beam = state.beam_choice
    beam = st.sidebar.select_slider(
        _("Decoding"),
        options=beams,
        key="beam",
        on_change=lambda: state.update(beam_choice=state.beam),
        format_func={k: _("greedy") if k == 1 else _("beam {k}").format(k=k) for k in beams}.get,
        help=_("Greedy takes the most probable piece at each step; beam search keeps k hypotheses."),
    )
    st.sidebar.radio(
        _("Chart downloads"),
        list(IMAGE_FORMATS),
        key="image_format",
        format_func=IMAGE_FORMATS.get,
        horizontal=True,
        help=_("What the camera button in each chart's toolbar saves."),
    )
    st.query_params["model"] = name
    st.query_params["beam"] = str(beam)
    try:
        return load_bundle(str(models[name])), beam
    except ModelError as err:
        st.error(md(_("Model “{name}” could not be loaded: {error}"), name=name, error=err))
        return None, beam


def _describe(name: str, models: dict[str, Path]) -> str:
    summary = model_summary(str(models[name]))
    task = tasks.find(summary["task"])
    return _("{task}, {attention} attention").format(
        task=_(task.title) if task else summary["task"], attention=summary["attention"]
    )


def sentence_input(bundle: Bundle) -> str:
    """The sentence box shared by the pages: it survives page changes and lives in the URL."""
    task = tasks.find(bundle.train_config.task) if bundle.train_config else None
    examples = task.examples if task else ()
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
            _("Examples"),
            examples,
            index=None,
            key="example",
            on_change=use_example,
            placeholder=_("Pick an example"),
        )
    st.text_input(
        _("Sentence"),
        key="sentence",
        on_change=keep,
        # No max_chars: its "160/2000" counter is drawn over the end of the text. search checks the limit.
        help=_("Press Enter to translate. At most {limit:,} characters.").format(
            limit=search.MAX_INPUT_CHARS
        ),
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
    with st.expander(_("Show as table")):
        table = trace.to_frame().pivot(index="step", columns="source_index", values="weight")
        table.index = [f"{t + 1}: {p}" for t, p in enumerate(trace.target_pieces)]
        table.columns = [f"{s}: {p}" for s, p in enumerate(trace.source_pieces)]
        st.dataframe(table.style.format("{:.4f}"))


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
                _(
                    "The input is longer than this model's limit of {limit} pieces: the last {cut} pieces "
                    "were cut. Only “{kept}” was translated."
                ),
                limit=len(trace.source_pieces),
                cut=trace.cut,
                kept=trace.source,
            )
        )
    st.code(trace.translation or _("(empty)"), language=None, wrap_lines=True)
    if reference.strip():
        st.caption(
            f"BLEU {metrics.bleu([trace.translation], [reference]):.1f} · "
            f"chrF {metrics.chrf([trace.translation], [reference]):.1f}"
        )
    if trace.weights.shape[1] == 0:
        st.info(_("No attention: one fixed latent vector for the whole sentence."))
    else:
        chart(plots.alignment_heatmap(trace, compact=True), key=f"map-{path.name}")
        alignment_table(trace)
    return trace


def trace_or_message(bundle: Bundle, text: str, beam: int) -> Trace | None:
    """The trace for `text`, or None after telling the user, kindly, why there is none."""
    if not text.strip():
        st.info(_("Type a sentence above (or pick an example) and press Enter."))
        return None
    try:
        trace = cached_trace(str(bundle.path), text, beam)
    except search.InputError as err:
        st.warning(md("{}", err))
        return None
    if trace.cut:
        st.warning(
            md(
                _(
                    "The input is longer than this model's limit of {limit} pieces: the last {cut} pieces "
                    "were cut. Only “{kept}” was translated."
                ),
                limit=bundle.config.max_src_len,
                cut=trace.cut,
                kept=trace.source,
            )
        )
    # Unknown pieces, a foreign script, input unlike any training input; the model's own confidence.
    findings = checks.check(bundle, trace, text)
    if findings.warnings:
        st.warning("\n\n".join(md(m.template, **m.values) for m in findings.warnings))
    for note in findings.notes:
        st.caption(md(note.template, **note.values))
    return trace
