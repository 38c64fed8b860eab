"""The Alignment page: metrics.json's methods table as written, the attention read another way rescored
live over the split and for one sentence, agreement (not accuracy) where there is no gold, odd links said,
in English and Korean."""

from __future__ import annotations

import json
import shutil

import pytest
from streamlit.testing.v1 import AppTest
from test_app import shipped
from test_params import ODD, open_page, said_about, unescaped

from attnviz import align, evaluate, metrics
from pages.loading import ROOT, USER_MODELS


def page(**query) -> AppTest:
    return open_page("pages/alignment.py", **query)


def frames(at: AppTest) -> list:
    return [d.value for d in at.dataframe]


def test_dates_shows_its_metrics_and_rescores_the_reading_live() -> None:
    at = page(model="dates-dot")
    assert not at.exception
    table = frames(at)[0]
    saved = shipped("dates-dot").metrics["alignment"]
    assert list(table["AER"]) == [saved[k]["aer"] for k in evaluate.ALIGNMENT_METHODS if k in saved]
    split = evaluate.gold_split(shipped("dates-dot"))
    argmax = split.scores(align.Extraction())
    said = next(m.value for m in at.markdown if m.value.startswith("Read this way"))
    assert f"AER {argmax['aer']:.1f}" in said and f"{argmax['aer']:.1f}" == f"{saved['attention']['aer']:.1f}"
    at.radio(key="align_rule").set_value("threshold").run()
    at.slider(key="align_threshold").set_value(0.6).run()
    assert not at.exception and at.query_params["rule"] == "threshold" and at.query_params["th"] == "0.6"
    again = split.scores(align.Extraction("threshold", 0.6))
    said = next(m.value for m in at.markdown if m.value.startswith("Read this way"))
    assert f"recall {again['recall']:.1f}, AER {again['aer']:.1f}" in said
    # One sentence: its links drawn on its map, its own score.
    at.number_input(key="align_i").set_value(7).run()
    k = 6
    links = split.attention(align.Extraction("threshold", 0.6), k)
    spec = json.loads(next(c for c in at.get("plotly_chart") if "alignment-map" in c.proto.id).proto.spec)
    dots = next(d for d in spec["data"] if d.get("name", "").startswith("attention links"))
    assert sorted(zip(dots["y"], dots["x"], strict=True)) == sorted(links)
    one = metrics.alignment_scores([links], [split.sure[k]], [split.possible[k]])
    assert any(f"AER {one['aer']:.1f}" in c.value for c in at.caption)
    assert at.query_params["i"] == "7"


def test_german_shows_agreement_not_accuracy_and_the_family() -> None:
    at = page(model="de-en-dot")
    assert not at.exception
    assert any("agreement, not accuracy" in i.value for i in at.info)
    family = frames(at)[1]
    assert {"de-en-dot", "de-en-general", "de-en-concat"} & set(family["model"])
    assert not at.get("plotly_chart")  # no gold sentence to draw


def test_no_attention_says_so() -> None:
    at = page(model="de-en-none")
    assert not at.exception
    assert any("no attention" in i.value for i in at.info)


@pytest.mark.parametrize("odd", ODD)
def test_odd_link_values_are_said(odd) -> None:
    at = page(model="ko-en-dot", rule=odd, th=odd, next=odd, i=odd)
    assert not at.exception
    for name in ("rule", "th", "next", "i"):
        if odd != "":
            assert said_about(at, name), f"nothing said about {name}={odd[:20]!r}"


def test_korean() -> None:
    at = page(model="ko-en-dot", lang="ko")
    assert not at.exception
    assert at.title[0].value == "정렬"


def test_the_kept_aligner_links_are_drawn_beside_the_attention() -> None:
    bundle = shipped("dates-dot")
    kept = evaluate.read_alignments(bundle)
    assert set(kept) == set(align.ALIGNERS) and all(len(v) == 1000 for v in kept.values())
    at = page(model="dates-dot", i="5", also="eflomal")
    assert not at.exception
    spec = json.loads(next(c for c in at.get("plotly_chart") if "alignment-map" in c.proto.id).proto.spec)
    drawn = next(d for d in spec["data"] if d.get("name") == "eflomal")
    assert sorted(zip(drawn["y"], drawn["x"], strict=True)) == sorted(kept["eflomal"][4])
    assert at.query_params["also"] == "eflomal"


