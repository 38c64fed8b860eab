"""Evaluation: the task's own test split, metrics from real decodes, model cards from metrics."""

import dataclasses
import os
from pathlib import Path

import numpy as np
import pytest
from conftest import require_or_skip

from attnviz import align, search, tasks
from attnviz.bundle import Bundle
from attnviz.checkpoint import list_models, load_model
from attnviz.config import TrainConfig
from attnviz.evaluate import (
    TEST_SPLIT,
    _gold,
    agreement,
    assess,
    evaluate,
    forced_weights,
    load_corpus,
    load_test_split,
    model_card,
    own_output,
    paired_gap,
    quality,
    read_alignments,
    read_test_split,
    write_metrics,
    write_test_split,
)
from attnviz.tasks import DataError, Pair

MODELS = Path(__file__).resolve().parent.parent / "models"


def with_train_config(bundle: Bundle, **fields) -> Bundle:
    return dataclasses.replace(bundle, train_config=TrainConfig(**fields))


@pytest.fixture
def bundle(tiny_bundle) -> Bundle:
    return tiny_bundle("dot")


def test_the_test_split_does_not_depend_on_the_training_seed(bundle):
    a = load_corpus(with_train_config(bundle, task="reverse", seed=1, data_size=300))
    b = load_corpus(with_train_config(bundle, task="reverse", seed=7, data_size=300))
    assert a.test == b.test and a.dev == b.dev


def test_a_model_without_training_config_has_no_known_test_split(bundle):
    with pytest.raises(ValueError, match="test split is unknown"):
        load_corpus(dataclasses.replace(bundle, train_config=None))


def test_quality_reports_what_the_task_needs():
    pairs = [Pair("Das ist gut.", "That is good."), Pair("Ja.", "Yes.")]
    sentence = quality("de-en", pairs, ["That is good.", "No."])
    assert sentence["exact_match"] == 50.0 and "by_length" in sentence
    assert sentence["by_length"]["<=5"]["n"] == 2
    g2p = quality("g2p", [Pair("cat", "K AE T")], ["K AH T"])
    assert g2p["phoneme_error_rate"] == pytest.approx(100 / 3) and g2p["word_accuracy"] == 0.0


def test_forced_weights_have_a_row_per_reference_piece_plus_eos(bundle):
    pairs = [Pair("abc", "cba"), Pair("hello", "olleh")]
    weights = forced_weights(
        bundle, [(bundle.src.tokenize(p.source).ids, bundle.tgt.tokenize(p.target).ids) for p in pairs]
    )
    for pair, w in zip(pairs, weights, strict=True):
        S, T = len(bundle.src.tokenize(pair.source).ids), len(bundle.tgt.tokenize(pair.target).ids)
        assert w.shape == (T + 1, S)
        np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-5)


def test_evaluate_and_card_agree(bundle):
    bundle = with_train_config(bundle, task="reverse", data_size=200)
    result = evaluate(bundle, beams=(1, 2))
    assert result["pairs"] == 20 and {"greedy", "beam2", "alignment"} <= set(result)
    a = result["alignment"]
    assert set(a) == {"gold", "sentences", "attention", "attention_next_step", *align.ALIGNERS}
    for method in ("attention", "attention_next_step", *align.ALIGNERS):
        assert set(a[method]) >= {"precision", "recall", "aer"}, method
        assert all(0.0 <= v <= 100.0 for v in a[method].values()), (method, a[method])
    card = model_card(bundle, result)
    assert f"{result['greedy']['exact_match']:.1f}%" in card
    assert f"{a['attention']['accuracy']:.1f}%" in card
    for method in ("attention", "hmm"):  # each method's row, its numbers as metrics.json has them
        s = a[method]
        assert f"| {s['precision']:.1f} | {s['recall']:.1f} | {s['aer']:.1f} |" in card
    assert "attnviz evaluate --model" in card
    f = result["faithfulness"]
    assert list(f) == ["attention", "uniform", "permute", "hard"]
    own = f["attention"]
    assert f"| its own attention | {own['exact_match']:.1f} | {own['chrf']:.1f} |" in card
    assert f"| uniform attention | {f['uniform']['exact_match']:.1f} |" in card
    words = result["alignment_words"]
    assert set(words) == {"sentences", "attention", "attention_next_step", *align.ALIGNERS}
    s = words["hmm"]
    assert "merged to whitespace-separated words" in card
    assert f"| HMM | {s['precision']:.1f} | {s['recall']:.1f} | {s['aer']:.1f} |" in card


