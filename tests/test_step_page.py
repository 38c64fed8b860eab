"""The Step page's numbers, recomputed from what it shows: each scoring function's own inputs give back
every displayed score; and the Sandbox's lecture example and odd input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from test_app import array, shipped

from attnviz import search
from attnviz.checkpoint import save_model
from pages.loading import ROOT, USER_MODELS


def step_page(**query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params.update(query)
    at.switch_page("pages/step.py")
    return at.run()


def chart_by_key(at: AppTest, key: str) -> dict:
    """The plotly spec of the chart drawn with `key` (Streamlit puts the user key into the element id)."""
    found = [c for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}") or key in c.proto.id]
    assert len(found) == 1, f"{len(found)} charts with key {key!r}"
    return json.loads(found[0].proto.spec)


def shown_rows(spec: dict) -> tuple[list[str], np.ndarray]:
    """A vector-strip chart's row labels and its (rows, H) numbers, as drawn."""
    heat = spec["data"][0]
    return spec["layout"]["yaxis"]["ticktext"], array(heat["z"])


@pytest.fixture(scope="module")
def scaled_dot_model(tiny_bundle) -> str:
    """A tiny scaled-dot model saved where the app finds user models (none ships)."""
    bundle = tiny_bundle("scaled_dot")
    save_model(USER_MODELS / "tiny-scaled_dot", bundle)
    return "tiny-scaled_dot"


CASES = {
    "dot": ("dates-dot", "26 nov 2026"),
    "general": ("de-en-general", "Ich habe keine Zeit."),
    "concat": ("de-en-concat", "Ich habe keine Zeit."),
}


@pytest.mark.parametrize("kind", ["dot", "general", "concat", "scaled_dot"])
def test_every_displayed_score_is_recomputed_from_the_displayed_inputs(kind: str, request) -> None:
    if kind == "scaled_dot":
        name, sentence = request.getfixturevalue("scaled_dot_model"), "hello world"
    else:
        name, sentence = CASES[kind]
    at = step_page(model=name, s=sentence, step="2")
    assert not at.exception
    t = 1
    scores = array(chart_by_key(at, f"scores{t}")["data"][0]["y"])  # what the score chart shows
    words = next(m.value for m in at.markdown if m.value.startswith("**2. Scores**"))
    definition = at.latex[1].value
    if kind == "concat":
        labels, inputs = shown_rows(chart_by_key(at, f"scoreinputs{t}-0"))
        tanh_labels, features = shown_rows(chart_by_key(at, f"scoreinputs{t}-1"))
        assert labels[0] == "W_s s2" and tanh_labels[-1] == "v"
        query, keys = inputs[0], inputs[1:]
        *rows, v = features
        # The tanh rows are the sum of the two sides through tanh, and v reads them out.
        np.testing.assert_allclose(np.stack(rows), np.tanh(query[None, :] + keys), atol=1e-5)
        recomputed = np.stack(rows) @ v
        assert "tanh" in words and "v^\\top \\tanh(W_s s_{2} + W_h h_i + b)" in definition
    else:
        labels, inputs = shown_rows(chart_by_key(at, f"scoreinputs{t}-0"))
        query, keys = inputs[0], inputs[1:]
        assert labels[0] == "s2"
        recomputed = keys @ query
        if kind == "scaled_dot":
            H = len(query)
            assert f"√H (H = {H}" in words and f"\\sqrt{{{H}}}" in definition
            recomputed = recomputed / np.sqrt(H)
        if kind == "general":
            assert labels[1].startswith("W h1") and "s_{2}^\\top (W h_i)" in definition
        if kind == "dot":
            assert "dot product" in words and "s_{2}^\\top h_i" in definition
    assert len(keys) == len(scores)
    axis = chart_by_key(at, f"scores{t}")["layout"]["yaxis"]["title"]["text"]
    assert axis == {"dot": "score s·h", "general": "score s·(W h)", "scaled_dot": "score s·h / √H"}.get(
        kind, "score v·tanh(W_s s + W_h h + b)"
    )
    np.testing.assert_allclose(recomputed, scores, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kind", ["general", "concat"])
def test_the_shown_inputs_are_the_model_s_own_projections(kind: str) -> None:
    """W h_i (general) and W_h h_i + b, W_s s_t (concat) come from the model's own matrices."""
    name, sentence = CASES[kind]
    bundle = shipped(name)
    trace = search.translate(bundle, sentence)
    score = bundle.model.decoder.attention.score
    if kind == "general":
        W = score.W.weight.detach().numpy()
        np.testing.assert_allclose(trace.score_keys, trace.encoder_states @ W.T, atol=1e-4)
        assert not np.allclose(trace.scores, trace.hidden @ trace.encoder_states.T, atol=1.0)
    else:
        W_h, b = score.W_h.weight.detach().numpy(), score.W_h.bias.detach().numpy()
        W_s = score.W_s.weight.detach().numpy()
        np.testing.assert_allclose(trace.score_keys, trace.encoder_states @ W_h.T + b, atol=1e-4)
        np.testing.assert_allclose(trace.score_queries, trace.hidden @ W_s.T, atol=1e-4)
        np.testing.assert_array_equal(trace.score_v, score.v.weight.detach().numpy()[0])


def test_the_no_attention_model_has_no_score_step() -> None:
    at = step_page(model="de-en-none", s="Ich habe keine Zeit.", step="1")
    assert not at.exception
    assert not any(m.value.startswith("**2. Scores**") for m in at.markdown)
    assert any("no attention" in i.value for i in at.info)


def test_sandbox_says_the_lecture_weights_are_not_the_softmax() -> None:
    at = step_page(model="dates-dot", s="26 nov 2026")
    note = " ".join(i.value for i in at.info)
    assert "0.85, 0.08, 0.04, 0.03" in note and "not their softmax" in note
    assert "(0.997, 0.0025, 0.0003, 0.0001)" in note
    at.text_input(key="sandbox_scores").set_value("1, 2").run()
    assert not any("not their softmax" in i.value for i in at.info)  # only about the lecture's scores


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        ("1e400, 2", "1e400 is not a finite number"),
        ("nan, 1", "nan is not a finite number"),
        ("", "at least"),
    ],
)
def test_sandbox_says_why_it_shows_nothing(raw: str, said: str) -> None:
    at = step_page(model="dates-dot", s="26 nov 2026")
    at.text_input(key="sandbox_scores").set_value(raw).run()
    assert not at.exception
    assert any(said in w.value for w in at.warning), [w.value for w in at.warning]


