"""Tests for attnviz.search: the invariants of every Trace, batched = alone, beam search, input checks."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from attnviz.bundle import Bundle
from attnviz.config import ATTENTIONS
from attnviz.model import Seq2Seq
from attnviz.search import (
    MAX_INPUT_CHARS,
    TOP_K,
    InputError,
    beam_paths,
    check_sentence,
    force,
    greedy_paths,
    translate,
    translate_batch,
)
from attnviz.tokenizer import BOS, EOS, UNK
from attnviz.trace import Trace

KINDS = ATTENTIONS  # the four scoring functions and "none"
SENTENCES = ["a dog", "hello world", "be", "abc def"]  # 5, 11, 2 and 7 characters
ODD_UNICODE = [
    "I ❤️ 🐈",  # emoji with a variation selector
    "👩\u200d👩\u200d👧 family",  # a zero-width-joiner sequence
    "שלום עולם",  # right-to-left script
    "\u200fمرحبا بالعالم",  # Arabic after a right-to-left mark
    "cafe\u0301 e\u0301te\u0301",  # combining accents
    "文字 hello",  # characters the model never saw
    "\u00ad\u200d",  # format characters that SentencePiece keeps
]


def check_invariants(bundle: Bundle, trace: Trace, *, greedy: bool = True, alpha: float = 1.0) -> None:
    """Properties every Trace must have, checked from its own arrays alone."""
    T, S, H = trace.num_steps, len(trace.source_ids), bundle.config.hidden
    K = min(TOP_K, bundle.config.tgt_vocab)
    assert len(trace.source_pieces) == S
    assert trace.source_pieces == tuple(bundle.src.labels(trace.source_ids.tolist()))
    assert trace.encoder_states.shape == (S, H) and trace.latent.shape == (H,)
    for name in ("hidden", "context", "attentional"):
        assert getattr(trace, name).shape == (T, H), name
    assert 1 <= T <= bundle.config.max_tgt_len
    # attention: rows of weights are distributions, context = weights @ encoder states
    if trace.attention == "none":
        assert trace.weights.shape == trace.scores.shape == (T, 0)
        np.testing.assert_array_equal(trace.context, np.broadcast_to(trace.latent, (T, H)))
    else:
        assert trace.weights.shape == trace.scores.shape == (T, S)
        assert bool((trace.weights >= 0).all())
        np.testing.assert_allclose(trace.weights.sum(axis=1), np.ones(T), atol=1e-5)
        np.testing.assert_allclose(trace.context, trace.weights @ trace.encoder_states, atol=1e-5)
    # the output distribution: top-k sorted, the emitted piece's log-probability recorded
    assert trace.topk_ids.shape == trace.topk_probs.shape == (T, K)
    assert bool((np.diff(trace.topk_probs, axis=1) <= 0).all())
    assert bool((trace.topk_probs.sum(axis=1) <= 1 + 1e-5).all())
    assert trace.topk_pieces == tuple(tuple(bundle.tgt.labels(row)) for row in trace.topk_ids.tolist())
    if greedy:
        np.testing.assert_array_equal(trace.topk_ids[:, 0], trace.target_ids)
        np.testing.assert_allclose(np.exp(trace.log_probs), trace.topk_probs[:, 0], rtol=1e-5)
    else:
        assert bool((np.exp(trace.log_probs) <= trace.topk_probs[:, 0] + 1e-6).all())
    # the output itself
    assert trace.target_pieces == tuple(bundle.tgt.labels(trace.target_ids.tolist()))
    assert trace.translation == bundle.tgt.decode(trace.target_ids.tolist())
    assert trace.finished == (trace.target_ids[-1] == EOS)
    assert EOS not in trace.target_ids[:-1]
    if not trace.finished:
        assert T == bundle.config.max_tgt_len
    assert trace.score == pytest.approx(float(trace.log_probs.sum()), abs=1e-5)
    assert trace.normalized_score == pytest.approx(trace.score / T**alpha, abs=1e-5)


def check_against_teacher_forcing(bundle: Bundle, trace: Trace) -> None:
    """Re-run the model teacher-forced on the trace's own output: every recorded number must agree."""
    model, T = bundle.model, trace.num_steps
    src = torch.tensor([trace.source_ids.tolist()])
    prev = torch.tensor([[BOS, *trace.target_ids[:-1].tolist()]])  # (1, T)
    with torch.no_grad():
        memory = model.encode(src, torch.tensor([src.size(1)]))
        out = model.decoder(prev, memory, memory.latent)
    logp = torch.log_softmax(out.logits[0], dim=-1)  # (T, V)
    close = {"atol": 1e-5, "rtol": 1e-5}
    np.testing.assert_allclose(trace.encoder_states, memory.states[0].numpy(), **close)
    np.testing.assert_allclose(trace.latent, memory.latent[0].numpy(), **close)
    names = ["hidden", "context", "attentional"]
    if trace.attention != "none":
        names += ["weights", "scores"]
    for name in names:
        np.testing.assert_allclose(getattr(trace, name), getattr(out, name)[0].numpy(), err_msg=name, **close)
    np.testing.assert_allclose(trace.log_probs, logp[torch.arange(T), trace.target_ids].numpy(), **close)
    top_probs = logp.exp().topk(trace.topk_ids.shape[1]).values  # (T, K)
    np.testing.assert_allclose(trace.topk_probs, top_probs.numpy(), **close)