def test_word_scores_merge_the_piece_links_by_hand(bundle):
    bundle = with_train_config(bundle, task="reverse", data_size=200)
    # A character model: each piece is one character; two words a side, gold linking them crosswise.
    pair = Pair("ab cd", "dc ba", ((0, 2, 3, 5, True), (3, 5, 0, 2, True)))
    split = _gold(bundle, [pair])
    assert split.word_sure == [frozenset({(1, 0), (0, 1)})] == split.word_possible
    src, tgt = split.encoded[0]
    pieces = split.attention(align.Extraction(), 0)
    by_hand = set()
    for t, s in pieces:
        tw = [w for w, (a, b) in enumerate(align.word_spans(pair.target)) if a <= tgt.spans[t][0] < b]
        sw = [w for w, (a, b) in enumerate(align.word_spans(pair.source)) if a <= src.spans[s][0] < b]
        if tw and sw:
            by_hand.add((tw[0], sw[0]))
    assert split.in_words(0, pieces) == by_hand
    scores = split.scores(align.Extraction(), words=True)
    right = len(by_hand & {(1, 0), (0, 1)})
    assert scores["precision"] == pytest.approx(100 * right / len(by_hand))
    assert scores["recall"] == pytest.approx(100 * right / 2)


def test_on_its_own_output_the_attention_is_the_forced_one(bundle):
    """Why the own-output row scores only outputs equal to the reference, and what it measures there."""
    bundle = with_train_config(bundle, task="reverse", data_size=200)
    sources = ["abcd", "hello", "xyz"]
    traces = search.translate_batch(bundle, sources)
    own = [
        Pair(s, t.translation, ((0, len(s), 0, len(t.translation), True),))
        for s, t in zip(sources, traces, strict=True)
    ]
    forced = forced_weights(bundle, [(t.source_ids, t.target_ids[:-1]) for t in traces])
    for trace, weights in zip(traces, forced, strict=True):
        np.testing.assert_allclose(weights, trace.weights, atol=1e-5)
    scored = own_output(bundle, own, [True, False, True])
    assert scored["sentences"] == 2
    assert scored["aer"] == pytest.approx(_gold(bundle, [own[0], own[2]]).scores(align.Extraction())["aer"])


def test_without_gold_the_card_gives_agreement_not_accuracy(bundle):
    bundle = with_train_config(bundle, task="reverse", data_size=200)
    corpus = load_corpus(bundle)
    result = agreement(bundle, corpus, [Pair(p.source, p.target) for p in corpus.test])  # links dropped
    assert set(result) == {"sentences", *align.ALIGNERS} and result["sentences"] == len(corpus.test)
    for name in align.ALIGNERS:
        assert set(result[name]) == {"precision", "recall", "aer"}
        assert all(0.0 <= v <= 100.0 for v in result[name].values())
    card = model_card(bundle, {"task": "reverse", "split": "test", "pairs": 20, "agreement": result})
    assert "agreement, not accuracy" in card
    s = result["hmm"]
    assert f"| HMM | {s['precision']:.1f} | {s['recall']:.1f} | {s['aer']:.1f} |" in card


def test_paired_gap_buckets_the_shared_test_split(tiny_bundle):
    """The structure and the split check; its numbers on real models are checked against the Bottleneck
    page (test_app), and the paired interval itself in test_metrics (reverse has no 4-grams: BLEU 0)."""
    dot = with_train_config(tiny_bundle("dot"), task="reverse", data_size=400)
    general = with_train_config(tiny_bundle("general"), task="reverse", data_size=400)
    gap = paired_gap(dot, general)
    test = load_corpus(dot).test  # reverse: every source is one word, so all 40 fall in "<=5"
    assert gap["<=5"]["n"] == len(test) == 40 and gap["<=5"]["gap_ci"] is not None
    assert gap["6-10"] == {"n": 0, "first": None, "second": None, "gap": None, "gap_ci": None}
    other_split = with_train_config(tiny_bundle("general"), task="reverse", data_size=400, data_seed=5)
    with pytest.raises(ValueError, match="not tested on the same sentences"):
        paired_gap(dot, other_split)


