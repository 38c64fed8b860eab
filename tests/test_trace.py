"""Tests for attnviz.trace: exact JSON round trips, tidy frames and Pharaoh alignments."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from attnviz.search import translate
from attnviz.trace import _ARRAYS, Trace


def assert_traces_identical(a: Trace, b: Trace) -> None:
    """Every field equal: arrays bit for bit (same dtype and shape), pieces, scalars, hypotheses."""
    for f in dataclasses.fields(Trace):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if f.name == "hypotheses":
            assert len(x) == len(y)
            for hx, hy in zip(x, y, strict=True):
                assert_traces_identical(hx, hy)
        elif isinstance(x, np.ndarray):
            assert isinstance(y, np.ndarray), f.name
            assert x.dtype == y.dtype and x.shape == y.shape, f.name
            assert np.array_equal(x, y), f.name
        else:
            assert type(x) is type(y), f.name
            assert x == y, f.name


def _handmade(weights: list[list[float]], finished: bool) -> Trace:
    """A small Trace with chosen weights (T, S); the other numbers are filler of the right shapes."""
    w = np.asarray(weights, dtype=np.float32)
    T, S = w.shape
    H, K = 4, 2
    target_ids = np.arange(4, 4 + T, dtype=np.int64)
    if finished:
        target_ids[-1] = 3
    return Trace(
        model="hand",
        attention="dot",
        source="abc",
        source_pieces=tuple("abcdefgh"[:S]),
        source_ids=np.arange(4, 4 + S, dtype=np.int64),
        target_pieces=tuple(f"p{t}" for t in range(T - 1)) + ("</s>" if finished else f"p{T - 1}",),
        target_ids=target_ids,
        translation="x",
        encoder_states=np.ones((S, H), dtype=np.float32),
        latent=np.zeros(H, dtype=np.float32),
        hidden=np.full((T, H), 0.5, dtype=np.float32),
        scores=np.log(w + 1e-3),
        weights=w,
        context=w @ np.ones((S, H), dtype=np.float32),
        attentional=np.zeros((T, H), dtype=np.float32),
        log_probs=np.full(T, -0.5, dtype=np.float32),
        topk_ids=np.tile(np.arange(K, dtype=np.int64), (T, 1)),
        topk_pieces=tuple(("a", "b") for _ in range(T)),
        topk_probs=np.tile(np.array([0.6, 0.4], dtype=np.float32), (T, 1)),
        score=-0.5 * T,
        normalized_score=-0.5,
        finished=finished,
    )


# --- JSON round trip ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["dot", "concat", "none"])
def test_json_round_trip_is_exact(tiny_bundle, kind: str) -> None:
    trace = translate(tiny_bundle(kind), "hello world")
    text = trace.to_json()
    rebuilt = Trace.from_json(text)
    assert_traces_identical(rebuilt, trace)
    assert rebuilt.to_json() == text  # and stable


def test_json_round_trip_without_attention_keeps_t_by_zero(tiny_bundle) -> None:
    trace = translate(tiny_bundle("none"), "a dog")
    assert trace.weights.shape == (trace.num_steps, 0)
    rebuilt = Trace.from_json(trace.to_json())
    assert rebuilt.weights.shape == rebuilt.scores.shape == (trace.num_steps, 0)


def test_json_round_trip_with_beam_hypotheses(tiny_bundle) -> None:
    trace = translate(tiny_bundle("general"), "the cat sat", beam=3)
    assert len(trace.hypotheses) >= 2
    rebuilt = Trace.from_json(trace.to_json(indent=2))
    assert_traces_identical(rebuilt, trace)
    assert all(h.hypotheses == () for h in rebuilt.hypotheses)


def test_json_round_trip_of_beam_without_attention(tiny_bundle) -> None:
    trace = translate(tiny_bundle("none"), "be", beam=2)
    rebuilt = Trace.from_json(trace.to_json())
    assert_traces_identical(rebuilt, trace)
    for h in rebuilt.hypotheses:
        assert h.weights.shape == (h.num_steps, 0)


def test_json_is_plain_and_keeps_non_ascii(tiny_bundle) -> None:
    trace = translate(tiny_bundle("dot"), "Übung")
    text = trace.to_json()
    assert "Übung" in text
    data = json.loads(text)
    assert set(data) == {f.name for f in dataclasses.fields(Trace)}
    assert all(isinstance(data[name], list) for name in _ARRAYS)


def test_handmade_trace_round_trip() -> None:
    trace = _handmade([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]], finished=True)
    assert_traces_identical(Trace.from_json(trace.to_json()), trace)


# --- frames -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["dot", "scaled_dot"])
def test_to_frame_is_tidy(tiny_bundle, kind: str) -> None:
    trace = translate(tiny_bundle(kind), "abc def")
    T, S = trace.weights.shape
    frame = trace.to_frame()
    assert len(frame) == T * S
    assert list(frame.columns) == ["step", "target_piece", "source_index", "source_piece", "score", "weight"]
    np.testing.assert_array_equal(frame["weight"].to_numpy().reshape(T, S), trace.weights)
    np.testing.assert_array_equal(frame["score"].to_numpy().reshape(T, S), trace.scores)
    row = frame.iloc[S + 2]  # step 1, source piece 2
    assert (row.step, row.source_index) == (1, 2)
    assert row.target_piece == trace.target_pieces[1] and row.source_piece == trace.source_pieces[2]
    assert frame.groupby("step")["weight"].sum().to_numpy() == pytest.approx(np.ones(T), abs=1e-5)


def test_to_frame_without_attention_is_empty(tiny_bundle) -> None:
    assert len(translate(tiny_bundle("none"), "mat").to_frame()) == 0


# --- Pharaoh alignments -------------------------------------------------------------------------


def test_pharaoh_golden_excludes_end_of_sentence() -> None:
    weights = [[0.1, 0.7, 0.2], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]]
    assert _handmade(weights, finished=True).pharaoh() == "1-0 0-1"
    assert _handmade(weights, finished=False).pharaoh() == "1-0 0-1 2-2"


def test_pharaoh_of_a_real_trace_is_the_argmax(tiny_bundle) -> None:
    trace = translate(tiny_bundle("dot"), "a dog")
    assert trace.finished and trace.target_pieces[-1] == "</s>"
    links = trace.pharaoh().split()
    assert len(links) == trace.num_steps - 1
    for j, link in enumerate(links):
        i, jj = map(int, link.split("-"))
        assert jj == j and i == int(trace.weights[j].argmax())
    unfinished = dataclasses.replace(trace, finished=False)
    assert len(unfinished.pharaoh().split()) == trace.num_steps


def test_pharaoh_without_attention_is_empty(tiny_bundle) -> None:
    assert translate(tiny_bundle("none"), "a dog").pharaoh() == ""


def test_num_steps_counts_target_pieces() -> None:
    trace = _handmade([[1.0], [1.0], [1.0], [1.0]], finished=False)
    assert trace.num_steps == 4
