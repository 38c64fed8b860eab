"""Tests for attnviz.attention: shapes, masked softmax, context = weights @ keys, and golden scores."""

from __future__ import annotations

import math

import pytest
import torch
from torch.testing import assert_close

from attnviz.attention import (
    Attention,
    AttentionOutput,
    ConcatScore,
    DotScore,
    GeneralScore,
    ScaledDotScore,
    make_score,
)

KINDS = ("dot", "general", "concat", "scaled_dot")
B, T, S, H = 2, 3, 5, 6
LENGTHS = (5, 3)  # the second sentence has two padded positions


def _inputs(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    query = torch.randn(B, T, H, generator=g)  # (B, T, H) decoder states s_t
    keys = torch.randn(B, S, H, generator=g)  # (B, S, H) encoder states h_i
    mask = torch.arange(S)[None, :] < torch.tensor(LENGTHS)[:, None]  # (B, S)
    return query, keys, mask


def _attend(kind: str, query, keys, mask, seed: int = 0) -> tuple[Attention, AttentionOutput]:
    torch.manual_seed(seed)
    attention = Attention(kind, H)
    with torch.no_grad():
        return attention, attention(query, keys, attention.project_keys(keys), mask)


# --- properties for every scoring function -----------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_shapes(kind: str) -> None:
    query, keys, mask = _inputs()
    _, out = _attend(kind, query, keys, mask)
    assert isinstance(out, AttentionOutput)
    assert out.context.shape == (B, T, H)
    assert out.weights.shape == (B, T, S)
    assert out.scores.shape == (B, T, S)


@pytest.mark.parametrize("kind", KINDS)
def test_weights_sum_to_one_over_real_positions(kind: str) -> None:
    query, keys, mask = _inputs()
    _, out = _attend(kind, query, keys, mask)
    for b, length in enumerate(LENGTHS):
        assert_close(out.weights[b, :, :length].sum(-1), torch.ones(T))
    assert bool((out.weights >= 0).all())


@pytest.mark.parametrize("kind", KINDS)
def test_padded_positions_get_exactly_zero_weight(kind: str) -> None:
    query, keys, mask = _inputs()
    _, out = _attend(kind, query, keys, mask)
    assert bool((out.weights[1, :, LENGTHS[1] :] == 0.0).all())
    assert bool((out.weights[~mask.unsqueeze(1).expand(B, T, S)] == 0.0).all())
    assert bool((out.weights[0] > 0.0).all())  # an unpadded row has no exact zeros


@pytest.mark.parametrize("kind", KINDS)
def test_weights_are_softmax_of_scores_over_real_positions(kind: str) -> None:
    query, keys, mask = _inputs()
    _, out = _attend(kind, query, keys, mask)
    for b, length in enumerate(LENGTHS):
        assert_close(out.weights[b, :, :length], torch.softmax(out.scores[b, :, :length], dim=-1))


@pytest.mark.parametrize("kind", KINDS)
def test_context_is_weighted_sum_of_keys(kind: str) -> None:
    query, keys, mask = _inputs()
    _, out = _attend(kind, query, keys, mask)
    expected = torch.zeros(B, T, H)
    for b in range(B):
        for t in range(T):
            for i in range(S):
                expected[b, t] += out.weights[b, t, i] * keys[b, i]
    assert_close(out.context, expected)


@pytest.mark.parametrize("kind", KINDS)
def test_padding_content_does_not_leak(kind: str) -> None:
    query, keys, mask = _inputs()
    _, out = _attend(kind, query, keys, mask)
    noisy = keys.clone()
    noisy[1, LENGTHS[1] :] = 100.0 * torch.randn(S - LENGTHS[1], H)  # garbage where padding is
    _, noisy_out = _attend(kind, query, noisy, mask)
    assert_close(noisy_out.weights, out.weights)
    assert_close(noisy_out.context, out.context)


@pytest.mark.parametrize("kind", KINDS)
def test_scores_are_raw_and_ignore_the_mask(kind: str) -> None:
    query, keys, mask = _inputs()
    _, masked = _attend(kind, query, keys, mask)
    _, full = _attend(kind, query, keys, torch.ones(B, S, dtype=torch.bool))
    assert_close(masked.scores, full.scores)
    assert bool(torch.isfinite(masked.scores).all())


@pytest.mark.parametrize("kind", KINDS)
def test_batch_rows_are_independent(kind: str) -> None:
    query, keys, mask = _inputs()
    _, out = _attend(kind, query, keys, mask)
    _, alone = _attend(kind, query[1:], keys[1:], mask[1:])
    assert_close(alone.weights, out.weights[1:])
    assert_close(alone.context, out.context[1:])


# --- golden values ------------------------------------------------------------------------------

# s = (1, 2) against h_1..h_4 whose dot products with s are 7, 1, -1, -2.
GOLDEN_QUERY = torch.tensor([[[1.0, 2.0]]])  # (1, 1, 2)
GOLDEN_KEYS = torch.tensor([[[1.0, 3.0], [1.0, 0.0], [1.0, -1.0], [0.0, -1.0]]])  # (1, 4, 2)
# softmax(7, 1, -1, -2) = e^x / (e^7 + e^1 + e^-1 + e^-2)
GOLDEN_WEIGHTS = torch.tensor([[[0.997070980, 0.002471492, 0.000334480, 0.000123048]]])


def test_dot_golden_scores_weights_context() -> None:
    attention = Attention("dot", 2)
    mask = torch.ones(1, 4, dtype=torch.bool)
    out = attention(GOLDEN_QUERY, GOLDEN_KEYS, attention.project_keys(GOLDEN_KEYS), mask)
    assert_close(out.scores, torch.tensor([[[7.0, 1.0, -1.0, -2.0]]]))
    assert_close(out.weights, GOLDEN_WEIGHTS, atol=1e-7, rtol=1e-6)
    # c = sum_i w_i h_i = (w1 + w2 + w3, 3 w1 - w3 - w4)
    assert_close(out.context, torch.tensor([[[0.999876952, 2.990755412]]]), atol=1e-6, rtol=1e-6)


def test_dot_golden_with_padding() -> None:
    attention = Attention("dot", 2)
    mask = torch.tensor([[True, True, False, False]])
    out = attention(GOLDEN_QUERY, GOLDEN_KEYS, attention.project_keys(GOLDEN_KEYS), mask)
    # softmax(7, 1) = (1 / (1 + e^-6), e^-6 / (1 + e^-6)), then exact zeros
    w1 = 1.0 / (1.0 + math.exp(-6.0))
    assert_close(out.weights, torch.tensor([[[w1, 1.0 - w1, 0.0, 0.0]]]))
    assert out.weights[0, 0, 2].item() == 0.0 and out.weights[0, 0, 3].item() == 0.0
    assert_close(out.context, torch.tensor([[[1.0, 3.0 * w1]]]))


def test_scaled_dot_is_dot_over_sqrt_hidden() -> None:
    query, keys, _ = _inputs()
    dot = DotScore()(query, keys)
    scaled = ScaledDotScore(H)(query, keys)
    assert_close(scaled, dot / math.sqrt(H))
    golden = ScaledDotScore(2)(GOLDEN_QUERY, GOLDEN_KEYS)
    assert_close(golden, torch.tensor([[[7.0, 1.0, -1.0, -2.0]]]) / math.sqrt(2.0))


def test_general_is_bilinear_form_with_module_weights() -> None:
    query, keys, _ = _inputs()
    torch.manual_seed(0)
    score = GeneralScore(H)
    with torch.no_grad():
        got = score(query, score.project_keys(keys))
    W = score.W.weight  # (H, H)
    expected = torch.zeros(B, T, S)
    for b in range(B):
        for t in range(T):
            for i in range(S):
                expected[b, t, i] = query[b, t] @ (W @ keys[b, i])
    assert_close(got, expected)


def test_concat_is_v_tanh_w_concat_with_module_weights() -> None:
    query, keys, _ = _inputs()
    torch.manual_seed(0)
    score = ConcatScore(H)
    with torch.no_grad():
        got = score(query, score.project_keys(keys))
    # Rebuild Bahdanau's single W over [s_t; h_i] from the two halves the module stores.
    W = torch.cat([score.W_s.weight, score.W_h.weight], dim=1)  # (H, 2H)
    bias, v = score.W_h.bias, score.v.weight[0]  # (H,), (H,)
    expected = torch.zeros(B, T, S)
    for b in range(B):
        for t in range(T):
            for i in range(S):
                expected[b, t, i] = v @ torch.tanh(W @ torch.cat([query[b, t], keys[b, i]]) + bias)
    assert_close(got, expected)


def test_prepare_is_step_independent_part() -> None:
    _, keys, _ = _inputs()
    torch.manual_seed(0)
    with torch.no_grad():
        assert Attention("dot", H).project_keys(keys) is keys
        general = Attention("general", H)
        assert_close(general.project_keys(keys), keys @ general.score.W.weight.T)
        concat = Attention("concat", H)
        assert_close(concat.project_keys(keys), keys @ concat.score.W_h.weight.T + concat.score.W_h.bias)


@pytest.mark.parametrize("kind", ["none", "bahdanau", ""])
def test_make_score_rejects_unknown_kind(kind: str) -> None:
    with pytest.raises(ValueError, match="dot, scaled_dot, general or concat"):
        make_score(kind, H)


def test_make_score_returns_named_classes() -> None:
    assert type(make_score("dot", H)) is DotScore
    assert type(make_score("scaled_dot", H)) is ScaledDotScore
    assert type(make_score("general", H)) is GeneralScore
    assert type(make_score("concat", H)) is ConcatScore
