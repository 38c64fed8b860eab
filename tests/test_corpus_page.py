"""The Corpus explorer page: the test split worst first, its numbers the model's own, filters and the
order in the URL, a picked row opened as its map and on other pages, odd links said, in English and Korean."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_app import array, shipped
from test_params import ODD, open_page, said_about

from attnviz import evaluate, explore, search


def page(**query):
    return open_page("pages/corpus.py", **query)


def table(at):
    return at.dataframe[0].value


def test_dates_lists_every_test_sentence_worst_first_with_the_model_s_numbers() -> None:
    at = page(model="dates-dot")
    assert not at.exception
    shown = table(at)
    bundle = shipped("dates-dot")
    assert len(shown) == bundle.metrics["pairs"] == 1000
    assert list(shown["score"]) == sorted(shown["score"])  # worst first
    saved = bundle.metrics["greedy"]["exact_match"]
    assert f"mean exact match {saved:.1f}" in next(m.value for m in at.markdown if "sentences;" in m.value)
    rows = explore.rows(bundle, evaluate.load_test_split(bundle)[:5], evaluate.gold_split(bundle))
    for row in rows:  # the first five test sentences, as the page shows them
        got = shown[shown["index"] == row.index].iloc[0]
        assert (got["output"], got["score"], got["never"]) == (row.output, row.score, len(row.unattended))
        assert got["aer"] == pytest.approx(row.aer) and got["entropy"] == pytest.approx(row.entropy, abs=1e-5)


def test_filters_and_order_follow_the_url_and_narrow_the_table() -> None:
    at = page(model="ko-en-dot", order="aer", flag="again", q="cat")
    assert not at.exception
    shown = table(at)
    assert len(shown) > 0 and (shown["again"] > 0).all()
    assert all(
        "cat" in " ".join(r).casefold() for r in shown[["source", "output", "reference"]].itertuples(False)
    )
    assert list(shown["aer"]) == sorted(shown["aer"], reverse=True)
    at.multiselect(key="corpus_flags").set_value(["wrong"]).run()
    at.text_input(key="corpus_q").set_value("").run()
    shown = table(at)
    assert (shown["score"] < 100).all() and at.query_params["flag"] in ("wrong", ["wrong"])
    assert "q" not in at.query_params
    at.selectbox(key="corpus_order").set_value("index").run()
    assert list(table(at)["index"]) == sorted(table(at)["index"]) and at.query_params["order"] == "index"


def test_a_picked_row_opens_its_map_and_the_other_pages() -> None:
    at = page(model="ko-en-dot", i="7", order="index")
    assert not at.exception and at.query_params["i"] == "7"
    pair = evaluate.load_test_split(shipped("ko-en-dot"))[6]
    assert pair.source in at.code[0].value and pair.target in at.code[0].value
    spec = json.loads(next(c for c in at.get("plotly_chart") if "corpus-map" in c.proto.id).proto.spec)
    trace = search.translate(shipped("ko-en-dot"), pair.source)
    np.testing.assert_allclose(array(spec["data"][0]["z"]), trace.weights, atol=1e-6)
    at.button(key="corpus_gold").click().run()
    assert not at.exception and at.query_params["i"] == "7"  # every ko-en test pair has gold
    assert at.title[0].value == "Alignment"
    at = page(model="ko-en-dot", i="7")
    at.button(key="corpus_step").click().run()
    assert not at.exception and at.session_state["text"] == pair.source


def test_german_scores_bleu_and_has_no_aer_column() -> None:
    at = page(model="de-en-dot")
    assert not at.exception
    shown = table(at)
    assert "sentences; mean BLEU" in next(m.value for m in at.markdown if "sentences;" in m.value)
    assert shown["aer"].isna().all() and len(shown) == shipped("de-en-dot").metrics["pairs"]


def test_a_model_without_attention_still_lists_its_sentences() -> None:
    at = page(model="de-en-none", i="1")
    assert not at.exception and len(table(at)) > 0
    assert not [c for c in at.get("plotly_chart") if "corpus-map" in c.proto.id]


@pytest.mark.parametrize("odd", ODD)
def test_odd_url_values_are_said(odd) -> None:
    at = page(model="dates-dot", order=odd, i=odd, flag=odd, q=odd)
    assert not at.exception
    if odd != "":
        assert said_about(at, "order"), "nothing said about order"
    assert len(table(at)) >= 0


def test_korean() -> None:
    at = page(model="ko-en-dot", lang="ko")
    assert not at.exception and at.title[0].value == "말뭉치 탐색"
