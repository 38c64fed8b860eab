"""The Step page's What-if tab: the changed decoding is search.translate with the intervention, shown
beside the model's own, its choices in the URL, odd links said, no attention said, Korean."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_app import array, shipped
from test_params import ODD, open_page, said_about

from attnviz import search
from attnviz.intervene import Intervention

TEXT = "26 nov 2026"


def page(**query):
    return open_page("pages/step.py", model="dates-dot", s=TEXT, **query)


def maps(at) -> dict[str, dict]:
    return {
        key: json.loads(c.proto.spec)
        for c in at.get("plotly_chart")
        for key in ("whatif-own", "whatif-changed")
        if key in c.proto.id
    }


def test_forcing_a_step_shows_the_changed_decoding_beside_the_own() -> None:
    at = page(wi="force", wt="3", wp="2")
    assert not at.exception
    changed = search.translate(
        shipped("dates-dot"), TEXT, intervention=Intervention("force", step=3, piece=2)
    )
    own = search.translate(shipped("dates-dot"), TEXT)
    shown = maps(at)
    np.testing.assert_allclose(array(shown["whatif-changed"]["data"][0]["z"]), changed.weights, atol=1e-6)
    np.testing.assert_allclose(array(shown["whatif-own"]["data"][0]["z"]), own.weights, atol=1e-6)
    step3 = next(d.value for d in at.dataframe if "weight used" in d.value.columns)
    np.testing.assert_array_equal(step3["weight used"], np.eye(len(own.source_pieces))[1])
    np.testing.assert_allclose(step3["the model's weight"], own.weights[2], atol=1e-5)
    assert any("attention forced onto source piece 2 at step 3" in c.value for c in at.caption)
    assert (at.query_params["wi"], at.query_params["wt"], at.query_params["wp"]) == ("force", "3", "2")


def test_whole_sentence_choices_and_the_url() -> None:
    at = page(wi="uniform")
    assert not at.exception and "wt" not in at.query_params
    changed = search.translate(shipped("dates-dot"), TEXT, intervention=Intervention("uniform"))
    np.testing.assert_allclose(array(maps(at)["whatif-changed"]["data"][0]["z"]), changed.weights, atol=1e-6)
    at.selectbox(key="whatif_kind").set_value("mask").run()
    assert not at.exception and at.query_params["wi"] == "mask" and "wp" in at.query_params
    masked = search.translate(shipped("dates-dot"), TEXT, intervention=Intervention("mask", piece=1))
    z = array(maps(at)["whatif-changed"]["data"][0]["z"])
    np.testing.assert_allclose(z, masked.weights, atol=1e-6)
    assert (z[:, 0] == 0).all()


def test_edit_by_hand_from_the_link() -> None:
    S = len(search.translate(shipped("dates-dot"), TEXT).source_pieces)
    weights = ",".join("1" if i == S - 1 else "0" for i in range(S))
    at = page(wi="edit", wt="1", ww=weights)
    assert not at.exception
    z = array(maps(at)["whatif-changed"]["data"][0]["z"])
    np.testing.assert_allclose(z[0], np.eye(S)[S - 1], atol=1e-6)
    at = page(wi="edit", wt="1", ww="1,x")
    assert not at.exception and any("ww=" in w.value for w in at.warning)


@pytest.mark.parametrize("odd", ODD)
def test_odd_what_if_links_are_said(odd) -> None:
    at = page(wi=odd, wt=odd, wp=odd)
    assert not at.exception
    if odd != "":
        assert said_about(at, "wi")


def test_a_model_without_attention_says_there_is_nothing_to_change() -> None:
    at = open_page("pages/step.py", model="de-en-none", s="Ich habe keine Zeit.")
    assert not at.exception
    assert any("nothing to change" in i.value for i in at.info)


def test_korean() -> None:
    at = page(wi="hard", lang="ko")
    assert not at.exception and maps(at)


def test_another_sentence_keeps_the_choices_within_its_own_steps_and_pieces() -> None:
    at = open_page(
        "pages/step.py", model="dates-dot", s="WEDNESDAY, 2 SEP 1964", wi="mask_step", wt="10", wp="15"
    )
    assert not at.exception and at.number_input(key="whatif_step").value == 10
    at.text_input(key="sentence").set_value("1 jan 2000").run()
    assert not at.exception and not at.warning
    short = search.translate(shipped("dates-dot"), "1 jan 2000")
    assert at.number_input(key="whatif_step").value == min(10, short.num_steps)
    assert at.selectbox(key="whatif_piece").value == len(short.source_pieces)  # 15 is past its end: its last
    assert at.selectbox(key="whatif_kind").value == "mask_step"
