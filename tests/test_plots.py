"""Figures are pure: built from a Trace, their numbers are the trace's numbers, labels stay distinct."""

import math
from pathlib import Path

import numpy as np
import plotly.colors
import pytest

from attnviz import bottleneck, explain, figstyle, plots, search, words
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
    assert "step 1" in heat.customdata[0][0][1]  # the hover names the decoder step


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
    emitted = list(trace.topk_pieces[t]).index(trace.target_pieces[t])
    assert chosen[emitted] == figstyle.VERMILLION and chosen.count(figstyle.VERMILLION) == 1
    assert topk.data[0].text[emitted].endswith("emitted")  # said in words too, not by colour alone


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


def bucket_table():
    """bottleneck.buckets' table of two models: "a" with an interval, a small bucket and an empty one."""

    def bucket(bleu, n, ci=None):
        return {"bleu": bleu, "bleu_ci": ci, "n": n}

    by_length = {
        "a": {"1-10": bucket(20.0, 30, [18.0, 22.5]), "11-20": bucket(10.0, 5), "21+": bucket(None, 0)},
        "b": {"1-10": bucket(12.0, 30, [11.0, 13.0])},
    }
    return bottleneck.buckets({m: {"greedy": {"by_length": b}} for m, b in by_length.items()})


def test_bucket_chart_draws_the_buckets_table_one_series_per_model():
    fig = plots.bucket_chart(bucket_table(), min_n=20)
    a, b = fig.data
    assert (a.name, b.name) == ("a", "b")
    assert list(a.x) == ["1-10 words (n=30)", "11-20 words (n=5)", "21+ words (n=0)"]
    assert list(a.y) == [20.0, 10.0, 0.0]  # a missing BLEU is a bar of 0
    # Error bars reach the interval's ends; a bucket without one has none (length 0), and says so.
    assert list(a.error_y.array) == [2.5, 0.0, 0.0] and list(a.error_y.arrayminus) == [2.0, 0.0, 0.0]
    assert [c[1] for c in a.customdata] == ["18.00 to 22.50"] + ["none (too few sentences)"] * 2
    assert [c[0] for c in a.customdata] == [30, 5, 0]
    assert list(a.marker.opacity) == [1.0, 0.35, 0.35]  # fewer than min_n sentences: faint
    assert list(b.y) == [12.0] and list(b.error_y.arrayminus) == [1.0]


def test_compact_heatmap_has_no_colour_bar_and_upright_source_words(tiny_bundle):
    trace = search.translate(tiny_bundle("dot"), "abcabc abcabc abcabc abcabc abcabc")
    full, compact = plots.alignment_heatmap(trace), plots.alignment_heatmap(trace, compact=True)
    np.testing.assert_array_equal(compact.data[0].z, full.data[0].z)
    assert full.data[0].showscale is not False and compact.data[0].showscale is False
    assert compact.layout.xaxis.title.text == "" and compact.layout.xaxis.tickangle == 0  # letters stay level
    words = search.translate(load_model(ROOT / "models" / "de-en-dot"), "Ich habe heute keine Zeit.")
    assert plots.alignment_heatmap(words, compact=True).layout.xaxis.tickangle == -90


def test_entropy_axis_is_fixed_from_zero_to_log2_of_the_source_length(tiny_bundle):
    trace = search.translate(tiny_bundle("dot"), "hello world")
    S = len(trace.source_pieces)
    tiny = np.full(trace.num_steps, 2.5e-6)  # 2.5 microbits: all but no spread, so a bar of nothing
    for entropy in (tiny, explain.entropy(trace)):
        fig = plots.entropy_chart(trace, entropy)
        assert list(fig.layout.yaxis.range) == pytest.approx([0.0, math.log2(S)])
    (line,) = fig.layout.shapes
    assert line.y0 == line.y1 == pytest.approx(math.log2(S))  # the maximum is marked and said
    assert (
        f"log2({S})" in fig.layout.annotations[0].text and "spread evenly" in fig.layout.annotations[0].text
    )
    assert f"log2({S})" in fig.data[0].hovertemplate


# Machado, Oliveira & Fernandes (2009), severity 1: linear RGB as a dichromat sees it, in linear RGB.
VISIONS = {
    "normal": np.eye(3),
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
    ),
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]
    ),
}


def linear_rgb(color: str) -> np.ndarray:
    rgb = plotly.colors.hex_to_rgb(color) if color.startswith("#") else plotly.colors.unlabel_rgb(color)
    c = np.asarray(rgb, dtype=float) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def seen(color: str, vision: str) -> np.ndarray:
    return np.clip(VISIONS[vision] @ linear_rgb(color), 0.0, 1.0)


def contrast(a: np.ndarray, b: np.ndarray) -> float:
    """WCAG 2 contrast ratio of two linear-RGB colours (3 is the least for graphics, 1.4.11)."""
    ya, yb = sorted(float(c @ [0.2126, 0.7152, 0.0722]) for c in (a, b))
    return (yb + 0.05) / (ya + 0.05)


