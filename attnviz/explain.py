"""The arithmetic of one decoder step written out with its own numbers, for the step-through view.

Pure functions: a Trace (or plain numbers) in, LaTeX strings and small numpy results out.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from attnviz.i18n import N_, _, ngettext
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


def hidden_formula(trace: Trace, t: int) -> str:
    """Step 1 at step t (1-based in the formula): the GRU reads its last state and the embedding of the
    piece before, <s> at the first step."""
    previous = "<s>" if t == 0 else trace.target_pieces[t - 1]
    return f"s_{{{t + 1}}} = \\mathrm{{GRU}}(s_{{{t}}},\\ e(\\text{{{tex_label(previous)}}}))"


class ScoreText(NamedTuple):
    words: str  # what step 2 computes, in one sentence ({H}: the state size)
    formula: str  # LaTeX ({t}: the step number, {H}: the state size)
    reading: str  # how the score follows from the vectors score_inputs draws


# Each scoring function in words and as a formula (attention.py; Luong et al. 2015 eq. 8, Bahdanau et al.
# 2015, Vaswani et al. 2017). The words describe the model's arithmetic exactly: dot, general, concat and
# scaled dot differ.
SCORES: dict[str, ScoreText] = {
    "dot": ScoreText(
        N_(
            "the dot product of the decoder state with every encoder state: a large product means "
            "“look here”."
        ),
        "\\operatorname{{score}}(s_{{{t}}}, h_i) = s_{{{t}}}^\\top h_i",
        N_("score_i = s_t · h_i: multiply the row s_t with the row h_i dimension by dimension and add up."),
    ),
    "scaled_dot": ScoreText(
        N_(
            "the dot product of the decoder state with every encoder state, divided by √H (H = {H}, the "
            "state size), which keeps the softmax out of saturation."
        ),
        "\\operatorname{{score}}(s_{{{t}}}, h_i) = \\frac{{s_{{{t}}}^\\top h_i}}{{\\sqrt{{{H}}}}}",
        N_("score_i = (s_t · h_i) / √H: the dot product of the row s_t with the row h_i, divided by √{H}."),
    ),
    "general": ScoreText(
        N_(
            "the decoder state against every encoder state through a learned matrix W (general, a bilinear "
            "form): first W h_i, once per sentence, then its dot product with the decoder state."
        ),
        "\\operatorname{{score}}(s_{{{t}}}, h_i) = s_{{{t}}}^\\top (W h_i)",
        N_(
            "score_i = s_t · (W h_i): the dot product of the row s_t with the row W h_i. W h_i is computed "
            "once per sentence, before the first step."
        ),
    ),
    "concat": ScoreText(
        N_(
            "Bahdanau's additive score (concat): the decoder state and each encoder state are projected "
            "(W_s s_t and W_h h_i + b), added, squashed by tanh, and read out by a learned vector v."
        ),
        "\\operatorname{{score}}(s_{{{t}}}, h_i) = v^\\top \\tanh(W_s s_{{{t}}} + W_h h_i + b)",
        N_(
            "score_i = v · tanh(W_s s_t + W_h h_i + b): add the row W_s s_t to the row W_h h_i + b, take "
            "tanh (the rows of the second chart), then the dot product with v (its last row)."
        ),
    ),
}


def score_words(trace: Trace) -> str:
    """What step 2 computes for this model's scoring function, in one sentence."""
    return _(SCORES[trace.attention].words).format(H=trace.encoder_states.shape[1])


def score_reading(trace: Trace) -> str:
    """How each score follows from the vectors that score_inputs draws."""
    return _(SCORES[trace.attention].reading).format(H=trace.encoder_states.shape[1])


def score_definition(trace: Trace, t: int) -> str:
    """The scoring function's formula at step t (1-based in the formula)."""
    return SCORES[trace.attention].formula.format(t=t + 1, H=trace.encoder_states.shape[1])


def _rows(terms: list[str], per_line: int, lead: str = "") -> str:
    """lead + terms, a few terms to a line, so a formula wraps instead of running off a narrow screen
    (the lines after the first start under the first term)."""
    lines = [", ".join(terms[i : i + per_line]) for i in range(0, len(terms), per_line)]
    if len(lines) == 1:
        return lead + lines[0]
    return f"\\begin{{aligned}}{lead}&" + ",\\\\ &".join(lines) + "\\end{aligned}"


def score_formula(trace: Trace, t: int, shown: int = 4, per_line: int = 2) -> str:
    """The largest scores of step t, each named by its source piece: score_i = 7.1, ..."""
    scores = trace.scores[t]
    order = np.argsort(-scores)[:shown]
    terms = [
        f"h_{{{i + 1}}}\\,(\\text{{{tex_label(trace.source_pieces[i])}}}): {fmt(float(scores[i]))}"
        for i in order
    ]
    more = [" \\dots"] if len(scores) > shown else []
    return _rows(terms + more, per_line, lead="\\operatorname{score}_i = {}")