def test_a_broken_links_file_is_said_and_the_page_goes_on(tmp_path) -> None:
    target = USER_MODELS / "dates-broken-links"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(ROOT / "models" / "dates-dot", target)
    (target / evaluate.ALIGNMENTS).write_text('{"aligners": {"hmm": ["0-0 1-x"]}}', encoding="utf-8")
    try:
        at = page(model="dates-broken-links")
        assert not at.exception
        said = [unescaped(w.value) for w in at.warning]
        assert any("hmm, line 1" in w and "'1-x'" in w for w in said), said
        assert at.get("plotly_chart")  # the map is still drawn, with the attention's links
    finally:
        shutil.rmtree(target, ignore_errors=True)


def test_a_damaged_model_of_the_task_is_named_and_the_family_table_goes_on() -> None:
    target = USER_MODELS / "dates-damaged"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(ROOT / "models" / "dates-dot", target)
    (target / "model.safetensors").write_bytes(b"not weights")
    try:
        at = page(model="dates-dot")
        assert not at.exception
        assert any("dates-damaged" in unescaped(w.value) for w in at.warning), [w.value for w in at.warning]
        assert frames(at)[0] is not None  # the model's own table is still there
    finally:
        shutil.rmtree(target, ignore_errors=True)


def test_counted_in_words_the_split_is_rescored_on_words() -> None:
    at = page(model="ko-en-dot", unit="words", i="3")
    assert not at.exception and at.query_params["unit"] == "words"
    split = evaluate.gold_split(shipped("ko-en-dot"))
    words = split.scores(align.Extraction(), words=True)
    said = next(m.value for m in at.markdown if m.value.startswith("Read this way"))
    assert f"precision {words['precision']:.1f}, recall {words['recall']:.1f}, AER {words['aer']:.1f}" in said
    k = 2
    one = metrics.alignment_scores(
        [split.in_words(k, split.attention(align.Extraction(), k))],
        [split.word_sure[k]],
        [split.word_possible[k]],
    )
    assert any(f"This sentence: precision {one['precision']:.1f}" in c.value for c in at.caption)
    at.radio(key="align_unit").set_value("pieces").run()
    pieces = split.scores(align.Extraction())
    said = next(m.value for m in at.markdown if m.value.startswith("Read this way"))
    assert f"AER {pieces['aer']:.1f}" in said and at.query_params["unit"] == "pieces"


def test_the_upload_section_offers_the_sentences_it_scores() -> None:
    at = page(model="dates-dot")
    assert not at.exception
    assert any(h.value == "Score your own alignment" for h in at.subheader)
    assert at.get("file_uploader") and len(at.get("download_button")) == 2
    assert said_about(page(model="dates-dot", unit="letters"), "unit")


def test_the_bible_model_against_human_gold_in_pieces_and_words() -> None:
    at = page(model="grc-en-dot", unit="words")
    assert not at.exception
    table = frames(at)[0]
    saved = shipped("grc-en-dot").metrics
    words = saved["alignment_words"]
    assert list(table["AER, in words"]) == [words[k]["aer"] for k in evaluate.ALIGNMENT_METHODS if k in words]
    assert "made by hand" in " ".join(c.value for c in at.caption)


def test_does_the_decoder_use_its_attention_table_is_metrics_json_s() -> None:
    at = page(model="dates-dot")
    assert not at.exception
    assert any(h.value == "Does the decoder use its attention?" for h in at.subheader)
    faithful = next(f for f in frames(at) if "uniform attention" in f.columns)
    row = faithful[faithful["model"] == "dates-dot"].iloc[0]
    saved = shipped("dates-dot").metrics["faithfulness"]
    assert row["its own attention"] == saved["attention"]["exact_match"]
    assert row["uniform attention"] == saved["uniform"]["exact_match"]
