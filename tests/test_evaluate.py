"""Evaluation: the task's own test split, metrics from real decodes, model cards from metrics."""

import dataclasses

import numpy as np
import pytest

from attnviz.checkpoint import Bundle
from attnviz.config import TrainConfig
from attnviz.evaluate import evaluate, forced_weights, load_corpus, model_card, paired_gap, quality
from attnviz.tasks import Pair


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
    weights = forced_weights(bundle, pairs)
    for pair, w in zip(pairs, weights, strict=True):
        S, T = len(bundle.src.encode(pair.source).ids), len(bundle.tgt.encode(pair.target).ids)
        assert w.shape == (T + 1, S)
        np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-5)


def test_evaluate_and_card_agree(bundle):
    bundle = with_train_config(bundle, task="reverse", data_size=200)
    result = evaluate(bundle, beams=(1, 2))
    assert result["pairs"] == 20 and {"greedy", "beam2", "alignment"} <= set(result)
    assert 0.0 <= result["alignment"]["accuracy"] <= 100.0
    card = model_card(bundle, result)
    assert f"{result['greedy']['exact_match']:.1f}%" in card
    assert f"{result['alignment']['accuracy']:.1f}%" in card
    assert "attnviz evaluate --model" in card


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