def score_inputs(trace: Trace, t: int) -> list[tuple[str, list[tuple[str, np.ndarray]]]]:
    """The vectors step t's scores are computed from, grouped for drawing: (title, [(label, vector)]).

    Every row the scores need is here, for every source piece: with them, score_i is
    trace.score_scale * query . key_i (dot, scaled dot, general) or v . tanh-row_i (concat).
    """
    pieces = trace.source_pieces
    step = t + 1
    if trace.attention == "concat":
        keys = [(f"W_h h{i + 1} + b ({p})", trace.score_keys[i]) for i, p in enumerate(pieces)]
        features = trace.concat_features(t)  # (S, H)
        tanh = [(f"tanh(W_s s{step} + W_h h{i + 1} + b) ({p})", features[i]) for i, p in enumerate(pieces)]
        return [
            (_("decoder side and encoder side"), [(f"W_s s{step}", trace.score_queries[t]), *keys]),
            (_("their sum through tanh, and the vector v that reads it out"), [*tanh, ("v", trace.score_v)]),
        ]
    key = "W h{i} ({p})" if trace.attention == "general" else "h{i} ({p})"
    keys = [(key.format(i=i + 1, p=p), trace.score_keys[i]) for i, p in enumerate(pieces)]
    return [(_("decoder state and the encoder side"), [(f"s{step}", trace.score_queries[t]), *keys])]


def softmax_formula(trace: Trace, t: int, shown: int = 4) -> str:
    """softmax(7.1, 1.0, -0.9, ...) = (0.99, 0.003, ...), largest scores first."""
    scores, weights = trace.scores[t], trace.weights[t]
    order = np.argsort(-scores)
    s = [fmt(float(scores[i])) for i in order]
    w = [fmt(float(weights[i])) for i in order]
    return (
        f"\\begin{{aligned}}&\\operatorname{{softmax}}({_listing(s, shown, len(s))})\\\\ "
        f"&\\quad= ({_listing(w, shown, len(w))})\\end{{aligned}}"
    )


def context_formula(trace: Trace, t: int, shown: int = 3) -> str:
    """c_t = 0.91 h_3 + 0.05 h_4 + ... (largest weights first)."""
    weights = trace.weights[t]
    order = np.argsort(-weights)[:shown]
    terms = [f"{fmt(float(weights[i]))}\\, h_{{{i + 1}}}" for i in order]
    more = " + \\dots" if len(weights) > shown else ""
    return f"c_{{{t + 1}}} = " + " + ".join(terms) + more


def output_formula(trace: Trace, t: int, shown: int = 3) -> str:
    """p(y_t | ...) = softmax(W_out tanh(W_c [c_t; s_t] + b_c) + b): the top pieces, their probabilities."""
    pieces = [
        f"p(\\text{{{tex_label(p)}}}) = {fmt(float(q))}"
        for p, q in zip(trace.topk_pieces[t][:shown], trace.topk_probs[t][:shown], strict=True)
    ]
    attentional = f"\\tilde h_{{{t + 1}}} = \\tanh(W_c [c_{{{t + 1}}}; s_{{{t + 1}}}] + b_c)"
    return _rows([attentional], 1) if not pieces else _rows([attentional, *pieces], 2)


def weighted_states(trace: Trace, t: int, shown: int = 4) -> tuple[list[int], np.ndarray, np.ndarray]:
    """The biggest terms of the weighted sum: source positions, weight_i * h_i rows, and the context.

    Returns (positions, rows (shown, H), context (H,)); the rows plus the remaining terms sum to it.
    """
    weights = trace.weights[t]
    positions = [int(i) for i in np.argsort(-weights)[:shown]]
    rows = weights[positions, None] * trace.encoder_states[positions]  # (shown, H)
    return positions, rows, trace.context[t]


def context_terms(trace: Trace, t: int, shown: int = 4) -> list[tuple[str, np.ndarray]]:
    """Step 4's weighted sum as labelled (H,) rows to draw: the biggest weight_i * h_i terms, the other
    terms summed into one row (where there are others), and last the context they add up to."""
    positions, rows, context = weighted_states(trace, t, shown)
    pieces = trace.source_pieces
    terms = [
        (f"{trace.weights[t, i]:.3f} × h{i + 1} ({pieces[i]})", row)
        for i, row in zip(positions, rows, strict=True)
    ]
    if len(pieces) > len(positions):
        others = len(pieces) - len(positions)
        label = ngettext("+ the other {n} term", "+ the other {n} terms", others).format(n=others)
        terms.append((label, context - rows.sum(axis=0)))
    terms.append((_("= context c{t}").format(t=t + 1), context))
    return terms


