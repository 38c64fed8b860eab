"""The arithmetic of one decoder step written out with its own numbers, for the step-through view.

Pure functions: a Trace (or plain numbers) in, LaTeX strings and small numpy results out.
"""

from __future__ import annotations

import numpy as np

from attnviz.trace import Trace


def softmax(scores: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """softmax(scores / temperature), computed stably (subtracting the max changes nothing)."""
    if temperature <= 0:
        raise ValueError("temperature must be positive")
    z = np.asarray(scores, dtype=np.float64) / temperature
    e = np.exp(z - z.max())
    return e / e.sum()


def fmt(x: float, digits: int = 3) -> str:
    """A number as a person reads it: 0.997, 0.0025, 7.1, -2; tiny values in scientific notation."""
    if x == 0:
        return "0"
    if abs(x) < 1e-4:
        mantissa, exponent = f"{x:.1e}".split("e")
        return f"{mantissa} \\cdot 10^{{{int(exponent)}}}"
    return f"{x:.{digits}g}"


def _listing(values: list[str], shown: int, total: int) -> str:
    return ", ".join(values[:shown]) + (", \\dots" if total > shown else "")


def tex_label(piece: str) -> str:
    """A piece safe inside \\text{...}."""
    escaped = "".join("\\" + c if c in "#$%&_{}" else c for c in piece)
    return escaped.replace("~", "\\textasciitilde{}").replace("^", "\\textasciicircum{}")


def score_formula(trace: Trace, t: int, shown: int = 4) -> str:
    """score_i = s_t . h_i for the largest scores."""
    scores = trace.scores[t]
    order = np.argsort(-scores)[:shown]
    terms = [
        f"h_{{{i + 1}}}\\,(\\text{{{tex_label(trace.source_pieces[i])}}}): {fmt(float(scores[i]))}"
        for i in order
    ]
    return f"s_{{{t + 1}}} \\cdot h_i = " + _listing(terms, shown, len(scores))


def softmax_formula(trace: Trace, t: int, shown: int = 4) -> str:
    """softmax(7.1, 1.0, -0.9, ...) = (0.99, 0.003, ...), largest scores first."""
    scores, weights = trace.scores[t], trace.weights[t]
    order = np.argsort(-scores)
    s = [fmt(float(scores[i])) for i in order]
    w = [fmt(float(weights[i])) for i in order]
    return f"\\operatorname{{softmax}}({_listing(s, shown, len(s))}) = ({_listing(w, shown, len(w))})"


def context_formula(trace: Trace, t: int, shown: int = 3) -> str:
    """c_t = 0.91 h_3 + 0.05 h_4 + ... (largest weights first)."""
    weights = trace.weights[t]
    order = np.argsort(-weights)[:shown]
    terms = [f"{fmt(float(weights[i]))}\\, h_{{{i + 1}}}" for i in order]
    more = " + \\dots" if len(weights) > shown else ""
    return f"c_{{{t + 1}}} = " + " + ".join(terms) + more


def output_formula(trace: Trace, t: int, shown: int = 3) -> str:
    """p(y_t | ...) = softmax(W_out tanh(W_c [c_t; s_t]) + b): the top pieces and their probabilities."""
    pieces = [
        f"p(\\text{{{tex_label(p)}}}) = {fmt(float(q))}"
        for p, q in zip(trace.topk_pieces[t][:shown], trace.topk_probs[t][:shown], strict=True)
    ]
    return f"\\tilde h_{{{t + 1}}} = \\tanh(W_c [c_{{{t + 1}}}; s_{{{t + 1}}}]),\\quad " + ",\\; ".join(
        pieces
    )


def weighted_states(trace: Trace, t: int, shown: int = 4) -> tuple[list[int], np.ndarray, np.ndarray]:
    """The biggest terms of the weighted sum: source positions, weight_i * h_i rows, and the context.

    Returns (positions, rows (shown, H), context (H,)); the rows plus the remaining terms sum to it.
    """
    weights = trace.weights[t]
    positions = [int(i) for i in np.argsort(-weights)[:shown]]
    rows = weights[positions, None] * trace.encoder_states[positions]  # (shown, H)
    return positions, rows, trace.context[t]


def coverage(trace: Trace) -> np.ndarray:
    """(S,) total attention each source piece received over all steps (1.0 = one step's worth)."""
    return trace.weights.sum(axis=0)


def entropy(trace: Trace) -> np.ndarray:
    """(T,) entropy of each step's attention in bits: 0 = all on one piece, log2(S) = spread evenly."""
    w = trace.weights
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(w > 0, -w * np.log2(w), 0.0)
    return terms.sum(axis=1)