def assert_traces_close(a: Trace, b: Trace, atol: float = 1e-5) -> None:
    for f in dataclasses.fields(Trace):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.shape == y.shape, f.name
            np.testing.assert_allclose(x, y, atol=atol, err_msg=f.name)
        elif isinstance(x, float):
            assert x == pytest.approx(y, abs=atol), f.name
        elif f.name != "hypotheses":
            assert x == y, f.name


@pytest.fixture(scope="module")
def short_bundle(tiny_bundle) -> Bundle:
    """The trained dot model with a 4-piece source limit."""
    bundle = tiny_bundle("dot")
    model = Seq2Seq(dataclasses.replace(bundle.config, max_src_len=4))
    model.load_state_dict(bundle.model.state_dict())
    return Bundle("short", model.eval(), bundle.src, bundle.tgt)


# --- greedy invariants --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_greedy_trace_invariants(tiny_bundle, kind: str) -> None:
    bundle = tiny_bundle(kind)
    for text in SENTENCES:
        trace = translate(bundle, text)
        assert trace.model == bundle.name and trace.attention == kind and trace.source == text
        assert trace.hypotheses == () and trace.cut == 0
        check_invariants(bundle, trace)


@pytest.mark.parametrize("kind", KINDS)
def test_greedy_trace_matches_teacher_forced_model(tiny_bundle, kind: str) -> None:
    bundle = tiny_bundle(kind)
    for text in SENTENCES:
        check_against_teacher_forcing(bundle, translate(bundle, text))


def test_fixture_decodes_to_varied_lengths(tiny_bundle) -> None:
    # Guards the batching test below: it only means something when sentences stop at different steps.
    traces = [translate(tiny_bundle("dot"), text) for text in SENTENCES]
    assert len({t.num_steps for t in traces}) >= 3
    assert any(t.finished for t in traces)
    assert translate(tiny_bundle("dot"), "a dog").translation == "god a"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("batch_size", [64, 3])
def test_translate_batch_equals_translating_alone(tiny_bundle, kind: str, batch_size: int) -> None:
    bundle = tiny_bundle(kind)
    batched = translate_batch(bundle, SENTENCES, batch_size=batch_size)
    assert [t.source for t in batched] == SENTENCES  # input order kept despite length sorting
    for text, trace in zip(SENTENCES, batched, strict=True):
        alone = translate(bundle, text)
        assert trace.target_pieces == alone.target_pieces
        assert trace.source_pieces == alone.source_pieces
        assert_traces_close(trace, alone)
        check_invariants(bundle, trace)


def test_greedy_paths_stop_each_sentence_at_its_own_end(tiny_bundle) -> None:
    bundle = tiny_bundle("concat")
    ids = [list(bundle.src.tokenize(text).ids) for text in SENTENCES]
    paths = greedy_paths(bundle.model, ids, bundle.config.max_tgt_len)
    for source, path in zip(ids, paths, strict=True):
        assert path.finished == (path.tokens[-1] == EOS)
        assert EOS not in path.tokens[:-1]
        assert path.arrays["weights"].shape == (len(path.tokens), len(source))
        assert path.encoder_states.shape[0] == len(source)


# --- beam search --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_beam_hypotheses_are_sorted_and_consistent(tiny_bundle, kind: str) -> None:
    bundle = tiny_bundle(kind)
    for text in ("the cat sat", "a dog"):
        trace = translate(bundle, text, beam=3)
        hyps = trace.hypotheses
        assert 1 <= len(hyps) <= 3
        scores = [h.normalized_score for h in hyps]
        assert scores == sorted(scores, reverse=True)
        assert len({tuple(h.target_ids.tolist()) for h in hyps}) == len(hyps)  # all different
        assert_traces_close(trace, hyps[0], atol=0.0)  # the trace is the best hypothesis
        for h in hyps:
            assert h.score == pytest.approx(float(h.log_probs.sum()), abs=1e-5)
            check_invariants(bundle, h, greedy=False)
            check_against_teacher_forcing(bundle, h)