def attentional_rows(trace: Trace, t: int) -> list[tuple[str, np.ndarray]]:
    """Step 5's (H,) vectors to draw: context and state, and the attentional vector made from the two."""
    return [
        (_("context c{t}").format(t=t + 1), trace.context[t]),
        (_("state s{t}").format(t=t + 1), trace.hidden[t]),
        (_("tanh(W_c[c; s] + b_c) (attentional)"), trace.attentional[t]),
    ]


def coverage(trace: Trace) -> np.ndarray:
    """(S,) total attention each source piece received over all steps (1.0 = one step's worth)."""
    return trace.weights.sum(axis=0)


def entropy(trace: Trace) -> np.ndarray:
    """(T,) entropy of each step's attention in bits: 0 = all on one piece, log2(S) = spread evenly."""
    w = trace.weights
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(w > 0, -w * np.log2(w), 0.0)
    return terms.sum(axis=1)


# The lecture's example: it gives these scores the weights below, which are not their softmax
# (softmax(7, 1, -1, -2) = (0.997, 0.0025, 0.0003, 0.0001)); the Sandbox says so.
LECTURE_SCORES = (7.0, 1.0, -1.0, -2.0)
LECTURE_WEIGHTS = (0.85, 0.08, 0.04, 0.03)
MAX_SANDBOX_SCORES = 50


def parse_scores(raw: str) -> np.ndarray:
    """Scores typed as "7, 1, -1, -2" (commas or semicolons); ValueError with a message for the user."""
    parts = [x.strip() for x in raw.replace(";", ",").split(",") if x.strip()]
    if not parts:
        raise ValueError(_("Type at least one score, e.g. 7, 1, -1, -2."))
    if len(parts) > MAX_SANDBOX_SCORES:
        raise ValueError(
            _("Up to {most} scores, please ({typed} were typed).").format(
                most=MAX_SANDBOX_SCORES, typed=len(parts)
            )
        )
    try:
        scores = np.array([float(x) for x in parts])
    except ValueError:
        raise ValueError(_("Scores must be numbers separated by commas, e.g. 7, 1, -1, -2.")) from None
    bad = [p for p, s in zip(parts, scores, strict=True) if not np.isfinite(s)]
    if bad:
        raise ValueError(
            _(
                "{score} is not a finite number: a score must lie within about ±1.8e308 (the largest "
                "floating-point number); 1e400 or inf would make every weight undefined."
            ).format(score=bad[0])
        )
    return scores


def sandbox_softmax_formula(scores: np.ndarray, weights: np.ndarray, per_line: int = 6) -> str:
    """softmax(7, 1, -1, -2) = (0.997, ...), wrapping long lists onto several lines."""
    left = _rows([fmt(float(s)) for s in scores], per_line)
    right = _rows([fmt(float(w)) for w in weights], per_line)
    if len(scores) <= per_line:
        return f"\\operatorname{{softmax}}({left}) = ({right})"
    return f"\\operatorname{{softmax}}\\left({left}\\right) = \\left({right}\\right)"


def sandbox_context_formula(weights: np.ndarray, context: np.ndarray) -> str:
    """c = 0.997 h1 + 0.00247 h2 + ... = (0.997, ...): the sandbox's weighted sum of its states h1, h2, ..."""
    terms = " + ".join(f"{fmt(float(w))}\\,h{i + 1}" for i, w in enumerate(weights))
    return f"c = {terms} = (" + ", ".join(fmt(float(x)) for x in context) + ")"


# The lecture's walk-through (pages/lecture.py): the same numbers in the lecture's notation, h_i^e for the
# encoder states (h_i elsewhere in the app), h_t^d for the decoder states (s_t elsewhere), h_0^d = s_0.

START = "<START>"  # how the lecture writes the piece the decoder reads first (the tokenizer's BOS, <s>)


def lecture_previous(trace: Trace, t: int) -> str:
    """The piece the decoder reads at step t (0-based): <START> first, then the piece emitted before."""
    return START if t == 0 else trace.target_pieces[t - 1]


def bridge_input(trace: Trace) -> np.ndarray:
    """(H,) what the bridge reads: the forward direction's last state (the first half of h_S^e) and the
    backward direction's last state (the second half of h_1^e: it read the sentence right to left)."""
    half = trace.encoder_states.shape[1] // 2
    return np.concatenate([trace.encoder_states[-1, :half], trace.encoder_states[0, half:]])


