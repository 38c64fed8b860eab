"""The Trace: every number of one decoded sentence, written once by search.py and read by everything else.

Arrays are per decoder step, stacked. T steps (the last emits </s> unless decoding hit the length limit),
S source pieces, H hidden, K top-k entries.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

_ARRAYS = (
    "source_ids",
    "target_ids",
    "encoder_states",
    "latent",
    "hidden",
    "scores",
    "weights",
    "context",
    "attentional",
    "log_probs",
    "topk_ids",
    "topk_probs",
    "score_keys",
    "score_queries",
    "score_v",
)


def _empty(*shape: int) -> np.ndarray:
    return np.zeros(shape, np.float32)


@dataclass(frozen=True, eq=False)
class Trace:
    """One source sentence, its translation, and the model's own numbers at every decoder step."""

    model: str  # model name
    attention: str  # scoring function: dot, general, concat, scaled_dot or none
    source: str  # the text that was encoded (after any cut)
    source_pieces: tuple[str, ...]  # (S,) readable labels
    source_ids: np.ndarray  # (S,)
    target_pieces: tuple[str, ...]  # (T,) the piece emitted at each step, "</s>" last
    target_ids: np.ndarray  # (T,)
    translation: str  # detokenized target, without </s>
    encoder_states: np.ndarray  # (S, H)  h_1..h_S
    latent: np.ndarray  # (H,)  s_0, the decoder's first state
    hidden: np.ndarray  # (T, H)  decoder state s_t
    scores: np.ndarray  # (T, S)  raw scores before the softmax; (T, 0) without attention
    weights: np.ndarray  # (T, S)  attention weights; (T, 0) without attention
    context: np.ndarray  # (T, H)  c_t = weights_t @ encoder_states (the latent vector for "none")
    attentional: np.ndarray  # (T, H)  tanh(W_c [c_t; s_t])
    log_probs: np.ndarray  # (T,)  log p of the emitted piece
    topk_ids: np.ndarray  # (T, K)  most probable next pieces, best first
    topk_pieces: tuple[tuple[str, ...], ...]  # (T, K)
    topk_probs: np.ndarray  # (T, K)
    score: float  # sum of log_probs
    normalized_score: float  # score / T**alpha, what beam search ranks by
    finished: bool  # False when decoding stopped at the length limit without </s>
    # The numbers inside the score (attention.ScoreParts): score_i = score_scale * score_queries[t] .
    # score_keys[i] for dot, scaled dot and general; score_v . tanh(score_queries[t] + score_keys[i])
    # for concat. Keys are h_i (dot, scaled dot), W h_i (general) or W_h h_i + b (concat); queries are s_t,
    # or W_s s_t for concat. Empty without attention.
    score_keys: np.ndarray = dataclasses.field(default_factory=lambda: _empty(0, 0))  # (S, H)
    score_queries: np.ndarray = dataclasses.field(default_factory=lambda: _empty(0, 0))  # (T, H)
    score_v: np.ndarray = dataclasses.field(default_factory=lambda: _empty(0))  # (H,) concat only
    score_scale: float = 1.0
    cut: int = 0  # source pieces dropped because the input was longer than the model's limit
    hypotheses: tuple[Trace, ...] = ()  # beam search: every finished hypothesis, best first
    # A what-if (attnviz.intervene.Intervention.to_dict()): the attention was changed as it says, so
    # `weights` are the weights used and `scores` still the model's own (own_weights: their softmax).
    intervention: dict[str, Any] | None = None

    @property
    def num_steps(self) -> int:
        return len(self.target_pieces)

    def own_weights(self) -> np.ndarray:
        """(T, S) the softmax of the model's own scores: `weights` unless an intervention changed them."""
        if self.scores.size == 0:
            return self.weights
        shifted = np.exp(self.scores - self.scores.max(axis=1, keepdims=True))
        return (shifted / shifted.sum(axis=1, keepdims=True)).astype(np.float32)

    def concat_features(self, t: int) -> np.ndarray:
        """(S, H) concat attention's tanh(W_s s_t + W_h h_i + b) at step t: score_i = score_v . row i."""
        return np.tanh(self.score_queries[t][None, :] + self.score_keys)

    def pharaoh(self) -> str:
        """Argmax alignment as Pharaoh links "i-j" (source piece i, target piece j), </s> excluded."""
        if self.weights.shape[1] == 0:
            return ""
        steps = self.num_steps - 1 if self.finished else self.num_steps
        best = self.weights[:steps].argmax(axis=1)
        return " ".join(f"{int(i)}-{j}" for j, i in enumerate(best))

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per (decoder step, source piece) with the raw score and the weight."""
        T, S = self.weights.shape
        steps = np.repeat(np.arange(T), S)
        sources = np.tile(np.arange(S), T)
        return pd.DataFrame(
            {
                "step": steps,
                "target_piece": [self.target_pieces[t] for t in steps],
                "source_index": sources,
                "source_piece": [self.source_pieces[s] for s in sources],
                "score": self.scores.reshape(-1),
                "weight": self.weights.reshape(-1),
            }
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "hypotheses":
                out[f.name] = [h.to_dict() for h in value]
            elif isinstance(value, np.ndarray):
                out[f.name] = value.tolist()
            elif isinstance(value, tuple):
                out[f.name] = [list(v) if isinstance(v, tuple) else v for v in value]
            else:
                out[f.name] = value
        return out

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Trace:
        kwargs = dict(data)
        for name in _ARRAYS:
            if name not in data:  # a trace saved before the field existed keeps its default
                continue
            dtype = np.int64 if name.endswith("_ids") else np.float32
            kwargs[name] = np.asarray(data[name], dtype=dtype)
        # Empty lists lose their shape in JSON; restore (T, 0) for models without attention.
        T = len(data["target_pieces"])
        for name in ("scores", "weights"):
            if kwargs[name].size == 0:
                kwargs[name] = kwargs[name].reshape(T, 0)
        for name, rows in (("score_queries", T if data["attention"] == "none" else 0), ("score_keys", 0)):
            if name in kwargs and kwargs[name].size == 0:  # (T, 0) as search writes it for "none"
                kwargs[name] = kwargs[name].reshape(rows, 0)
        kwargs["source_pieces"] = tuple(data["source_pieces"])
        kwargs["target_pieces"] = tuple(data["target_pieces"])
        kwargs["topk_pieces"] = tuple(tuple(row) for row in data["topk_pieces"])
        kwargs["hypotheses"] = tuple(cls.from_dict(h) for h in data.get("hypotheses", ()))
        return cls(**kwargs)

    @classmethod
    def from_json(cls, text: str) -> Trace:
        return cls.from_dict(json.loads(text))