@pytest.mark.parametrize("alpha", [0.0, 0.6, 1.0])
def test_beam_length_normalization(tiny_bundle, alpha: float) -> None:
    bundle = tiny_bundle("general")
    trace = translate(bundle, "hello world", beam=4, alpha=alpha)
    for h in trace.hypotheses:
        check_invariants(bundle, h, greedy=False, alpha=alpha)
    assert [h.normalized_score for h in trace.hypotheses] == sorted(
        (h.normalized_score for h in trace.hypotheses), reverse=True
    )


@pytest.mark.parametrize("kind", KINDS)
def test_beam_of_one_is_greedy(tiny_bundle, kind: str) -> None:
    bundle = tiny_bundle(kind)
    for text in SENTENCES:
        greedy = translate(bundle, text)
        (path,) = beam_paths(bundle.model, list(greedy.source_ids), 1, bundle.config.max_tgt_len, 1.0)
        assert path.tokens == greedy.target_ids.tolist()
        np.testing.assert_allclose(path.log_probs, greedy.log_probs, atol=1e-5)
        for name in ("hidden", "context", "weights"):
            np.testing.assert_allclose(path.arrays[name], getattr(greedy, name), atol=1e-5)


def test_beam_best_is_at_least_as_probable_as_greedy_when_unnormalized(tiny_bundle) -> None:
    bundle = tiny_bundle("dot")
    for text in SENTENCES:
        greedy = translate(bundle, text)
        beam = translate(bundle, text, beam=4, alpha=0.0)
        if greedy.finished:
            assert beam.score >= greedy.score - 1e-5


def test_translate_batch_with_beam_equals_alone(tiny_bundle) -> None:
    bundle = tiny_bundle("scaled_dot")
    for text, trace in zip(SENTENCES, translate_batch(bundle, SENTENCES, beam=2), strict=True):
        alone = translate(bundle, text, beam=2)
        assert len(trace.hypotheses) == len(alone.hypotheses)
        assert_traces_close(trace, alone)


def test_translate_batch_with_beam_reports_cut(short_bundle) -> None:
    (trace,) = translate_batch(short_bundle, ["hello world"], beam=2)
    assert trace.cut == translate(short_bundle, "hello world", beam=2).cut == 7


# --- input checks -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "   \n\t  ", "\r\n"])
def test_empty_input_rejected(text: str) -> None:
    with pytest.raises(InputError, match="empty"):
        check_sentence(text)


@pytest.mark.parametrize("text", ["abc\x00def", "caf\ufffd", "a\x07b", "\x1b[31mred", "x\x7f", "a\x85b"])
def test_binary_looking_input_rejected(text: str) -> None:
    with pytest.raises(InputError):
        check_sentence(text)


def test_non_text_rejected() -> None:
    with pytest.raises(InputError):
        check_sentence(b"hello")  # type: ignore[arg-type]


def test_length_limit() -> None:
    assert check_sentence("a" * MAX_INPUT_CHARS) == "a" * MAX_INPUT_CHARS
    with pytest.raises(InputError, match=f"{MAX_INPUT_CHARS:,}"):
        check_sentence("a" * (MAX_INPUT_CHARS + 1))
    # the limit counts the tidied text: runs of spaces collapse first
    assert check_sentence("a" + " " * MAX_INPUT_CHARS + "b") == "a b"


def test_newlines_and_spaces_collapse() -> None:
    assert check_sentence("  hello\nworld\r\n\tagain   now ") == "hello world again now"


def test_input_errors_surface_through_translate(tiny_bundle) -> None:
    bundle = tiny_bundle("dot")
    with pytest.raises(InputError):
        translate(bundle, "   ")
    with pytest.raises(InputError):
        translate_batch(bundle, ["fine", "bad\x00"])


def test_html_is_plain_text(tiny_bundle) -> None:
    text = "<script>alert(1)</script>"
    assert check_sentence(text) == text
    bundle = tiny_bundle("dot")
    trace = translate(bundle, text)
    assert trace.source == text
    assert trace.source_ids.tolist() == list(bundle.src.tokenize(text).ids)
    # Known characters keep their pieces; a run of unknown ones ("</", ">") becomes one <unk>.
    known = "".join(c for c in text if bundle.src.tokenize(c).ids != (UNK,))
    assert known == "scritalertscrit"  # the training lines have no "p" and no "1"
    assert "".join(p for p in trace.source_pieces if p != "<unk>") == known
    assert "<unk>" in trace.source_pieces
    check_invariants(bundle, trace)


