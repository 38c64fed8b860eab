"""The Streamlit app, run headless with AppTest: the page renders the engine's own numbers."""

import base64
import json
import os

import numpy as np
import pytest
from conftest import require_or_skip
from streamlit.testing.v1 import AppTest

from attnviz import evaluate, plots, search
from attnviz.checkpoint import load_model
from attnviz.tasks import DING_PATH
from pages.common import ROOT, available_models


def app(**query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update(query)
    return at.run()


def page(path: str, **query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update(query)
    at.switch_page(path)
    return at.run()


def heatmap_spec(at: AppTest) -> dict:
    charts = at.get("plotly_chart")
    assert charts, "no plotly chart on the page"
    return json.loads(charts[0].proto.spec)


def array(value) -> np.ndarray:
    """Plotly writes numpy arrays as typed arrays: {"dtype": "f4", "bdata": base64, "shape": "T, S"}."""
    if isinstance(value, dict) and "bdata" in value:
        out = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        return out.reshape([int(n) for n in str(shape).split(",")]) if shape else out
    return np.asarray(value)


def shipped(name: str):
    return load_model(available_models()[name])


def test_translate_page_heatmap_equals_the_trace():
    at = app(model="dates-dot", s="thursday, 26 nov 2026")
    assert not at.exception
    trace = search.translate(shipped("dates-dot"), "thursday, 26 nov 2026")
    assert at.code[0].value == trace.translation == "2026-11-26"
    heat = heatmap_spec(at)["data"][0]
    np.testing.assert_array_equal(array(heat["z"]), trace.weights)
    layout = heatmap_spec(at)["layout"]
    assert layout["xaxis"]["ticktext"] == plots.escape(trace.source_pieces)
    assert layout["yaxis"]["ticktext"] == plots.escape(trace.target_pieces)
    assert layout["yaxis"]["ticktext"][-1] == "&lt;/s&gt;"  # shown as </s>, not read as a tag


def test_repeated_pieces_stay_distinct():
    at = app(model="dates-dot", s="11/11/11")
    heat = heatmap_spec(at)
    assert array(heat["data"][0]["x"]).tolist() == list(range(8))  # positions, not merged labels
    assert heat["layout"]["xaxis"]["ticktext"].count("1") == 6


@pytest.mark.parametrize(
    ("text", "kind", "needle"),
    [
        ("", "info", "Type a sentence"),
        ("   ", "info", "Type a sentence"),
        ("a\x00b", "warning", "binary"),
    ],
)
def test_bad_input_gives_a_message_not_an_exception(text, kind, needle):
    at = app(model="dates-dot", s=text)
    assert not at.exception
    assert any(needle in m.value for m in getattr(at, kind))


BAD_INPUTS = [
    "",
    "a\x00b",  # a NUL: binary
    "x" * 5000,  # over the input limit (the URL is not bound by the box's max_chars)
    "<img src=x onerror=alert(1)> **bold** [link](http://x)",
    "\u202eIch\u200b bin \U0001f600 m\u0075\u0308de \ufffd\u0301",  # RTL override, zero width, emoji, NFD
    "\u200b\u0301",  # nothing visible at all
]


@pytest.mark.parametrize("path", ["pages/translate.py", "pages/step.py", "pages/compare.py"])
@pytest.mark.parametrize("text", BAD_INPUTS, ids=["empty", "nul", "huge", "html", "unicode", "invisible"])
def test_every_sentence_page_survives_bad_input(path, text):
    at = page(path, model="de-en-dot", s=text)
    assert not at.exception
    said = [m.value for kind in ("info", "warning", "error") for m in getattr(at, kind)]
    assert at.code or said, "the page shows a translation or says why not"


@pytest.mark.parametrize("text", BAD_INPUTS, ids=["empty", "nul", "huge", "html", "unicode", "invisible"])
def test_the_bottleneck_sentence_survives_bad_input(text):
    at = page("pages/bottleneck.py", model="de-en-dot")
    box = next(t for t in at.text_input if t.key == "bottleneck_sentence")
    box.set_value(text).run()
    assert not at.exception


def test_unknown_characters_show_as_the_unknown_piece():
    at = app(model="de-en-dot", s="Ich 😀 bin ☃ müde")
    assert not at.exception
    source = heatmap_spec(at)["layout"]["xaxis"]["ticktext"]
    assert source.count("&lt;unk&gt;") == 2 and "müde" in source  # drawn as <unk>, the rest as typed


def test_html_is_shown_literally():
    at = app(model="dates-dot", s="<script>alert(1)</script> **bold**")
    assert not at.exception
    assert at.text_input[0].value == "<script>alert(1)</script> **bold**"
    # The translation sits in a code block: shown as text, never rendered as HTML or Markdown.
    assert at.code


def test_unknown_model_in_the_url_falls_back_with_a_message():
    at = app(model="no-such-model", s="26 nov 2026")
    assert not at.exception
    assert any("no-such-model" in w.value for w in at.warning)
    assert at.sidebar.selectbox[0].value in available_models()


def test_long_input_is_cut_with_a_message():
    bundle = shipped("dates-dot")
    long = " ".join(["26 nov 2026"] * 20)
    at = app(model="dates-dot", s=long)
    assert not at.exception
    assert any("cut" in w.value for w in at.warning)
    assert len(heatmap_spec(at)["layout"]["xaxis"]["ticktext"]) == bundle.config.max_src_len


def step_page(**query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update(query)
    at.switch_page("pages/step.py")
    return at.run()


def charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def test_step_page_shows_the_trace_numbers_of_the_chosen_step():
    at = step_page(model="dates-dot", s="26 nov 2026", step="3")
    assert not at.exception
    trace = search.translate(shipped("dates-dot"), "26 nov 2026")
    t = 2
    hidden, scores, weights, context, concat, topk = charts(at)
    np.testing.assert_array_equal(array(hidden["data"][0]["z"])[0], trace.hidden[t])
    np.testing.assert_array_equal(array(scores["data"][0]["y"]), trace.scores[t])
    np.testing.assert_array_equal(array(weights["data"][0]["y"]), trace.weights[t])
    strips = array(context["data"][0]["z"])
    np.testing.assert_allclose(strips[:-1].sum(axis=0), trace.context[t], atol=1e-5)  # the sum is visible
    np.testing.assert_array_equal(strips[-1], trace.context[t])
    np.testing.assert_array_equal(array(concat["data"][0]["z"])[2], trace.attentional[t])
    np.testing.assert_array_equal(array(topk["data"][0]["x"]), trace.topk_probs[t])
    assert f"Step 3 of {trace.num_steps}" in at.subheader[0].value


def test_every_step_chart_has_a_table_with_its_numbers():
    at = step_page(model="dates-dot", s="26 nov 2026", step="3")
    trace, t = search.translate(shipped("dates-dot"), "26 nov 2026"), 2
    tables = [d.value for d in at.tabs[0].dataframe]  # the Decoder steps tab, not the Sandbox
    assert len(tables) == len(charts(at)) == 6  # one fallback per chart, in the same order
    hidden, scores, weights, context, concat, topk = tables
    np.testing.assert_array_equal(hidden.iloc[:, 0], trace.hidden[t])
    np.testing.assert_array_equal(scores["score"], trace.scores[t])
    np.testing.assert_array_equal(weights["weight"], trace.weights[t])
    np.testing.assert_array_equal(context.iloc[:, -1], trace.context[t])
    np.testing.assert_array_equal(concat.iloc[:, 2], trace.attentional[t])
    np.testing.assert_array_equal(topk["probability"], trace.topk_probs[t])


@pytest.mark.parametrize("name", ["dates-dot", "de-en-dot"])
def test_step_page_says_when_the_output_layer_is_the_embedding_matrix(name: str):
    at = step_page(model=name, s="26 nov 2026" if name == "dates-dot" else "Ich bin müde.")
    assert not at.exception
    said = any("tied" in c.value for c in at.caption)
    assert said == shipped(name).config.tie_output


def test_step_buttons_move_and_the_url_follows():
    at = step_page(model="dates-dot", s="26 nov 2026", step="1")
    at.button[1].click().run()  # Next
    assert at.query_params["step"] == ["2"] or at.query_params["step"] == "2"
    assert "Step 2 of" in at.subheader[0].value
    at.button[0].click().run()  # Previous
    assert "Step 1 of" in at.subheader[0].value


def test_what_if_temperature_is_marked_and_not_the_model():
    at = step_page(model="dates-dot", s="26 nov 2026", step="1")
    at.slider(key="temp0").set_value(3.0).run()
    weights = charts(at)[2]
    assert len(weights["data"]) == 2 and "what-if" in weights["data"][1]["name"]
    trace = search.translate(shipped("dates-dot"), "26 nov 2026")
    np.testing.assert_array_equal(array(weights["data"][0]["y"]), trace.weights[0])  # model unchanged


def test_sandbox_opens_on_the_lecture_example():
    at = step_page(model="dates-dot", s="26 nov 2026")
    formula = at.latex[-2].value  # the sandbox softmax (the last formula is the weighted sum)
    assert "softmax}(7, 1, -1, -2) = (0.997, 0.00247, 0.000334, 0.000123)" in formula
    at.text_input(key="sandbox_scores").set_value("1, 1").run()
    assert "= (0.5, 0.5)" in at.latex[-2].value
    at.text_input(key="sandbox_scores").set_value("a, b").run()
    assert not at.exception and any("numbers" in w.value for w in at.warning)


def test_beam_alternatives_each_show_their_own_map():
    at = page("pages/translate.py", model="dates-dot", s="26 nov 2026", beam="3")
    assert not at.exception
    best = search.translate(shipped("dates-dot"), "26 nov 2026", beam=3)
    assert len(at.radio[0].options) == len(best.hypotheses) > 1
    at.radio[0].set_value(1).run()
    np.testing.assert_array_equal(array(heatmap_spec(at)["data"][0]["z"]), best.hypotheses[1].weights)
    assert at.code[0].value == (best.hypotheses[1].translation or "(empty)")


def test_coverage_and_entropy_charts_match_the_trace():
    at = page("pages/translate.py", model="dates-dot", s="11/26/26")
    trace = search.translate(shipped("dates-dot"), "11/26/26")
    _, coverage, entropy = charts(at)
    np.testing.assert_allclose(array(coverage["data"][0]["y"]), trace.weights.sum(axis=0), rtol=1e-6)
    assert array(entropy["data"][0]["y"]).shape == (trace.num_steps,)


def test_compare_page_shows_one_column_per_model_with_reference_scores():
    at = page("pages/compare.py", model="dates-dot", s="26 nov 2026")
    assert not at.exception
    at.text_input[-1].set_value("2026-11-26").run()
    assert any("chrF" in c.value for c in at.caption)


def test_compare_page_maps_equal_each_models_trace():
    sentence = "Ich habe keine Zeit."
    at = page("pages/compare.py", model="de-en-dot", s=sentence)
    assert not at.exception
    family = ["de-en-concat", "de-en-dot", "de-en-general", "de-en-none"]
    assert at.multiselect[0].value == family
    maps = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    with_attention = [n for n in family if n != "de-en-none"]
    assert len(maps) == len(with_attention)  # the no-attention model has no map, and says so
    assert any("one fixed latent vector" in i.value for i in at.info)
    for name, spec in zip(with_attention, maps, strict=True):
        trace = search.translate(shipped(name), sentence)
        np.testing.assert_array_equal(array(spec["data"][0]["z"]), trace.weights)
        assert spec["data"][0]["showscale"] is False  # one scale, stated once in the caption
        assert spec["layout"]["xaxis"]["ticktext"] == plots.escape(trace.source_pieces)
    tables = [d.value for d in at.dataframe]  # each map's "show as table", the same weights
    assert len(tables) == len(maps)
    for name, table in zip(with_attention, tables, strict=True):
        np.testing.assert_allclose(table.to_numpy(), search.translate(shipped(name), sentence).weights)
    translations = [c.value for c in at.code]
    assert translations == [search.translate(shipped(n), sentence).translation for n in family]


def test_bottleneck_and_models_pages_render():
    at = page("pages/bottleneck.py", model="dates-dot")
    assert not at.exception
    at = page("pages/models.py")
    assert not at.exception
    assert any("dates-dot" in e.label for e in at.expander)


def test_models_overview_reads_each_models_metrics():
    at = page("pages/models.py")
    assert not at.exception
    table = at.dataframe[0].value.set_index("model")
    assert set(table.index) == set(available_models())
    for name in table.index:
        bundle = shipped(name)
        score = "bleu" if bundle.metrics["task"] == "de-en" else "exact_match"
        assert table.loc[name, "greedy"] == bundle.metrics["greedy"][score]
        assert table.loc[name, "beam 5"] == bundle.metrics["beam5"][score]
        assert table.loc[name, "parameters"] == sum(p.numel() for p in bundle.model.parameters())


def test_the_paired_test_of_the_gap_equals_evaluate():
    require_or_skip(os.path.exists(DING_PATH), f"{DING_PATH} not installed (trans-de-en)")
    at = page("pages/bottleneck.py", model="de-en-dot")
    assert not [d for d in at.dataframe if "paired 95% interval" in d.value.columns], "only on request"
    next(t for t in at.toggle if t.key == "paired").set_value(True).run()
    assert not at.exception
    shown = next(d.value for d in at.dataframe if "paired 95% interval" in d.value.columns)
    gap = evaluate.paired_gap(shipped("de-en-dot"), shipped("de-en-none"))
    rows = [row for row in gap.values() if row["gap_ci"] is not None]
    assert list(shown["sentences"]) == [row["n"] for row in rows]
    np.testing.assert_allclose(shown["gap (BLEU)"], [row["gap"] for row in rows])
    intervals = [f"{r['gap_ci'][0]:+.2f} to {r['gap_ci'][1]:+.2f}" for r in rows]
    assert list(shown["paired 95% interval"]) == intervals
    assert list(shown["attention better?"]) == ["yes" if r["gap_ci"][0] > 0 else "not shown" for r in rows]


def test_every_figure_saves_as_the_format_chosen_in_the_sidebar():
    at = app(model="dates-dot", s="26 nov 2026")
    at.switch_page("pages/step.py")
    at.run()
    charts = at.get("plotly_chart")
    assert len(charts) >= 5
    formats = {json.loads(c.proto.config)["toImageButtonOptions"]["format"] for c in charts}
    assert formats == {"png"}
    at.sidebar.radio[0].set_value("svg").run()
    charts = at.get("plotly_chart")
    options = [json.loads(c.proto.config)["toImageButtonOptions"] for c in charts]
    assert {o["format"] for o in options} == {"svg"}
    assert len({o["filename"] for o in options}) == len(options), "each figure saves under its own name"


def test_bottleneck_table_is_read_from_the_metrics_files():
    at = page("pages/bottleneck.py", model="de-en-dot")
    assert not at.exception
    dot, none = shipped("de-en-dot").metrics, shipped("de-en-none").metrics
    table = next(d.value for d in at.dataframe if "gap" in d.value.columns)
    for _, row in table.iterrows():
        bucket = row["source length"].removesuffix(" words")
        assert row["sentences"] >= 20 and row["sentences"] == dot["greedy"]["by_length"][bucket]["n"]
        assert row["with attention (dot)"] == dot["greedy"]["by_length"][bucket]["bleu"]
        assert row["without attention"] == none["greedy"]["by_length"][bucket]["bleu"]
    spec = heatmap_spec(at)  # the bucket chart: one series per de-en model
    assert {d["name"] for d in spec["data"]} >= {"de-en-dot", "de-en-none"}
    bars = next(d for d in spec["data"] if d["name"] == "de-en-none")
    buckets = none["greedy"]["by_length"].values()
    tops = array(bars["y"]) + array(bars["error_y"]["array"])
    bottoms = array(bars["y"]) - array(bars["error_y"]["arrayminus"])
    intervals = [b["bleu_ci"] or [b["bleu"]] * 2 for b in buckets]  # no whiskers where there is none
    np.testing.assert_allclose(tops, [high for _, high in intervals])  # whiskers: the intervals
    np.testing.assert_allclose(bottoms, [low for low, _ in intervals])
    assert any(b["bleu_ci"] is None for b in buckets) and any(b["bleu_ci"] for b in buckets)
    assert any("95% interval lies wholly above" in m.value for m in at.markdown)
