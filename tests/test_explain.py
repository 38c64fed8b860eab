"""The written-out arithmetic: formulas carry the trace's own numbers, the sandbox softmax is exact."""

import numpy as np
import pytest

from attnviz import explain, search


def test_softmax_of_the_lecture_example():
    w = explain.softmax(np.array([7.0, 1.0, -1.0, -2.0]))
    np.testing.assert_allclose(w, [0.99707, 0.00247, 0.00033, 0.00012], atol=5e-5)
    assert w.sum() == pytest.approx(1.0)
    assert [explain.fmt(float(x)) for x in w] == ["0.997", "0.00247", "0.000334", "0.000123"]


def test_temperature_sharpens_and_flattens():
    scores = np.array([2.0, 1.0, 0.0])
    cold, warm = explain.softmax(scores, 0.5), explain.softmax(scores, 5.0)
    assert cold[0] > explain.softmax(scores)[0] > warm[0]
    np.testing.assert_allclose(explain.softmax(scores * 2), cold)
    with pytest.raises(ValueError):
        explain.softmax(scores, 0.0)


def test_large_scores_do_not_overflow():
    w = explain.softmax(np.array([1000.0, 0.0]))
    assert np.isfinite(w).all() and w[0] == pytest.approx(1.0)


def test_fmt():
    assert explain.fmt(0) == "0"
    assert explain.fmt(7.123) == "7.12"
    assert explain.fmt(-2.0) == "-2"
    assert explain.fmt(1.7e-15) == "1.7 \\cdot 10^{-15}"


def test_formulas_carry_the_trace_numbers(tiny_bundle):
    trace = search.translate(tiny_bundle("dot"), "hello world")
    t = 1
    order = np.argsort(-trace.scores[t])
    softmax = explain.softmax_formula(trace, t)
    assert explain.fmt(float(trace.scores[t, order[0]])) in softmax
    assert explain.fmt(float(trace.weights[t, order[0]])) in softmax
    context = explain.context_formula(trace, t)
    assert f"h_{{{int(np.argmax(trace.weights[t])) + 1}}}" in context
    output = explain.output_formula(trace, t)
    assert explain.fmt(float(trace.topk_probs[t, 0])) in output


def test_weighted_states_are_the_terms_of_the_context(tiny_bundle):
    trace = search.translate(tiny_bundle("general"), "the cat sat")
    positions, rows, context = explain.weighted_states(trace, 0, shown=len(trace.source_pieces))
    assert sorted(positions) == list(range(len(trace.source_pieces)))
    np.testing.assert_allclose(rows.sum(axis=0), context, atol=1e-5)
    np.testing.assert_allclose(rows[0], trace.weights[0, positions[0]] * trace.encoder_states[positions[0]])


def testtex_labels_escape_special_characters():
    assert explain.tex_label("a_b{c}%") == "a\\_b\\{c\\}\\%"


def test_the_hidden_formula_reads_the_piece_before(tiny_bundle):
    trace = search.translate(tiny_bundle("dot"), "hello world")
    assert explain.hidden_formula(trace, 0) == "s_{1} = \\mathrm{GRU}(s_{0},\\ e(\\text{<s>}))"
    previous = explain.tex_label(trace.target_pieces[0])
    assert (
        explain.hidden_formula(trace, 1) == f"s_{{2}} = \\mathrm{{GRU}}(s_{{1}},\\ e(\\text{{{previous}}}))"
    )


@pytest.mark.parametrize("shown", [2, 100])
def test_context_terms_add_up_to_the_context(tiny_bundle, shown):
    trace = search.translate(tiny_bundle("dot"), "the cat sat")
    t, S = 1, len(trace.source_pieces)
    terms = explain.context_terms(trace, t, shown=shown)
    *parts, (label, context) = terms
    assert label == "= context c2"
    np.testing.assert_array_equal(context, trace.context[t])
    np.testing.assert_allclose(sum(row for _, row in parts), context, atol=1e-5)
    top = int(np.argmax(trace.weights[t]))
    assert parts[0][0] == f"{trace.weights[t, top]:.3f} × h{top + 1} ({trace.source_pieces[top]})"
    others = [name for name, _ in parts if name.startswith("+ the other")]
    assert others == ([f"+ the other {S - shown} terms"] if shown < S else [])


def test_the_sandbox_context_is_the_weighted_sum():
    weights = np.array([0.75, 0.25])
    states = np.array([[1.0, 0.0], [0.0, 2.0]])
    formula = explain.sandbox_context_formula(weights, weights @ states)
    assert formula == "c = 0.75\\,h1 + 0.25\\,h2 = (0.75, 0.5)"
