"""Figures are pure: built from a Trace, their numbers are the trace's numbers, labels stay distinct."""

import numpy as np

from attnviz import plots, search


def test_heatmap_numbers_and_labels(tiny_bundle):
    trace = search.translate(tiny_bundle("dot"), "abc abc")
    fig = plots.alignment_heatmap(trace, mark_argmax=True)
    heat, marks = fig.data
    np.testing.assert_array_equal(np.asarray(heat.z), trace.weights)
    assert list(heat.x) == list(range(len(trace.source_pieces)))  # positions: repeats stay distinct
    assert list(fig.layout.xaxis.ticktext) == plots.escape(trace.source_pieces)
    assert list(marks.x) == trace.weights.argmax(axis=1).tolist()


def test_labels_are_escaped_for_plotly_html():
    assert plots.escape(["</s>", "a&b", "<unk>"]) == ["&lt;/s&gt;", "a&amp;b", "&lt;unk&gt;"]


def test_step_charts_show_the_step_numbers(tiny_bundle):
    trace = search.translate(tiny_bundle("concat"), "hello")
    t = 0
    np.testing.assert_array_equal(np.asarray(plots.score_chart(trace, t).data[0].y), trace.scores[t])
    what_if = np.full(len(trace.source_pieces), 1 / len(trace.source_pieces))
    weights = plots.weight_chart(trace, t, what_if, 3.0)
    np.testing.assert_array_equal(np.asarray(weights.data[0].y), trace.weights[t])
    assert "what-if" in weights.data[1].name
    topk = plots.topk_chart(trace, t)
    np.testing.assert_array_equal(np.asarray(topk.data[0].x), trace.topk_probs[t])
    chosen = [c for c in topk.data[0].marker.color]
    assert chosen[list(trace.topk_pieces[t]).index(trace.target_pieces[t])] == "#e8590c"


def test_vector_strips_rows():
    fig = plots.vector_strips([("a", np.ones(4)), ("b", -np.ones(4))])
    assert np.asarray(fig.data[0].z).shape == (2, 4)
    assert list(fig.layout.yaxis.ticktext) == ["a", "b"]


def test_gold_links_are_drawn_as_their_own_layer(tiny_bundle):
    trace = search.translate(tiny_bundle("dot"), "abc")
    fig = plots.alignment_heatmap(trace, gold={(0, 2), (1, 1)})
    gold = fig.data[-1]
    assert gold.name == "gold link"
    assert list(gold.x) == [2, 1] and list(gold.y) == [0, 1]
    assert len(plots.alignment_heatmap(trace).data) == 1


def test_training_chart_puts_the_metric_on_its_own_axis():
    fig = plots.training_chart([(0.5, 2.0), (1.0, 1.5)], [(1, 1.4, 97.5)], "exact_match")
    loss, dev_loss, metric = fig.data
    assert list(loss.y) == [2.0, 1.5] and list(dev_loss.y) == [1.4] and list(metric.y) == [97.5]
    assert metric.yaxis == "y2" and metric.name == "dev exact match (%)"
    assert fig.layout.yaxis.type == "log" and list(fig.layout.yaxis2.range) == [0, 100.5]