def lab(c: np.ndarray) -> np.ndarray:
    """CIE L*a*b* (D65) of a linear-RGB colour."""
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ c
    xyz /= [0.9505, 1.0, 1.089]
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def mark_colors(fig, group: str) -> tuple[set[str], set[str]]:
    """The colours and symbols of the traces that draw one kind of mark."""
    traces = [t for t in fig.data if t.type == "scatter" and t.legendgroup == group]
    assert traces, f"no {group} mark"
    colors = {c for t in traces for c in (t.marker.color, t.marker.line.color) if c is not None}
    return colors, {t.marker.symbol for t in traces}


def test_marks_keep_their_contrast_in_simulated_colour_blindness(tiny_bundle):
    trace = search.translate(tiny_bundle("dot"), "abc")
    fig = plots.alignment_heatmap(trace, mark_argmax=True, gold={(0, 0), (1, 2)})
    scale = [list(stop) for stop in fig.data[0].colorscale]  # the map's own colours, dark to light
    cells = plotly.colors.sample_colorscale(scale, list(np.linspace(0, 1, 21)))
    argmax, argmax_symbols = mark_colors(fig, "argmax")
    gold, gold_symbols = mark_colors(fig, "gold")
    assert argmax_symbols.isdisjoint(gold_symbols)  # told apart by shape, whatever the colours
    for vision in VISIONS:
        for cell in cells:  # from the darkest cell to the lightest: one colour of each mark stands out
            for colors in (argmax, gold):
                best = max(contrast(seen(c, vision), seen(cell, vision)) for c in colors)
                assert best >= 3.0, (vision, cell, colors)
        # The two kinds' main colours (marker.color) stay apart too: CIE76 distance of at least 20.
        top = {t.legendgroup: t.marker.color for t in fig.data if t.type == "scatter"}  # last drawn
        distance = np.linalg.norm(lab(seen(top["argmax"], vision)) - lab(seen(top["gold"], vision)))
        assert distance >= 20, (vision, distance)


def test_bars_use_the_colour_blind_safe_palette(tiny_bundle):
    trace = search.translate(tiny_bundle("dot"), "abc")
    okabe_ito = {
        figstyle.BLACK,
        figstyle.ORANGE,
        figstyle.SKY_BLUE,
        figstyle.GREEN,
        figstyle.BLUE,
        figstyle.VERMILLION,
    }
    okabe_ito |= {figstyle.YELLOW, figstyle.PURPLE, figstyle.GREY}
    figures = [
        plots.score_chart(trace, 0),
        plots.weight_chart(trace, 0, trace.weights[0], 2.0),
        plots.coverage_chart(trace, explain.coverage(trace)),
        plots.entropy_chart(trace, explain.entropy(trace)),
        plots.topk_chart(trace, 0),
        plots.training_chart([(0.5, 2.0)], [(1, 1.4, 97.5)], "bleu"),
    ]
    for fig in figures:
        for data in fig.data:
            color = data.marker.color if data.type == "bar" or data.mode == "markers" else data.line.color
            assert set(np.atleast_1d(color)) <= okabe_ito, (data.name, color)


def font_sizes(node, path: str = "") -> list[tuple[str, float]]:
    """Every font size set anywhere in a figure's JSON, with where."""
    out = []
    if isinstance(node, dict):
        for key, value in node.items():
            if "font" in key and isinstance(value, dict) and "size" in value:
                out.append((f"{path}.{key}", value["size"]))
            out += font_sizes(value, f"{path}.{key}")
    elif isinstance(node, list | tuple):
        for i, value in enumerate(node):
            out += font_sizes(value, f"{path}[{i}]")
    return out


def every_figure(trace):
    T = trace.num_steps
    merged = words.merge(trace)
    return [
        plots.alignment_heatmap(trace, mark_argmax=True, gold={(0, 0)}),
        plots.alignment_heatmap(trace, compact=True),
        plots.word_heatmap(trace, merged, mark_argmax=True),
        plots.score_chart(trace, 0),
        plots.weight_chart(trace, 0, trace.weights[0], 2.0),
        plots.topk_chart(trace, 0),
        plots.vector_strips([("a", np.ones(4))], title="t"),
        plots.coverage_chart(trace, explain.coverage(trace)),
        plots.entropy_chart(trace, np.zeros(T)),
        plots.bucket_chart(bucket_table()),
        plots.training_chart([(0.5, 2.0)], [(1, 1.4, 97.5)], "exact_match"),
    ]