def test_the_test_split_file_round_trips_and_refuses_bad_lines(tmp_path):
    pairs = [Pair("Das ist gut.", "That is good."), Pair("Straße 😀", "street")]
    write_test_split(tmp_path / TEST_SPLIT, pairs)
    assert read_test_split(tmp_path / TEST_SPLIT) == pairs
    with pytest.raises(ValueError, match="tab"):
        write_test_split(tmp_path / "x.tsv", [Pair("a\tb", "c")])
    (tmp_path / "bad.tsv").write_text("a\tb\nno tab here\n", encoding="utf-8")
    with pytest.raises(DataError, match="line 2: no tab"):
        read_test_split(tmp_path / "bad.tsv")


def test_write_metrics_writes_the_pairs_the_metrics_were_computed_on(bundle, tmp_path):
    bundle = dataclasses.replace(with_train_config(bundle, task="reverse", data_size=200), path=tmp_path)
    result = evaluate(bundle, beams=(1,), limit=15)
    write_metrics(bundle, result)
    assert read_test_split(tmp_path / TEST_SPLIT) == [
        Pair(p.source, p.target) for p in load_corpus(bundle).test[:15]
    ]


def test_the_kept_aligner_links_know_the_sentences_they_are_for(bundle, tmp_path):
    bundle = dataclasses.replace(with_train_config(bundle, task="reverse", data_size=200), path=tmp_path)
    result, links = assess(bundle, beams=(1,), limit=15)
    write_metrics(bundle, result, links)
    pairs = [p for p in load_corpus(bundle).test[:15] if p.links]
    kept = read_alignments(bundle, pairs)
    assert set(kept) == set(align.ALIGNERS) and kept["hmm"] == links["hmm"]
    with pytest.raises(ValueError, match="computed for other test sentences"):
        read_alignments(bundle, pairs[1:])


def without_corpus(bundle: Bundle, directory: Path, pairs: list[Pair]) -> Bundle:
    """`bundle` as a model whose corpus file is gone, evaluated on `pairs` (written beside it)."""
    directory.mkdir()
    write_test_split(directory / TEST_SPLIT, pairs)
    missing = with_train_config(bundle, task="tsv", data_path=str(directory / "gone.tsv"))
    return dataclasses.replace(missing, path=directory, metrics={"pairs": len(pairs)})


def test_without_its_corpus_a_model_is_tested_on_the_shipped_split(tiny_bundle, tmp_path):
    pairs = [Pair(w, w[::-1]) for w in ("hello", "the cat sat", "abc", "good morning", "a dog")] * 8
    dot = without_corpus(tiny_bundle("dot"), tmp_path / "dot", pairs)
    general = without_corpus(tiny_bundle("general"), tmp_path / "general", pairs)
    with pytest.raises(DataError):
        load_corpus(dot)  # the corpus itself is gone
    assert load_test_split(dot) == pairs
    gap = paired_gap(dot, general)
    assert sum(row["n"] for row in gap.values()) == len(pairs) and gap["<=5"]["gap_ci"] is not None
    with pytest.raises(DataError, match="computed on 41"):
        load_test_split(dataclasses.replace(dot, metrics={"pairs": 41}))
    with pytest.raises(DataError, match="gone.tsv"):
        load_test_split(dataclasses.replace(dot, path=tmp_path))  # no shipped copy either


@pytest.mark.parametrize("name", [p.name for p in list_models(MODELS)])
def test_each_shipped_test_split_is_the_split_its_metrics_came_from(name):
    bundle = load_model(MODELS / name)
    if bundle.train_config.task == "de-en":
        require_or_skip(
            os.path.exists(tasks.ding.DING_PATH), f"{tasks.ding.DING_PATH} not installed (trans-de-en)"
        )
    shipped = read_test_split(MODELS / name / TEST_SPLIT)
    corpus = load_corpus(bundle).test[: bundle.metrics["pairs"]]
    assert shipped == [Pair(p.source, p.target) for p in corpus]  # the same pairs: the same numbers
