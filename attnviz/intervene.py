"""What-if: change the attention at a decoder step (or at every step) and let the model decode on.

An Intervention replaces a step's attention weights after the softmax and before the context is formed,
so the context, the attentional vector and every later step follow from the changed weights; the scores
stay the model's own (a Trace records both: `scores` as computed, `weights` as used). Kinds:

- mask: source piece i gets zero weight, the rest renormalised (all of it on i: spread evenly instead);
- force: all the weight on source piece i (one-hot), so the context is exactly h_i;
- edit: the weights given, renormalised;
- uniform: every real source piece the same weight;
- permute: the step's weights shuffled across the source pieces (a seeded permutation per step);
- hard: all the weight on the step's most-attended piece (argmax).

At one step (step=t, 1-based) only that step changes and the model decodes the rest of the sentence as it
would; with step=None the change applies at every step. Pieces are 1-based, as the app shows them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor

KINDS = ("mask", "force", "edit", "uniform", "permute", "hard")
NEEDS_PIECE = ("mask", "force")
MAX_PIECES = 4096  # as config.MAX_LEN: an edit longer than any sentence is refused before use


class InterventionError(ValueError):
    """An intervention that cannot apply (to this sentence); str() says why."""


@dataclass(frozen=True)
class Intervention:
    kind: str
    step: int | None = None  # 1-based decoder step; None: every step
    piece: int | None = None  # 1-based source piece (mask, force)
    weights: tuple[float, ...] = ()  # edit: the weights wanted, one per source piece
    seed: int = 0  # permute

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InterventionError(f"unknown intervention {self.kind!r}; one of {', '.join(KINDS)}")
        if self.step is not None and (
            isinstance(self.step, bool) or not isinstance(self.step, int) or self.step < 1
        ):
            raise InterventionError(f"the step must be a whole number from 1, got {self.step!r}")
        if self.kind in NEEDS_PIECE:
            if isinstance(self.piece, bool) or not isinstance(self.piece, int) or self.piece < 1:
                raise InterventionError(
                    f"{self.kind} needs a source piece, a whole number from 1, got {self.piece!r}"
                )
        elif self.piece is not None:
            raise InterventionError(f"{self.kind} takes no source piece")
        if self.kind == "edit":
            w = self.weights
            if not 0 < len(w) <= MAX_PIECES or not all(isinstance(x, int | float) and x == x for x in w):
                raise InterventionError("edit needs one number per source piece")
            if min(w) < 0 or sum(w) <= 0 or sum(w) == float("inf"):
                raise InterventionError("edited weights must be finite, not negative, and not all zero")
        elif self.weights:
            raise InterventionError(f"{self.kind} takes no weights")

    def check(self, pieces: int) -> None:
        """Raise InterventionError when it does not fit a sentence of `pieces` source pieces."""
        if self.piece is not None and self.piece > pieces:
            raise InterventionError(f"there is no source piece {self.piece}: the sentence has {pieces}")
        if self.kind == "edit" and len(self.weights) != pieces:
            raise InterventionError(f"{len(self.weights)} weights given for {pieces} source pieces")

    def acts_at(self, t: int) -> bool:
        """Whether it changes decoder step t (0-based)."""
        return self.step is None or self.step == t + 1

    def apply(self, weights: Tensor, mask: Tensor, t: int) -> Tensor:
        """Step t's (0-based) weights (B, 1, S) as changed; mask (B, S) True at real source pieces."""
        if not self.acts_at(t):
            return weights
        real = mask.unsqueeze(1).to(weights.dtype)  # (B, 1, S)
        if self.kind == "uniform":
            return real / real.sum(-1, keepdim=True)
        if self.kind in ("force", "hard"):
            at = weights.argmax(-1) if self.kind == "hard" else torch.full(weights.shape[:2], self.piece - 1)
            return torch.zeros_like(weights).scatter_(-1, at.unsqueeze(-1), 1.0)
        if self.kind == "edit":
            wanted = torch.zeros_like(weights)
            wanted[..., : len(self.weights)] = torch.tensor(self.weights, dtype=weights.dtype)
            return wanted * real / (wanted * real).sum(-1, keepdim=True)
        if self.kind == "mask":
            kept = weights.clone()
            kept[..., self.piece - 1] = 0.0
            total = kept.sum(-1, keepdim=True)
            rest = real.clone()
            rest[..., self.piece - 1] = 0.0
            even = rest / rest.sum(-1, keepdim=True).clamp_min(1.0)  # all on the masked piece: spread
            return torch.where(total > 1e-12, kept / total.clamp_min(1e-12), even)
        # permute: each row's real pieces in a seeded order of their own, one per (seed, step)
        out = weights.clone()
        generator = torch.Generator().manual_seed(self.seed * 100_003 + t)
        for b in range(weights.size(0)):
            n = int(mask[b].sum())
            order = torch.randperm(n, generator=generator)
            out[b, :, :n] = weights[b, :, :n][:, order]
        return out

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["weights"] = list(self.weights)
        return out

    @classmethod
    def from_dict(cls, data: Any) -> Intervention:
        if not isinstance(data, dict) or not set(data) <= {"kind", "step", "piece", "weights", "seed"}:
            raise InterventionError("an intervention is an object with kind, step, piece, weights and seed")
        weights = data.get("weights", ())
        if not isinstance(weights, list | tuple):
            raise InterventionError("weights must be a list of numbers")
        return cls(**{**data, "weights": tuple(weights)})

    def describe(self) -> str:
        """In words, for a caption or a CLI line (English; pages translate their own)."""
        where = "at every step" if self.step is None else f"at step {self.step}"
        what = {
            "mask": f"source piece {self.piece} masked",
            "force": f"attention forced onto source piece {self.piece}",
            "edit": "attention edited by hand",
            "uniform": "uniform attention",
            "permute": "attention permuted across the source",
            "hard": "hard (argmax) attention",
        }[self.kind]
        return f"{what} {where}"