def test_sandbox_scores_and_temperature_live_in_the_url() -> None:
    at = step_page(model="dates-dot", s="26 nov 2026", scores="3, 2, 1", stemp="2")
    assert "softmax}(3, 2, 1)" in at.latex[-2].value
    assert at.slider(key="sandbox_temp").value == 2.0
    at.text_input(key="sandbox_scores").set_value("5, 0").run()
    assert at.query_params["scores"] in (["5, 0"], "5, 0")


@pytest.mark.parametrize("step", ["%C2%B2", "²", "9" * 5000, "-3", "abc"])
def test_odd_step_values_in_the_url_open_the_first_step(step: str) -> None:
    at = step_page(model="dates-dot", s="26 nov 2026", step=step)
    assert not at.exception
    assert "Step 1 of" in at.subheader[0].value


def test_long_formulas_wrap_onto_lines() -> None:
    """A formula of many numbers is broken into lines (aligned), so it does not run off a projector."""
    sentence = "Ich habe keine Zeit, weil ich heute sehr viel arbeiten muss."
    at = step_page(model="de-en-dot", s=sentence, step="2")
    formulas = [f.value for f in at.latex]
    softmax = next(f for f in formulas if "softmax" in f)
    assert "\\begin{aligned}" in softmax and "\\\\" in softmax


def test_the_what_if_temperature_lives_in_the_url() -> None:
    at = step_page(model="dates-dot", s="26 nov 2026", step="2", temp="2.5")
    assert at.slider(key="temp1").value == 2.5
    weights = chart_by_key(at, "weights1")
    assert len(weights["data"]) == 2 and "2.5" in weights["data"][1]["name"]
    at.slider(key="temp1").set_value(1.0).run()
    assert "temp" not in at.query_params
    at.slider(key="temp1").set_value(0.5).run()
    assert at.query_params["temp"] in (["0.5"], "0.5")


@pytest.mark.parametrize("temp", ["abc", "1e400", "-3", "nan"])
def test_odd_temperatures_in_the_url_are_clamped_or_ignored(temp: str) -> None:
    at = step_page(model="dates-dot", s="26 nov 2026", step="2", temp=temp, stemp=temp, speed=temp)
    assert not at.exception
    assert 0.1 <= at.slider(key="temp1").value <= 5.0


def test_presentation_mode_enlarges_type_and_lives_in_the_url() -> None:
    from pages.layout import PRESENT_CSS, PRESENT_FONT

    at = step_page(model="dates-dot", s="26 nov 2026", step="2", present="1")
    assert not at.exception
    assert at.toggle(key="present").value
    styles = " ".join(h.proto.body for h in at.get("html"))
    assert PRESENT_CSS in styles
    spec = chart_by_key(at, "scores1")
    assert spec["layout"]["xaxis"]["tickfont"]["size"] >= PRESENT_FONT - 2
    # (AppTest runs app.py's frame, where the switch lives, on the first run only: the browser test
    # turns it off by hand.)
    plain = step_page(model="dates-dot", s="26 nov 2026", step="2")
    assert not plain.toggle(key="present").value
    assert PRESENT_CSS not in " ".join(h.proto.body for h in plain.get("html"))
    assert chart_by_key(plain, "scores1")["layout"]["xaxis"]["tickfont"]["size"] < PRESENT_FONT - 2


def test_the_page_speaks_korean() -> None:
    """With lang=ko the page's own text is Korean (model names, pieces, numbers and formulas are not)."""
    at = step_page(model="dates-dot", s="26 nov 2026", step="2", lang="ko")
    assert not at.exception
    assert [t.value for t in at.title] == ["단계별 보기"]
    assert [t.label for t in at.tabs] == ["디코더 단계", "만약에", "실습장"]
    assert at.subheader[0].value.startswith("전체 ") and "중 2단계" in at.subheader[0].value
    assert any(m.value.startswith("**2. 점수** - 디코더 상태와") for m in at.markdown)  # explain.py too
    assert at.slider(key="temp1").label == "가정 온도 (모델의 출력이 아님)"
    assert at.select_slider(key="speed").label == "단계당 초"
    assert list(at.tabs[0].dataframe[1].value.columns) == ["조각", "점수"]
    assert at.text_input(key="sandbox_scores").label == "점수 (쉼표로 구분)"
    assert at.slider(key="sandbox_temp").label == "온도"
    note = " ".join(i.value for i in at.info)
    assert "소프트맥스가 아닙니다" in note and "(0.997, 0.0025, 0.0003, 0.0001)" in note