def test_newline_input_translates_like_spaces(tiny_bundle) -> None:
    bundle = tiny_bundle("dot")
    assert_traces_close(translate(bundle, "a\ndog"), translate(bundle, "a dog"), atol=0.0)


def test_long_input_is_cut_and_reported(short_bundle) -> None:
    trace = translate(short_bundle, "hello world")
    assert trace.cut == len("hello world") - 4
    assert trace.source == "hell"
    assert trace.source_pieces == tuple("hell")
    assert trace.encoder_states.shape[0] == 4
    check_invariants(short_bundle, trace)
    beam = translate(short_bundle, "hello world", beam=2)
    assert beam.cut == 7 and all(h.cut == 7 for h in beam.hypotheses)
    (batched,) = translate_batch(short_bundle, ["hello world"])
    assert batched.cut == 7


def test_input_at_the_limit_is_not_cut(short_bundle) -> None:
    trace = translate(short_bundle, "abcd")
    assert trace.cut == 0 and trace.source == "abcd"


def test_maximum_length_input_is_cut_not_refused(tiny_bundle) -> None:
    bundle = tiny_bundle("dot")
    trace = translate(bundle, "ab" * (MAX_INPUT_CHARS // 2))
    assert trace.cut == MAX_INPUT_CHARS - bundle.config.max_src_len
    assert len(trace.source_ids) == bundle.config.max_src_len


@pytest.mark.parametrize("kind", ["dot", "none"])
@pytest.mark.parametrize("text", ODD_UNICODE)
def test_odd_unicode_does_not_crash(tiny_bundle, kind: str, text: str) -> None:
    bundle = tiny_bundle(kind)
    trace = translate(bundle, text)
    check_invariants(bundle, trace)
    assert UNK in trace.source_ids


@pytest.mark.parametrize("text", ["\u200b", "\ufeff", "\u200f"])
def test_input_with_no_pieces_is_an_input_error(tiny_bundle, text: str) -> None:
    with pytest.raises(InputError):
        translate(tiny_bundle("dot"), text)


def test_lone_surrogate_is_an_input_error(tiny_bundle) -> None:
    with pytest.raises(InputError):
        translate(tiny_bundle("dot"), "abc\udcff")


# --- forced decoding of a reference -----------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_forcing_the_model_s_own_translation_gives_its_own_trace(tiny_bundle, kind: str) -> None:
    bundle = tiny_bundle(kind)
    for text in SENTENCES:
        greedy = translate(bundle, text)
        if not greedy.finished or not greedy.translation:
            continue
        assert_traces_close(force(bundle, text, greedy.translation), greedy)


@pytest.mark.parametrize("kind", KINDS)
def test_forced_trace_is_the_reference_teacher_forced(tiny_bundle, kind: str) -> None:
    bundle = tiny_bundle(kind)
    reference = "olleh"  # not what the model writes for "a dog"
    trace = force(bundle, "a dog", reference)
    assert trace.target_ids.tolist() == [*bundle.tgt.tokenize(reference).ids, EOS]
    assert trace.translation == reference and trace.finished
    check_invariants(bundle, trace, greedy=False)
    check_against_teacher_forcing(bundle, trace)  # log_probs are p(reference piece), weights its attention


def test_forcing_an_empty_reference_is_an_input_error(tiny_bundle) -> None:
    with pytest.raises(InputError):
        force(tiny_bundle("dot"), "a dog", "   ")


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "none"])
def test_forced_weights_equal_the_corpus_path_of_evaluate(tiny_bundle, kind: str) -> None:
    """search.force (step by step) and evaluate.forced_weights (one batched forward) are two paths to
    the same numbers."""
    from attnviz.evaluate import forced_weights
    from attnviz.tasks import Pair

    bundle = tiny_bundle(kind)
    pairs = [Pair("a dog", "god a"), Pair("hello world", "dlrow")]
    for pair, weights in zip(
        pairs,
        forced_weights(
            bundle, [(bundle.src.tokenize(p.source).ids, bundle.tgt.tokenize(p.target).ids) for p in pairs]
        ),
        strict=True,
    ):
        np.testing.assert_allclose(force(bundle, pair.source, pair.target).weights, weights, atol=1e-5)
