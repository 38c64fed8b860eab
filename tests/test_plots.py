"""Figures are pure: built from a Trace, their numbers are the trace's numbers, labels stay distinct."""

from pathlib import Path

import numpy as np
import pytest

from attnviz import plots, search
from attnviz.checkpoint import load_model

ROOT = Path(__file__).resolve().parent.parent


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
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis2.range[1] == pytest.approx(100.5)
    assert fig.layout.yaxis2.range[0] < 0 and fig.layout.yaxis2.tickmode == "auto"  # a 0 is not clipped


def test_training_chart_bleu_axis_fits_the_values():
    bleu = plots.training_chart([(1.0, 5.0)], [(1, 4.9, 0.4), (2, 4.5, 3.0)], "bleu").layout.yaxis2
    assert bleu.range[1] == pytest.approx(1.005 * 3.3)  # room above the best value
    empty = plots.training_chart([(0.1, 8.0)], [], "bleu").layout.yaxis2
    assert empty.range[1] == pytest.approx(1.005)  # before the first dev point: 0 to 1, not blank


def test_compact_heatmap_has_no_colour_bar_and_upright_source_words(tiny_bundle):
    trace = search.translate(tiny_bundle("dot"), "abcabc abcabc abcabc abcabc abcabc")
    full, compact = plots.alignment_heatmap(trace), plots.alignment_heatmap(trace, compact=True)
    np.testing.assert_array_equal(compact.data[0].z, full.data[0].z)
    assert full.data[0].showscale is not False and compact.data[0].showscale is False
    assert compact.layout.xaxis.title.text == "" and compact.layout.xaxis.tickangle == 0  # letters stay level
    words = search.translate(load_model(ROOT / "models" / "de-en-dot"), "Ich habe heute keine Zeit.")
    assert plots.alignment_heatmap(words, compact=True).layout.xaxis.tickangle == -90
