"""The Lecture walk-through: its new explain functions give back the Trace's numbers from the model's own
weights, and the page walks every stage in English and Korean, for dot, concat, scaled-dot and no-attention
models, with odd URL values said."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest
from test_app import BAD_INPUTS, shipped
from test_params import ODD, open_page, said_about

from attnviz import explain, search
from attnviz.checkpoint import save_model
from pages.loading import USER_MODELS

DATES = ("dates-dot", "26 nov 2026")
DE = "Ich habe keine Zeit."


def lecture_page(**query) -> AppTest:
    return open_page("pages/lecture.py", **query)


def heading(at: AppTest) -> str:
    return at.subheader[0].value


@pytest.fixture(scope="module")
def dates():
    bundle = shipped("dates-dot")
    return bundle, search.translate(bundle, DATES[1])


def test_h0d_is_the_bridge_of_both_directions_not_the_last_encoder_state(dates) -> None:
    bundle, trace = dates
    model = bundle.model
    with torch.no_grad():
        ids = torch.from_numpy(trace.source_ids)[None]
        states, final = model.encoder(ids, torch.tensor([ids.size(1)]))
    # bridge_input is exactly what the encoder hands the bridge: h_S's forward half, h_1's backward half.
    np.testing.assert_allclose(explain.bridge_input(trace), final[0].numpy(), atol=1e-6)
    np.testing.assert_allclose(explain.bridge_recompute(trace, model), trace.latent, atol=1e-5)
    assert np.abs(trace.latent - trace.encoder_states[-1]).max() > 0.1  # not the last state itself


def test_decoder_state_attentional_vector_and_next_piece_recomputed_from_the_model(dates) -> None:
    bundle, trace = dates
    model = bundle.model
    for t in range(trace.num_steps):
        np.testing.assert_allclose(explain.gru_recompute(trace, model, t), trace.hidden[t], atol=1e-5)
        np.testing.assert_allclose(
            explain.attentional_recompute(trace, model, t), trace.attentional[t], atol=1e-5
        )
        probs = explain.vocab_recompute(trace, model, t)
        np.testing.assert_allclose(probs[trace.topk_ids[t]], trace.topk_probs[t], atol=1e-5)
        assert int(probs.argmax()) == int(trace.target_ids[t])  # greedy emits the most probable piece
        np.testing.assert_allclose(trace.weights[t] @ trace.encoder_states, trace.context[t], atol=1e-5)
    assert explain.lecture_previous(trace, 0) == "<START>"
    assert explain.lecture_previous(trace, 2) == trace.target_pieces[1]


def test_lecture_formulas_carry_the_traces_numbers(dates) -> None:
    _, trace = dates
    t = 1
    context = explain.lecture_context_formula(trace, t)
    top = int(trace.weights[t].argmax())
    assert f"{explain.fmt(float(trace.weights[t, top]))}\\, h^e_{{{top + 1}}}" in context
    assert "h^d" not in context  # the lecture's slip (h_1^d in the sum) is not repeated
    scores = explain.lecture_score_formula(trace, t)
    best = int(trace.scores[t].argmax())
    assert f"h^e_{{{best + 1}}}" in scores and explain.fmt(float(trace.scores[t, best])) in scores
    assert explain.lecture_score_definition(trace, t) == "\\operatorname{score}_i = (h^d_{2})^\\top h^e_i"
    assert "e(\\text{<START>})" in explain.lecture_hidden_formula(trace, 0)


def test_the_page_walks_every_stage_with_next_and_back_with_previous() -> None:
    at = lecture_page(model=DATES[0], s=DATES[1])
    assert not at.exception
    seen = []
    for _ in range(10):
        seen.append((at.query_params["stage"], at.query_params["step"], heading(at).split(".")[0]))
        at.button(key="lec_next").click().run()
        assert not at.exception
    stages = [(str(s), "1", str(s)) for s in range(1, 10)] + [("3", "2", "3")]
    assert seen == stages  # after stage 9 comes stage 3 of the next step
    assert "Stage 4 of 9, decoder step 2" in at.get("progress")[0].proto.text
    at.button(key="lec_prev").click().run().button(key="lec_prev").click().run()
    assert (at.query_params["stage"], at.query_params["step"]) == ("9", "1")
    assert at.button(key="lec_next").proto.disabled is False


def test_every_stage_of_a_dot_model_shows_its_numbers() -> None:
    bundle = shipped("dates-dot")
    trace = search.translate(bundle, DATES[1])
    texts = {}
    for stage in range(1, 10):
        at = lecture_page(model=DATES[0], s=DATES[1], stage=str(stage), step="1")
        assert not at.exception and not at.warning
        assert heading(at).startswith(f"{stage}.")
        texts[stage] = " ".join(m.value for m in [*at.markdown, *at.caption, *at.info, *at.latex])
    assert "h₀ᵈ is not h₁₁ᵉ" in texts[2] and "bridge" in texts[2]
    assert "&lt;START&gt;" in texts[3] or "<START>" in texts[3] or "\\<START\\>" in texts[3]
    assert "As in the lecture" in texts[4]
    assert "0.85, 0.08, 0.04, 0.03" in texts[5] and "0.9971, 0.0025, 0.0003, 0.0001" in texts[5]
    assert "slip" in texts[6]
    assert "W_c" in texts[7]
    assert literal_piece(trace.target_pieces[0]) in texts[8]
    assert "Greedy decoding" in texts[9] and literal_piece(trace.target_pieces[0]) in texts[9]
    # Every recomputation matches the Trace to float32 rounding.
    diffs = [float(d) for d in re.findall(r"largest difference ([0-9.e+-]+)\.", " ".join(texts.values()))]
    assert len(diffs) == 5 and max(diffs) < 1e-5


def literal_piece(piece: str) -> str:
    from pages.text import literal

    return literal(piece)


def test_the_softmax_stage_links_to_the_sandbox() -> None:
    at = lecture_page(model=DATES[0], s=DATES[1], stage="5")
    links = at.get("page_link")
    assert any(link.proto.page == "pages/step.py" or "step" in link.proto.page for link in links)


def test_all_stages_at_once() -> None:
    at = lecture_page(model=DATES[0], s=DATES[1], all="1")
    assert [h.value.split(".")[0] for h in at.subheader] == [str(s) for s in range(1, 10)]
    at = lecture_page(model=DATES[0], s=DATES[1], all="1", step="2")
    assert [h.value.split(".")[0] for h in at.subheader] == [str(s) for s in range(3, 10)]
    assert at.query_params["all"] == "1"


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ({"stage": "abc"}, "is not a whole number"),
        ({"stage": "12"}, "is not between 1 and 9"),
        ({"step": "0"}, "is not between 1 and"),
        ({"step": "99999999999999"}, "too many digits"),
        ({"all": "yes"}, "is not 0 or 1"),
    ],
)
def test_odd_url_values_are_said(query, said) -> None:
    at = lecture_page(model=DATES[0], s=DATES[1], **query)
    assert not at.exception
    assert any(said in w.value for w in at.warning), [w.value for w in at.warning]
    assert at.subheader  # and a stage is shown anyway


def test_a_model_without_attention_skips_scores_softmax_and_context() -> None:
    for stage in (4, 5, 6):
        at = lecture_page(model="de-en-none", s=DE, stage=str(stage))
        assert not at.exception
        assert "no attention" in at.info[0].value and "h₀ᵈ" in at.info[0].value
        assert not at.get("plotly_chart")
    at = lecture_page(model="de-en-none", s=DE, stage="7")
    assert any("is h₀ᵈ itself" in m.value for m in at.markdown)


def test_a_concat_model_says_it_is_not_the_lectures_dot_product() -> None:
    at = lecture_page(model="de-en-concat", s=DE, stage="4", step="2")
    assert not at.exception
    assert any("this model does not" in m.value and "concat" in m.value for m in at.markdown)
    assert "\\operatorname{score}_i = v^\\top \\tanh(W_s h^d_{2} + W_h h^e_i + b)" in at.latex[0].value


def test_a_scaled_dot_model(tiny_bundle) -> None:
    save_model(USER_MODELS / "tiny-scaled_dot", tiny_bundle("scaled_dot"))
    at = lecture_page(model="tiny-scaled_dot", s="hello world", stage="4")
    assert not at.exception
    assert "\\sqrt{16}" in at.latex[0].value


def test_beam_search_says_which_piece_the_decoder_reads() -> None:
    at = lecture_page(model=DATES[0], s=DATES[1], beam="3", stage="9")
    assert not at.exception
    assert any("Beam search (beam 3)" in m.value for m in at.markdown)


def test_korean() -> None:
    at = lecture_page(model=DATES[0], s=DATES[1], lang="ko", stage="6")
    assert not at.exception
    hangul = re.compile("[\uac00-\ud7a3]")
    assert hangul.search(at.title[0].value) and hangul.search(heading(at))
    assert all(hangul.search(m.value) for m in at.markdown if len(m.value) > 40)


@pytest.mark.parametrize("text", BAD_INPUTS, ids=["empty", "nul", "huge", "html", "unicode", "invisible"])
def test_bad_sentences_get_a_translation_or_a_reason(text) -> None:
    at = lecture_page(model="de-en-dot", s=text)
    assert not at.exception
    said = [m.value for kind in ("info", "warning", "error") for m in getattr(at, kind)]
    assert said or any(c.value.startswith("Translation:") for c in at.caption)


@pytest.mark.parametrize("odd", ODD)
def test_odd_values_of_every_parameter_are_said_and_a_stage_is_shown(odd) -> None:
    at = lecture_page(model=DATES[0], s=DATES[1], stage=odd, step=odd, all=odd, beam=odd)
    assert not at.exception
    for name in ("stage", "step", "all", "beam"):
        assert said_about(at, name), f"nothing said about {name}={odd[:20]!r}"
    assert re.match(r"[1-9]\. ", heading(at))
