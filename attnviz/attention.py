"""Attention: score the decoder state s_t against every encoder state h_i, softmax, weighted sum.

Scoring functions after Luong et al. 2015 (eq. 8: dot, general, concat) and Vaswani et al. 2017
(scaled dot). Shapes: B batch, T decoder steps, S source length, H hidden.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import torch
from torch import Tensor, nn


class ScoreParts(NamedTuple):
    """The numbers inside a score that the step-through view shows, beside the encoder side `project_keys`
    gives: score_i = scale * query . key_i (dot, scaled dot, general), or v . tanh(query + key_i) (concat).
    """

    queries: Tensor  # (B, T, H)  the decoder side: s_t, or W_s s_t for concat
    v: Tensor  # (H,)  concat's v; (0,) for the others
    scale: float  # 1/sqrt(H) for scaled dot, 1 for the others


class DotScore(nn.Module):
    """score(s_t, h_i) = s_t . h_i - the core idea: a large dot product means "look here"."""

    def project_keys(self, keys: Tensor) -> Tensor:
        return keys  # (B, S, H)

    def parts(self, query: Tensor) -> ScoreParts:
        return ScoreParts(query, query.new_zeros(0), 1.0)

    def forward(self, query: Tensor, projected: Tensor) -> Tensor:
        return query @ projected.transpose(1, 2)  # (B, T, H) @ (B, H, S) -> (B, T, S)


class ScaledDotScore(DotScore):
    """score(s_t, h_i) = s_t . h_i / sqrt(H), which keeps the softmax out of saturation."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.scale = 1.0 / math.sqrt(hidden)

    def parts(self, query: Tensor) -> ScoreParts:
        return ScoreParts(query, query.new_zeros(0), self.scale)

    def forward(self, query: Tensor, projected: Tensor) -> Tensor:
        return (query @ projected.transpose(1, 2)) * self.scale  # (B, T, S)


class GeneralScore(nn.Module):
    """score(s_t, h_i) = s_t . (W h_i): a learned bilinear form."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.W = nn.Linear(hidden, hidden, bias=False)

    def project_keys(self, keys: Tensor) -> Tensor:
        return self.W(keys)  # (B, S, H), computed once per sentence, not once per step

    def parts(self, query: Tensor) -> ScoreParts:
        return ScoreParts(query, query.new_zeros(0), 1.0)

    def forward(self, query: Tensor, projected: Tensor) -> Tensor:
        return query @ projected.transpose(1, 2)  # (B, T, S)


class ConcatScore(nn.Module):
    """score(s_t, h_i) = v . tanh(W [s_t; h_i]) - Bahdanau et al. 2015's additive attention.

    W [s_t; h_i] is split as W_s s_t + W_h h_i so the source half is computed once per sentence.
    """

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.W_s = nn.Linear(hidden, hidden, bias=False)
        self.W_h = nn.Linear(hidden, hidden, bias=True)
        self.v = nn.Linear(hidden, 1, bias=False)

    def project_keys(self, keys: Tensor) -> Tensor:
        return self.W_h(keys)  # (B, S, H)  W_h h_i + b

    def parts(self, query: Tensor) -> ScoreParts:
        return ScoreParts(self.W_s(query), self.v.weight[0], 1.0)  # W_s s_t (B, T, H); v (H,)

    def forward(self, query: Tensor, projected: Tensor) -> Tensor:
        summed = self.W_s(query).unsqueeze(2) + projected.unsqueeze(1)  # (B, T, S, H)
        return self.v(torch.tanh(summed)).squeeze(-1)  # (B, T, S)


def make_score(kind: str, hidden: int) -> nn.Module:
    """The scoring function named `kind` (see config.ATTENTIONS; "none" has no score)."""
    if kind == "dot":
        return DotScore()
    if kind == "scaled_dot":
        return ScaledDotScore(hidden)
    if kind == "general":
        return GeneralScore(hidden)
    if kind == "concat":
        return ConcatScore(hidden)
    raise ValueError(f"no scoring function {kind!r}; choose dot, scaled_dot, general or concat")


Edit = Callable[[Tensor, Tensor], Tensor]  # (weights (B, T, S), mask (B, S)) -> changed weights


class AttentionOutput(NamedTuple):
    context: Tensor  # (B, T, H)  c_t = sum_i weights_i h_i
    weights: Tensor  # (B, T, S)  softmax of scores; exactly 0 on padding
    scores: Tensor  # (B, T, S)  raw scores before the softmax (padding included, unmasked)


class Attention(nn.Module):
    """Scores, masked softmax, and the context vector, returned together - nothing hidden."""

    def __init__(self, kind: str, hidden: int) -> None:
        super().__init__()
        self.score = make_score(kind, hidden)

    def project_keys(self, keys: Tensor) -> Tensor:
        """Everything about the encoder states that does not depend on the decoder step."""
        return self.score.project_keys(keys)

    def parts(self, query: Tensor) -> ScoreParts:
        """The decoder side of the score and its constants, for showing the arithmetic (not needed to
        compute it: forward does that)."""
        return self.score.parts(query)

    def forward(
        self, query: Tensor, keys: Tensor, projected: Tensor, mask: Tensor, edit: Edit | None = None
    ) -> AttentionOutput:
        """query (B, T, H) decoder states; keys (B, S, H) encoder states; mask (B, S) True = real.
        edit, if given, changes the weights before the context is formed (attnviz.intervene)."""
        # 1) scores: how well each encoder state matches the decoder state
        scores = self.score(query, projected)  # (B, T, S)
        # 2) softmax over the unmasked source: -inf on padding gives it exactly zero weight
        masked = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))  # (B, T, S)
        weights = torch.softmax(masked, dim=-1)  # (B, T, S)
        if edit is not None:  # a what-if: the weights as the user set them
            weights = edit(weights, mask)
        # 3) context = weights @ encoder states: the weighted sum of h_1..h_S
        context = weights @ keys  # (B, T, S) @ (B, S, H) -> (B, T, H)
        return AttentionOutput(context, weights, scores)