def bridge_recompute(trace: Trace, model) -> np.ndarray:
    """(H,) h_0^d recomputed with the model's own bridge: tanh(W_b [h_S→; h_1←] + b_b)."""
    bridge = model.decoder.bridge
    W, b = bridge.weight.detach().double().numpy(), bridge.bias.detach().double().numpy()
    return np.tanh(W @ bridge_input(trace).astype(np.float64) + b)


def gru_recompute(trace: Trace, model, t: int) -> np.ndarray:
    """(H,) h_t^d recomputed with the model's own GRU cell from h_{t-1}^d and the piece read at step t."""
    import torch

    rnn = model.decoder.rnn
    previous = trace.latent if t == 0 else trace.hidden[t - 1]
    piece = 2 if t == 0 else int(trace.target_ids[t - 1])  # 2 is the tokenizer's BOS
    with torch.no_grad():
        x = model.decoder.embed(torch.tensor([piece]))
        h = torch.gru_cell(
            x,
            torch.from_numpy(np.asarray(previous, np.float32))[None],
            rnn.weight_ih_l0,
            rnn.weight_hh_l0,
            rnn.bias_ih_l0,
            rnn.bias_hh_l0,
        )
    return h[0].numpy()


def attentional_recompute(trace: Trace, model, t: int) -> np.ndarray:
    """(H,) tanh(W_c [c_t; h_t^d] + b_c) recomputed with the model's own W_c from the Trace's vectors."""
    combine = model.decoder.combine
    W, b = combine.weight.detach().double().numpy(), combine.bias.detach().double().numpy()
    joined = np.concatenate([trace.context[t], trace.hidden[t]]).astype(np.float64)
    return np.tanh(W @ joined + b)


def vocab_recompute(trace: Trace, model, t: int) -> np.ndarray:
    """(V,) the distribution over the next piece recomputed from the attentional vector with W_out, b."""
    out = model.decoder.out
    W, b = out.matrix().detach().double().numpy(), out.bias.detach().double().numpy()
    return softmax(trace.attentional[t].astype(np.float64) @ W + b)


def lecture_hidden_formula(trace: Trace, t: int) -> str:
    """h_t^d = GRU(h_{t-1}^d, e(previous piece)) in the lecture's notation (1-based in the formula)."""
    previous = tex_label(lecture_previous(trace, t))
    return f"h^d_{{{t + 1}}} = \\mathrm{{GRU}}(h^d_{{{t}}},\\ e(\\text{{{previous}}}))"


LECTURE_SCORES_TEX = {
    "dot": "\\operatorname{{score}}_i = (h^d_{{{t}}})^\\top h^e_i",
    "scaled_dot": "\\operatorname{{score}}_i = \\frac{{(h^d_{{{t}}})^\\top h^e_i}}{{\\sqrt{{{H}}}}}",
    "general": "\\operatorname{{score}}_i = (h^d_{{{t}}})^\\top (W h^e_i)",
    "concat": "\\operatorname{{score}}_i = v^\\top \\tanh(W_s h^d_{{{t}}} + W_h h^e_i + b)",
}


def lecture_score_definition(trace: Trace, t: int) -> str:
    """The model's own scoring function at step t in the lecture's notation."""
    return LECTURE_SCORES_TEX[trace.attention].format(t=t + 1, H=trace.encoder_states.shape[1])


def lecture_context_formula(trace: Trace, t: int, shown: int = 3) -> str:
    """c_t = sum_i alpha_i h_i^e = 0.91 h_3^e + ... : the weighted sum of encoder states, written right."""
    weights = trace.weights[t]
    order = np.argsort(-weights)[:shown]
    terms = [f"{fmt(float(weights[i]))}\\, h^e_{{{i + 1}}}" for i in order]
    more = " + \\dots" if len(weights) > shown else ""
    S = len(weights)
    return f"c_{{{t + 1}}} = \\sum_{{i=1}}^{{{S}}} \\alpha_i h^e_i = " + " + ".join(terms) + more


def lecture_output_formula(trace: Trace, t: int) -> str:
    """The attentional vector and the distribution over the vocabulary, in the lecture's notation."""
    step = t + 1
    return (
        f"\\tilde h_{{{step}}} = \\tanh(W_c [c_{{{step}}}; h^d_{{{step}}}] + b_c),\\quad "
        f"p(y_{{{step}}}) = \\operatorname{{softmax}}(W_{{out}}^\\top \\tilde h_{{{step}}} + b)"
    )


def lecture_score_formula(trace: Trace, t: int, shown: int = 4, per_line: int = 2) -> str:
    """score_formula with the encoder states written h_i^e, as the lecture does."""
    return score_formula(trace, t, shown, per_line).replace("h_{", "h^e_{")
