"""Where models come from and what is computed from them once per server: model discovery, and the
st.cache_resource / st.cache_data wrappers around loading, decoding and the paired test.

Every cache key carries the weights file's modification time, so a model retrained under the same name
is loaded and decoded afresh.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from attnviz import checkpoint, explore, search
from attnviz.bundle import Bundle
from attnviz.checkpoint import WEIGHTS, ModelError, list_models, load_model
from attnviz.evaluate import GoldSplit, gold_split, load_test_split, paired_gap
from attnviz.explore import Row
from attnviz.tasks import DataError
from attnviz.trace import Trace
from pages.text import md

ROOT = Path(__file__).resolve().parent.parent
USER_MODELS = Path(os.environ.get("ATTNVIZ_USER_MODELS", ROOT / "user_models"))  # the Train page saves here
MODEL_DIRS = [ROOT / "models", USER_MODELS]


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


def load_all(models: dict[str, Path]) -> dict[str, Bundle]:
    """Every model of `models` that loads; a damaged one (a user's upload, a half-copied directory) is
    named on the page with its reason, and the rest of the page goes on without it."""
    bundles = {}
    for name, path in models.items():
        try:
            bundles[name] = load_bundle(str(path))
        except ModelError as err:
            st.warning(md("{}: could not be loaded: {}", name, err))
    return bundles


def load_bundle(path: str) -> Bundle:
    """One copy per server process (and weights file), shared read-only by every session."""
    return _load_bundle(path, _stamp(path))


@st.cache_data(max_entries=256, show_spinner=False)
def _cached_trace(path: str, stamp: int, text: str, beam: int) -> Trace:
    return search.translate(_load_bundle(path, stamp), text, beam=beam)


def cached_trace(path: str, text: str, beam: int) -> Trace:
    """search.translate of `text` with the model in `path`, once per server (and weights file, and beam)."""
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


@st.cache_resource(max_entries=8, show_spinner="Reading the test sentences' attention...")
def _cached_gold_split(path: str, stamp: int) -> GoldSplit | None:
    return gold_split(_load_bundle(path, stamp))


def cached_gold_split(path: str) -> GoldSplit | None:
    """evaluate.gold_split of the model in `path` (its test pairs with gold links and their attention),
    once per server and weights file; read-only."""
    return _cached_gold_split(path, _stamp(path))


def model_summary(path: str) -> dict[str, str]:
    """Task and attention function of a model directory, read from its config without loading it."""
    return _model_summary(path, _stamp(path))


@st.cache_data(show_spinner=False)
def _model_summary(path: str, stamp: int) -> dict[str, str]:
    return checkpoint.summary(path)


@st.cache_data(max_entries=8, show_spinner=False)
def _cached_rows(path: str, stamp: int, beam: int) -> list[Row]:
    bundle = _load_bundle(path, stamp)
    try:
        gold = _cached_gold_split(path, stamp)
    except DataError:  # the corpus (and its gold) is not on this machine: no AER column
        gold = None
    return explore.rows(bundle, load_test_split(bundle), gold, beam=beam)


def cached_rows(path: str, beam: int) -> list[Row]:
    """explore.rows of the model's test split (the Corpus explorer's table), once per server, weights file
    and beam."""
    return _cached_rows(path, _stamp(path), beam)