def test_all_type_is_at_least_12_px(tiny_bundle):
    trace = search.translate(tiny_bundle("dot"), "hello world")
    for fig in every_figure(trace):
        spec = fig.to_plotly_json()
        sizes = font_sizes(spec)
        assert sizes and all(size >= 12 for _, size in sizes), sizes
        layout = spec["layout"]
        # Set explicitly: the Streamlit theme's template would otherwise draw ticks smaller.
        assert layout["font"]["size"] >= 12
        assert layout["xaxis"]["tickfont"]["size"] >= 12 and layout["yaxis"]["tickfont"]["size"] >= 12
        for data in spec["data"]:
            if data["type"] == "bar":
                assert data["textfont"]["size"] >= 12


# 25 words: what a projector at 1024x768 showed with overlapping source labels.
LONG = (
    "Die Bundesregierung hat gestern beschlossen, dass alle Schulen im ganzen Land ab nächster Woche "
    "wieder geöffnet werden, obwohl viele Eltern und Lehrer noch Sorgen haben."
)


def assert_no_overlap(axis, labels, width: float) -> None:
    """The shown labels, at the chart's assumed width, each get the room they need; none is lost."""
    n, shown = len(labels), list(axis.tickvals)
    step = shown[1] - shown[0] if len(shown) > 1 else 1
    assert shown == list(range(0, n, step))  # evenly thinned from the first
    assert list(axis.ticktext) == [plots.escape(labels)[i] for i in shown]
    if axis.tickangle == -90:
        pitch = figstyle.UPRIGHT  # a line's height each
    else:
        pitch = max(figstyle.text_width(label) for label in labels) + 8
    assert len(shown) * pitch <= width
    if step > 1:
        assert len(range(0, n, step - 1)) * pitch > width  # thinned no more than it has to be


def test_a_25_word_sentence_gets_upright_and_thinned_labels_that_do_not_overlap():
    assert len(LONG.split()) == 25
    trace = search.translate(load_model(ROOT / "models" / "de-en-dot"), LONG)
    src, tgt = trace.source_pieces, trace.target_pieces
    heat = plots.alignment_heatmap(trace)
    assert heat.layout.xaxis.tickangle == -90  # the words run upright
    assert_no_overlap(heat.layout.xaxis, src, figstyle.MAP_WIDTH)
    hover = {row[1] for row in heat.data[0].customdata[0]} | {c[0] for c in heat.data[0].customdata[0]}
    assert set(plots.escape(src)) <= hover  # every piece is still named, in the hover
    coverage = plots.coverage_chart(trace, explain.coverage(trace))
    assert coverage.layout.xaxis.tickangle == -90
    assert_no_overlap(coverage.layout.xaxis, src, figstyle.HALF_WIDTH)
    assert len(coverage.layout.xaxis.tickvals) < len(src)  # half a projector's width: thinned
    assert "1 label in" in coverage.layout.xaxis.title.text
    assert coverage.data[0].text is None  # 37 values do not fit over 180 px; the hover has them
    entropy = plots.entropy_chart(trace, explain.entropy(trace))
    assert_no_overlap(entropy.layout.xaxis, tgt, figstyle.HALF_WIDTH)
    for chart in (plots.score_chart(trace, 0), plots.weight_chart(trace, 0)):
        assert_no_overlap(chart.layout.xaxis, src, figstyle.WIDE_WIDTH)
    wide = plots.alignment_heatmap(trace, width=1200)  # room enough: every label
    assert list(wide.layout.xaxis.ticktext) == plots.escape(src)


def test_labels_stay_level_when_they_fit_and_rotation_would_not_help():
    level = figstyle.label_axis(["ab", "cd", "ef"], 300)
    assert level["tickangle"] == 0 and level["tickvals"] == [0, 1, 2]
    letters = figstyle.label_axis(list("abcdefghijklmnopqrstuvwxyz"), 120)  # upright letters are no narrower
    assert letters["tickangle"] == 0 and letters["tickvals"][:3] == [0, 4, 8]
    upright = figstyle.label_axis(["Bundesregierung", "beschlossen", "geöffnet"], 120)
    assert upright["tickangle"] == -90 and upright["tickvals"] == [0, 1, 2]
    assert figstyle.text_width("日本") == 2 * figstyle.FONT  # wide characters count a full em


def test_word_map_is_the_merged_matrix_with_its_pieces_in_the_hover():
    trace = search.translate(load_model(ROOT / "models" / "de-en-dot"), "Die Schulen sind geöffnet.")
    merged = words.merge(trace, "unigram", "unigram")
    fig = plots.word_heatmap(trace, merged, mark_argmax=True)
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), merged.weights)
    assert list(fig.layout.xaxis.ticktext) == plots.escape(merged.source_words)
    assert list(fig.layout.yaxis.ticktext) == plots.escape(merged.target_words)
    assert list(fig.data[1].x) == merged.weights.argmax(axis=1).tolist()
    several = next(j for j, g in enumerate(merged.source_groups) if len(g) > 1)
    assert "·" in fig.data[0].customdata[0][several][0]  # "Schulen (pieces Schul ·en)"
