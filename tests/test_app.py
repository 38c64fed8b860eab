"""The Streamlit app, run headless with AppTest: the page renders the engine's own numbers."""

import base64
import json
import os
import re
import string
import tomllib

import numpy as np
import pytest
from conftest import require_or_skip
from streamlit.testing.v1 import AppTest

from attnviz import evaluate, plots, search, tasks
from attnviz.checkpoint import load_model
from attnviz.tasks.ding import DING_PATH
from pages.loading import ROOT, available_models
from pages.text import download_name, literal, md, pharaoh_file, slug


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
    assert any("no-such-model" in unescaped(w.value) for w in at.warning)
    assert at.sidebar.selectbox[0].value in available_models()


def test_long_input_is_cut_with_a_message():
    bundle = shipped("dates-dot")
    long = " ".join(["26 nov 2026"] * 20)
    at = app(model="dates-dot", s=long)
    assert not at.exception
    assert any("cut" in w.value for w in at.warning)
    # 64 columns (only some labelled: 64 labels do not fit, see figstyle.label_axis)
    assert array(heatmap_spec(at)["data"][0]["z"]).shape[1] == bundle.config.max_src_len


def step_page(**query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update(query)
    at.switch_page("pages/step.py")
    return at.run()


def charts(at) -> list[dict]:
    """The plotly specs of a page (an AppTest) or of one of its blocks (a tab)."""
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def test_step_page_shows_the_trace_numbers_of_the_chosen_step():
    at = step_page(model="dates-dot", s="26 nov 2026", step="3")
    assert not at.exception
    trace = search.translate(shipped("dates-dot"), "26 nov 2026")
    t = 2
    hidden, scores, inputs, weights, context, concat, topk = charts(at.tabs[0])  # Decoder steps, not What if
    np.testing.assert_array_equal(array(hidden["data"][0]["z"])[0], trace.hidden[t])
    np.testing.assert_array_equal(array(inputs["data"][0]["z"])[0], trace.hidden[t])  # dot: s_t itself
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
    assert len(tables) == len(charts(at.tabs[0])) == 7  # one fallback per chart, in the same order
    hidden, scores, inputs, weights, context, concat, topk = tables
    np.testing.assert_array_equal(inputs.iloc[:, 1], trace.encoder_states[0])  # h_1, what s_t meets
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
    at.button[2].click().run()  # Next (button 0 is Play)
    assert at.query_params["step"] == ["2"] or at.query_params["step"] == "2"
    assert "Step 2 of" in at.subheader[0].value
    at.button[1].click().run()  # Previous
    assert "Step 1 of" in at.subheader[0].value


def test_what_if_temperature_is_marked_and_not_the_model():
    at = step_page(model="dates-dot", s="26 nov 2026", step="1")
    at.slider(key="temp0").set_value(3.0).run()
    weights = charts(at)[3]
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
    assert any("dates-dot" in unescaped(e.label) for e in at.expander)


def test_models_overview_reads_each_models_metrics():
    at = page("pages/models.py")
    assert not at.exception
    table = at.dataframe[0].value.set_index("model")
    models = available_models()
    assert set(table.index) == set(models)
    for name in table.index:
        if models[name].parent.name != "models":
            continue  # a model an earlier test kept in the user's folder: it may have no beam-5 score
        bundle = shipped(name)
        score = tasks.get(bundle.metrics["task"]).metric  # what the page shows: the task's own metric
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


# --- Item 6: user text is shown literally, never as Markdown -------------------------------------------

EVIL = "x' **Your session expired**: [sign in](https://example.com) ![x](http://127.0.0.1:9/evil.png)"


def unescaped(markdown: str) -> str:
    """What a `literal` text reads as on screen: the backslash escapes resolved, the word joiners
    invisible."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u2060", "")


@pytest.mark.parametrize(
    "text",
    [
        EVIL,
        "bare https://example.com www.example.com me@example.com mailto:me@example.com",
        "math $x^2$ $$y$$ \\(z\\) :red[red] :blue-background[b] :material/home: :smile: :streamlit: :+1:",
        "<b>html</b> <img src=x onerror=alert(1)> &amp; # head\n1. list\n> quote\n- item",
        "a -> b <- c <-> d -- e >= f <= g ~= h `code` ~~strike~~ _em_ \\*star\\* back\\slash",
    ],
)
def test_literal_escapes_every_markdown_construct(text):
    shown = literal(text)
    assert unescaped(shown) == " ".join(text.splitlines())  # the same text, on one line
    assert "\n" not in shown
    for i, c in enumerate(shown):  # every ASCII punctuation character is escaped
        if c in string.punctuation and c != "\\":
            assert shown[i - 1] == "\\", (c, shown[: i + 1])
    # The patterns Streamlit rewrites after escapes are resolved are broken up by a word joiner:
    plain = shown.replace("\\", "")
    for pattern in ("https://", "www.", "@example", ":smile:", ":streamlit:", " -> ", " >= "):
        assert pattern not in plain
    assert md("Model “{}”: {:.2f}", text, 1.234) == f"Model “{shown}”: 1.23"  # numbers stay numbers


def test_a_spoofed_message_in_the_url_is_shown_literally():
    at = app(model=EVIL, s="26 nov 2026")
    assert not at.exception
    warning = next(w.value for w in at.warning if "no model called" in w.value)
    assert unescaped(warning) == f"There is no model called “{EVIL}” here; showing the default model instead."
    assert "**Your" not in warning and "](" not in warning and "![" not in warning


def test_the_cut_warning_quotes_the_input_literally():
    evil = " ".join(["26 nov 2026 **bold** [a](https://example.com)"] * 10)
    at = app(model="dates-dot", s=evil)
    assert not at.exception
    warning = next(w.value for w in at.warning if "cut" in w.value)
    assert "\\*\\*bold\\*\\*" in warning and "](" not in warning


def test_odd_values_in_the_url_fall_back_with_an_escaped_message():
    at = app(model="dates-dot", s="26 nov 2026", beam="3", hyp=EVIL, argmax="**yes**")
    assert not at.exception
    said = [unescaped(w.value) for w in at.warning]
    assert any(EVIL in w and "Showing the best" in w for w in said)
    assert any("**yes**" in w for w in said)
    assert all("](" not in w.value for w in at.warning)
    assert at.radio[0].value == 0 and at.toggle[0].value is False
    at = page("pages/compare.py", model="de-en-dot", s="Ich habe keine Zeit.", cmp=[EVIL, "de-en-dot"])
    assert not at.exception
    assert at.multiselect[0].value == ["de-en-dot"]
    assert any(EVIL in unescaped(w.value) and "](" not in w.value for w in at.warning)


# --- Item 14: the smaller things -------------------------------------------------------------------------


def test_the_model_picker_shows_names_and_describes_the_choice_below():
    at = app(model="de-en-general", s="Ich habe keine Zeit.")
    picker = at.sidebar.selectbox[0]
    assert picker.options == list(available_models())  # short enough for the sidebar
    assert any(unescaped(c.value) == "German→English, general attention" for c in at.sidebar.caption)


def test_the_sentence_box_has_no_counter_over_its_text():
    at = app(model="dates-dot", s="26 nov 2026")
    box = at.text_input(key="sentence")
    assert box.proto.max_chars == 0  # the "160/2000" counter is drawn over the last word
    assert f"{search.MAX_INPUT_CHARS:,} characters" in box.proto.help
    at = app(model="dates-dot", s="x" * (search.MAX_INPUT_CHARS + 1))
    assert any("limit" in w.value for w in at.warning)  # the limit is still kept, in code


def test_the_examples_box_forgets_its_example_once_the_user_types():
    at = app(model="dates-dot")
    examples = at.selectbox(key="example").options
    at.selectbox(key="example").set_value(examples[1]).run()
    assert at.text_input(key="sentence").value == examples[1]
    at.text_input(key="sentence").set_value("1 jan 2000").run()
    assert at.selectbox(key="example").value is None
    assert at.code[0].value == search.translate(shipped("dates-dot"), "1 jan 2000").translation


def test_downloads_are_named_by_model_and_sentence():
    trace = search.translate(shipped("dates-dot"), "Thursday, 26 Nov 2026")
    assert download_name(trace, "json") == "attnviz-dates-dot-thursday-26-nov-2026.json"
    for odd in ("../../etc/passwd", "a/b\\c:d", "안녕하세요", "", "x" * 500, "Übung straße"):
        name = slug(odd)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name) and len(name) <= 40, name
    assert slug("Übung straße") == "ubung-strae"  # ascii letters kept where they exist


def test_the_pharaoh_file_names_its_pieces_and_keeps_the_links_parseable():
    trace = search.translate(shipped("dates-dot"), "26 nov 2026")
    text = pharaoh_file(trace)
    comments = [line for line in text.splitlines() if line.startswith("#")]
    links = [line for line in text.splitlines() if not line.startswith("#")]
    assert links == [trace.pharaoh()]
    assert all(re.fullmatch(r"\d+-\d+", link) for link in links[0].split())
    source = next(c for c in comments if c.startswith("# source pieces: ")).removeprefix("# source pieces: ")
    target = next(c for c in comments if c.startswith("# target pieces: ")).removeprefix("# target pieces: ")
    assert source.split() == [f"{i}:{p}" for i, p in enumerate(trace.source_pieces)]
    assert target.split() == [f"{j}:{p}" for j, p in enumerate(trace.target_pieces)]
    assert any("dates-dot" in c for c in comments)


def test_toolbar_is_for_viewers():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["toolbarMode"] in ("viewer", "minimal")  # no Deploy button


def test_the_app_requirements_leave_out_the_test_tools():
    app_reqs = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    dev = (ROOT / "requirements-dev.txt").read_text(encoding="utf-8").splitlines()
    names = {line.split("=")[0].strip() for line in app_reqs if line and not line.startswith("#")}
    assert not names & {"pytest", "ruff", "playwright"}
    dev_names = {line.split("==")[0].strip() for line in dev if line and not line.startswith("#")}
    assert "-r requirements.txt" in dev and {"pytest", "ruff", "playwright"} <= dev_names
    # Every requirement is pinned exactly (torch above all: a range would pull a multi-GB CUDA build).
    for line in app_reqs + dev:
        if line and not line.startswith(("#", "-")):
            assert "==" in line, f"not pinned: {line}"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    test_command = next(line for line in readme.splitlines() if "pytest" in line and "pip install" in line)
    assert "-r requirements-dev.txt" in test_command
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")  # CI runs it verbatim


# --- Item 9: the shareable URL restores what the user chose ------------------------------------------------


def test_translate_restores_hypothesis_and_argmax_from_the_url():
    at = page("pages/translate.py", model="dates-dot", s="26 nov 2026", beam="5", hyp="2", argmax="1")
    assert not at.exception
    best = search.translate(shipped("dates-dot"), "26 nov 2026", beam=5)
    assert at.radio[0].value == 1 and at.toggle[0].value is True
    np.testing.assert_array_equal(array(heatmap_spec(at)["data"][0]["z"]), best.hypotheses[1].weights)
    assert at.code[0].value == (best.hypotheses[1].translation or "(empty)")
    assert len(heatmap_spec(at)["data"]) > 1  # the argmax marks
    at.radio[0].set_value(2).run()
    at.toggle[0].set_value(False).run()
    assert at.query_params["hyp"] in ("3", ["3"]) and "argmax" not in at.query_params
    at.text_input(key="sentence").set_value("1 jan 2000").run()  # a new sentence starts on the best
    assert at.radio[0].value == 0 and "hyp" not in at.query_params


def test_compare_restores_models_and_reference_from_the_url():
    query = {"model": "de-en-dot", "s": "Ich habe keine Zeit.", "ref": "I have no time."}
    at = page("pages/compare.py", **query, cmp=["de-en-general", "de-en-dot"])
    assert not at.exception
    assert at.multiselect[0].value == ["de-en-general", "de-en-dot"]
    assert at.text_input(key="reference").value == "I have no time."
    assert [c.value for c in at.code] == [
        search.translate(shipped(n), "Ich habe keine Zeit.").translation
        for n in ("de-en-general", "de-en-dot")
    ]
    assert any("chrF" in c.value for c in at.caption)
    at.multiselect[0].unselect("de-en-general").run()
    assert at.query_params["cmp"] in ("de-en-dot", ["de-en-dot"])


def test_bottleneck_restores_its_sentence_from_the_url():
    at = page("pages/bottleneck.py", model="de-en-dot", long="Ich bin sehr müde.")
    assert not at.exception
    assert at.text_input(key="bottleneck_sentence").value == "Ich bin sehr müde."
    expected = search.translate(shipped("de-en-dot"), "Ich bin sehr müde.").translation
    assert expected in [c.value for c in at.code]


# ---------------------------------------------------------------- issue 12, item 3: input the model never saw


def test_capitals_in_a_caseless_task_are_read_in_lowercase():
    at = app(model="g2p-dot", s="Attention")
    assert not at.exception
    lower = search.translate(shipped("g2p-dot"), "attention")
    assert at.code[0].value == lower.translation  # not "T EH N SH AH N" from an unknown "A"
    assert "&lt;unk&gt;" not in heatmap_spec(at)["layout"]["xaxis"]["ticktext"]
    assert not at.warning and any("lowercase" in c.value for c in at.caption)


def test_korean_into_de_en_warns_and_marks_each_unknown_piece():
    korean = "안녕하세요 친구야 여기 있어"
    at = app(model="de-en-dot", s=korean)
    assert not at.exception
    trace = search.translate(shipped("de-en-dot"), korean)
    unknown = np.flatnonzero(trace.source_ids == 1).tolist()  # the tokenizer's unknown id
    assert len(unknown) >= 4
    said = " ".join(w.value for w in at.warning)
    assert f"{len(unknown)} of {len(trace.source_ids)} pieces are unknown" in said and "Hangul" in said
    boxes = heatmap_spec(at)["layout"]["shapes"]  # one dashed box per unknown column, over every row
    assert sorted(b["x0"] + 0.5 for b in boxes) == unknown
    assert all(b["line"]["dash"] == "dash" and b["y1"] - b["y0"] == trace.num_steps for b in boxes)


def test_a_sentence_into_the_dates_model_is_not_a_date():
    at = app(model="dates-dot", s="Ich habe keine Zeit.")
    assert not at.exception
    assert any("does not look like a date" in w.value for w in at.warning)
    assert not app(model="dates-dot", s="thursday, 26 nov 2026").warning


@pytest.mark.parametrize(
    ("path", "beam"), [("pages/translate.py", 1), ("pages/translate.py", 3), ("pages/step.py", 1)]
)
def test_the_confidence_shown_is_the_traces_own(path, beam):
    sentence = "Ich habe keine Zeit."
    at = page(path, model="de-en-dot", s=sentence, beam=str(beam))
    assert not at.exception
    trace = search.translate(shipped("de-en-dot"), sentence, beam=beam)
    caption = next(c.value for c in at.caption if "confidence" in c.value)
    found = re.search(
        r"probability ([0-9.e+-]+) over its (\d+) pieces; least sure at step (\d+).*p = ([0-9.e+-]+)", caption
    )
    assert found, caption
    mean, steps, step, least = found.groups()
    log_probs = trace.log_probs.astype(np.float64)
    assert float(mean) == pytest.approx(np.exp(log_probs.mean()), abs=5e-4)
    assert int(steps) == trace.num_steps and int(step) == int(log_probs.argmin()) + 1
    assert float(least) == pytest.approx(np.exp(log_probs.min()), abs=5e-4)


# ---------------------------------------------------------------- issue 12, item 13: no corpus installed


def test_the_paired_test_works_from_the_shipped_test_split_without_the_corpus(monkeypatch, tmp_path):
    from attnviz import tasks
    from pages import loading

    monkeypatch.setattr(tasks.ding, "DING_PATH", str(tmp_path / "no-trans-de-en"))
    loading._cached_paired_gap.clear()  # an earlier test may have computed it from the corpus
    at = page("pages/bottleneck.py", model="de-en-dot")
    next(t for t in at.toggle if t.key == "paired").set_value(True).run(timeout=600)
    assert not at.exception and not at.warning
    shown = next(d.value for d in at.dataframe if "paired 95% interval" in d.value.columns)
    # metrics.json was computed from the corpus: the shipped sentences give the same numbers.
    dot, none = (shipped(n).metrics["greedy"]["by_length"] for n in ("de-en-dot", "de-en-none"))
    buckets = [b for b in dot if dot[b]["n"] >= 20]
    assert [f"{b} words" for b in buckets] == list(shown["source length"])
    assert list(shown["sentences"]) == [dot[b]["n"] for b in buckets]
    np.testing.assert_allclose(shown["gap (BLEU)"], [dot[b]["bleu"] - none[b]["bleu"] for b in buckets])
    loading._cached_paired_gap.clear()  # not to be read by a later test with the corpus back


def test_the_train_page_says_before_any_click_that_de_en_data_is_missing(monkeypatch, tmp_path):
    from attnviz import tasks

    monkeypatch.setattr(tasks.ding, "DING_PATH", str(tmp_path / "no-trans-de-en"))
    at = page("pages/train.py")
    box = next(s for s in at.selectbox if s.key == "task")
    assert any("de-en" in o and "not installed" in o for o in box.options)
    box.set_value("de-en").run()
    assert not at.exception
    assert any("apt-get install trans-de-en" in i.value for i in at.info)
    assert not [b for b in at.button if b.label == "Start training"]


def test_the_word_map_is_the_merged_piece_map_and_the_pieces_have_a_key():
    from attnviz import words

    sentence = "Die Schulen sind geöffnet."
    at = page("pages/translate.py", model="de-en-dot", s=sentence)
    assert not at.exception
    assert any("·" in c.value and "␣" in c.value for c in at.caption)  # the key to the piece marks
    at.toggle(key="words").set_value(True).run()
    assert not at.exception
    trace = search.translate(shipped("de-en-dot"), sentence)
    merged = words.merge(trace)
    assert merged.weights.shape[1] < trace.weights.shape[1]  # "Schul ·en" became one word
    spec = heatmap_spec(at)
    np.testing.assert_allclose(array(spec["data"][0]["z"]), merged.weights, rtol=1e-6)
    assert spec["layout"]["xaxis"]["ticktext"] == plots.escape(merged.source_words)
    assert spec["layout"]["yaxis"]["ticktext"] == plots.escape(merged.target_words)
    assert at.query_params["words"] in ("1", ["1"])  # the link keeps the view


def test_a_reference_shows_its_forced_map_and_each_piece_s_probability():
    at = page("pages/translate.py", model="dates-dot", s="26 nov 2026", ref="2026-11-25")
    assert not at.exception
    forced = search.force(shipped("dates-dot"), "26 nov 2026", "2026-11-25")
    probs = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "reference-probs" in c.proto.id)
    fmap = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "reference-map" in c.proto.id)
    np.testing.assert_allclose(array(probs["data"][0]["y"]), np.exp(forced.log_probs), rtol=1e-6)
    np.testing.assert_array_equal(array(fmap["data"][0]["z"]), forced.weights)
    # The wrong day is the one piece the model would not write: hatched, its own choice named.
    hatched = [i for i, shape in enumerate(probs["data"][0]["marker"]["pattern"]["shape"]) if shape]
    assert [forced.target_pieces[i] for i in hatched] == ["5"]
    assert "prefers its own" in " ".join(c.value for c in at.caption)
    at.text_input(key="reference").set_value("").run()
    assert "ref" not in at.query_params


# --- Issue 13, item 2: one broken model in user_models/ is named with its reason; the rest still serve --


def _damage_weights(path, keep_checksum: bool, how: str) -> None:
    weights = path / "model.safetensors"
    data = weights.read_bytes()
    if how == "truncate":
        data = data[: len(data) // 2]
    else:  # flip the last bytes: tensor data, so the file still parses as safetensors
        data = data[:-100] + bytes(b ^ 0xFF for b in data[-100:])
    weights.write_bytes(data)
    if not keep_checksum:
        (path / "weights.sha256").unlink()  # as a model saved before checksums were recorded


def _edit_json(path, name: str, edit) -> None:
    data = json.loads((path / name).read_text(encoding="utf-8"))
    (path / name).write_text(json.dumps(edit(data)), encoding="utf-8")


def _set_model_size(data: dict) -> dict:
    data["model"]["hidden"] = 10**7
    return data


BROKEN = {  # name -> (damage, words the reason must hold)
    "broken-truncated": (lambda p: _damage_weights(p, False, "truncate"), "model.safetensors"),
    "broken-truncated-checked": (lambda p: _damage_weights(p, True, "truncate"), "damaged"),
    "broken-flipped": (lambda p: _damage_weights(p, True, "flip"), "do not match their checksum"),
    "broken-metrics": (lambda p: (p / "metrics.json").write_text("[1,2]"), "metrics.json must be a JSON"),
    "broken-info": (lambda p: _edit_json(p, "config.json", lambda c: {**c, "info": "oops"}), "info must be"),
    "broken-hidden": (lambda p: _edit_json(p, "config.json", _set_model_size), "hidden=10000000"),
    # The sidebar's and Compare's one-line summary read "train" before any loading (AttributeError).
    "broken-train": (lambda p: _edit_json(p, "config.json", lambda c: {**c, "train": "oops"}), "train"),
}


@pytest.fixture
def broken_models():
    """Every kind of damage, each in a copy of dates-dot in the user's models folder; removed after."""
    import shutil

    from attnviz.checkpoint import ModelError
    from pages.loading import USER_MODELS

    reasons = {}
    USER_MODELS.mkdir(parents=True, exist_ok=True)
    try:
        for name, (damage, words) in BROKEN.items():
            path = shutil.copytree(ROOT / "models" / "dates-dot", USER_MODELS / name)
            damage(path)
            with pytest.raises(ModelError) as err:
                load_model(path)
            assert words in str(err.value), (name, str(err.value))
            reasons[name] = str(err.value)
        yield reasons
    finally:
        for name in BROKEN:
            shutil.rmtree(USER_MODELS / name, ignore_errors=True)


def _lists_each_broken_model(at: AppTest, reasons: dict[str, str]) -> None:
    said = [unescaped(w.value) for w in at.warning]
    for name, reason in reasons.items():
        assert said.count(f"{name}: could not be loaded: {reason}") == 1, (name, said)


def test_the_models_page_lists_broken_models_with_their_reason_and_shows_the_others(broken_models):
    at = page("pages/models.py")
    assert not at.exception
    _lists_each_broken_model(at, broken_models)
    shipped_names = {p.name for p in (ROOT / "models").iterdir() if (p / "config.json").is_file()}
    table = at.dataframe[0].value.set_index("model")
    assert set(table.index) == set(available_models()) - set(broken_models) >= shipped_names
    assert shipped_names <= {unescaped(e.label) for e in at.expander}


def test_the_bottleneck_page_lists_broken_models_with_their_reason_and_compares_the_others(broken_models):
    at = page("pages/bottleneck.py", model="de-en-dot")
    assert not at.exception
    _lists_each_broken_model(at, broken_models)
    assert at.get("plotly_chart"), "the bucket chart of the shipped de-en models"
    assert any("What the bottleneck costs" in m.value for m in at.markdown)
    assert len(at.code) == 2  # the long sentence through de-en-dot and de-en-none


@pytest.mark.parametrize("name", list(BROKEN))
def test_picking_a_broken_model_says_why_it_cannot_be_used(broken_models, name):
    at = page("pages/translate.py", model=name, s="26 nov 2026")
    assert not at.exception
    assert any(broken_models[name] in unescaped(e.value) for e in at.error)
    assert name in at.sidebar.selectbox[0].options  # still listed, and the others with it
    at = page("pages/translate.py", model="dates-dot", s="26 nov 2026")
    assert not at.exception and at.code[0].value == "2026-11-26"


def test_compare_shows_a_broken_model_s_reason_in_its_column_and_the_others(broken_models):
    at = page("pages/compare.py", model="dates-dot", s="26 nov 2026", cmp=["dates-dot", "broken-info"])
    assert not at.exception
    assert any(broken_models["broken-info"] in unescaped(w.value) for w in at.warning)
    assert [c.value for c in at.code] == ["2026-11-26"]


@pytest.mark.parametrize("name", ["dates-dot", "de-en-none"])
def test_the_forced_decoding_words_fit_the_model(name: str):
    sentence, reference = ("26 nov 2026", "2026-11-25") if name == "dates-dot" else ("Ich bin müde.", "I am.")
    at = page("pages/translate.py", model=name, s=sentence, ref=reference)
    assert not at.exception
    said = next(m.value for m in at.markdown if "forced decoding" in m.value)
    maps = [c for c in at.get("plotly_chart") if "reference-map" in c.proto.id]
    if name == "de-en-none":
        assert "no attention" in said and "attention it uses" not in said and not maps
    else:
        assert "attention it uses" in said and len(maps) == 1
