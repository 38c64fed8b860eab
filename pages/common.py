"""What every page shares: the model list, cached model loading, the sidebar, and the query string."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from attnviz import metrics, plots, search
from attnviz.checkpoint import WEIGHTS, Bundle, ModelError, list_models, load_model
from attnviz.evaluate import paired_gap
from attnviz.tasks import EXAMPLES
from attnviz.trace import Trace

ROOT = Path(__file__).resolve().parent.parent
USER_MODELS = Path(os.environ.get("ATTNVIZ_USER_MODELS", ROOT / "user_models"))  # the Train page saves here
MODEL_DIRS = [ROOT / "models", USER_MODELS]
DEFAULT_MODEL = "de-en-dot"


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


def chart(fig: Any, key: str, where: Any = st) -> None:
    """Every figure goes through here: the camera button in its toolbar saves it in the format chosen in
    the sidebar (a crisp 2x PNG, or SVG), named after the figure."""
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
        st.warning(f"There is no model called {wanted!r} here; showing the default model instead.")
        wanted = None
    default = wanted or (DEFAULT_MODEL if DEFAULT_MODEL in models else names[0])
    if "model" not in st.session_state or st.session_state.model not in models:
        st.session_state.model = default
    name = st.sidebar.selectbox("Model", names, key="model", format_func=lambda n: _describe(n, models))
    beams = [1, 2, 3, 5, 8]
    wanted_beam = _int(st.query_params.get("beam"), 1)
    beam = st.sidebar.select_slider(
        "Decoding",
        options=beams,
        value=wanted_beam if wanted_beam in beams else 1,
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
        st.error(f"Model {name} could not be loaded: {err}")
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
    except (OSError, ValueError, KeyError, TypeError):
        return {"task": "?", "attention": "?"}


def _describe(name: str, models: dict[str, Path]) -> str:
    summary = model_summary(str(models[name]))
    task = TASK_NAMES.get(summary["task"], summary["task"])
    return f"{name} ({task}, {summary['attention']} attention)"


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


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
        max_chars=search.MAX_INPUT_CHARS,
        help="Press Enter to translate.",
    )
    st.query_params["s"] = st.session_state.text
    return st.session_state.text


def alignment_table(trace: Trace) -> None:
    """The attention map's "show as table" fallback: the same weights, a row per target piece."""
    with st.expander("Show as table"):
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
        st.warning(str(err))
        return None
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
        st.warning(str(err))
        return None
    if trace.cut:
        st.warning(
            f"The input is longer than this model's limit of {bundle.config.max_src_len} pieces: "
            f"the last {trace.cut} pieces were cut. Only “{trace.source}” was translated."
        )
    return trace
