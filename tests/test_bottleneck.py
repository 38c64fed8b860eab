"""The bottleneck analysis without Streamlit: buckets read from metrics.json, the pair found from the
models' configs, and what the bottleneck costs bucket by bucket."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from attnviz import bottleneck
from attnviz.bundle import Bundle
from attnviz.checkpoint import list_models, load_model
from attnviz.config import ModelConfig, TrainConfig
from attnviz.model import Seq2Seq

ROOT = Path(__file__).resolve().parent.parent


def bucket(bleu: float | None, n: int, ci: list[float] | None = None) -> dict:
    return {"bleu": bleu, "bleu_ci": ci, "chrf": None, "n": n}


def metrics(task: str = "de-en", **by_length: dict) -> dict:
    return {"task": task, "greedy": {"bleu": 1.0, "by_length": by_length}}


def test_buckets_are_one_row_per_model_and_bucket_in_order():
    table = bottleneck.buckets(
        {
            "b": metrics(short=bucket(8.0, 300, [6.0, 10.0]), long=bucket(None, 0)),
            "unbucketed": {"task": "de-en", "greedy": {"exact_match": 90.0}},
            "a": metrics(short=bucket(4.0, 300, [2.0, 7.0])),
        }
    )
    assert list(table.columns) == ["model", "bucket", "bleu", "n", "ci_low", "ci_high"]
    assert list(zip(table.model, table.bucket, strict=True)) == [
        ("b", "short"),
        ("b", "long"),
        ("a", "short"),
    ]
    assert list(table.n) == [300, 0, 300]
    assert table.bleu[0] == 8.0 and np.isnan(table.bleu[1])
    assert (table.ci_low[0], table.ci_high[0]) == (6.0, 10.0) and np.isnan(table.ci_low[1])


def test_buckets_of_one_task_only():
    table = bottleneck.buckets(
        {"x": metrics("de-en", short=bucket(8.0, 30)), "y": metrics("tsv", short=bucket(5.0, 30))}, "tsv"
    )
    assert list(table.model) == ["y"]


@pytest.fixture
def model(src_tok, tgt_tok):
    """Factory: model(attention, **training settings) -> a Bundle whose configs say so (tiny, untrained)."""

    def make(attention: str, **settings) -> Bundle:
        sizes = {"src_vocab": src_tok.vocab_size, "tgt_vocab": tgt_tok.vocab_size, "emb": 16, "hidden": 16}
        model = Seq2Seq(ModelConfig(attention=attention, **sizes))
        train = TrainConfig(**{"task": "reverse", **settings}, model={"attention": attention})
        return Bundle(f"tiny-{attention}", model, src_tok, tgt_tok, train_config=train)

    return make


def test_the_pair_is_found_from_the_configs_and_prefers_dot(model):
    bundles = {
        "other-seed-dot": model("dot", seed=7),
        "general": model("general"),
        "baseline": model("none"),
        "dot": model("dot"),
    }
    assert bottleneck.pair(bundles) == bottleneck.Pair("baseline", "dot", "dot", "reverse")
    del bundles["dot"]  # without a dot sibling trained the same way, the first other one
    assert bottleneck.pair(bundles) == bottleneck.Pair("baseline", "general", "general", "reverse")


def test_no_pair_without_a_sibling_trained_the_same_way(model):
    assert bottleneck.pair({"dot": model("dot"), "general": model("general")}) is None
    assert bottleneck.pair({"none": model("none"), "dot": model("dot", task="dates")}) is None
    assert bottleneck.pair({"none": model("none"), "dot": model("dot", lr=1e-3)}) is None
    untracked = model("dot")
    untracked = Bundle(untracked.name, untracked.model, untracked.src, untracked.tgt)  # no train_config
    assert bottleneck.pair({"none": model("none"), "dot": untracked}) is None


def test_the_shipped_pair_is_the_german_english_baseline_and_its_dot_sibling():
    bundles = {path.name: load_model(path) for path in list_models(ROOT / "models")}
    assert bottleneck.pair(bundles) == bottleneck.Pair("de-en-none", "de-en-dot", "dot", "de-en")


PAIR = bottleneck.Pair("base", "sib", "dot", "de-en")


def cost_of(sibling: dict, baseline: dict) -> bottleneck.Cost:
    return bottleneck.cost(bottleneck.buckets({"sib": metrics(**sibling), "base": metrics(**baseline)}), PAIR)


def test_cost_compares_shared_buckets_with_enough_sentences():
    cost = cost_of(
        {
            "a": bucket(8.0, 300, [6.0, 10.0]),
            "b": bucket(6.0, 100, [5.0, 7.0]),
            "few": bucket(5.0, bottleneck.MIN_N - 1),  # too few sentences to read
            "zero": bucket(0.0, 300),  # no share of 0 to take
            "mine": bucket(5.0, 300),  # the baseline has no such bucket
            "c": bucket(4.0, 50),
        },
        {
            "a": bucket(6.0, 300, [4.0, 8.0]),
            "b": bucket(3.0, 100, [2.0, 4.0]),
            "few": bucket(1.0, bottleneck.MIN_N - 1),
            "zero": bucket(0.0, 300),
            "c": bucket(1.0, 50),
        },
    )
    assert list(cost.table.bucket) == ["a", "b", "c"]
    np.testing.assert_allclose(cost.table.gap, [2.0, 3.0, 3.0])
    np.testing.assert_allclose(cost.table.kept, [0.75, 0.5, 0.25])
    assert cost.falls
    assert cost.compared == ("a", "b")  # c has no intervals
    assert cost.apart == ("b",)  # a's intervals overlap (4-8 against 6-10)


def test_cost_says_when_the_kept_share_does_not_fall():
    cost = cost_of(
        {"a": bucket(8.0, 300), "b": bucket(6.0, 300), "c": bucket(4.0, 300)},
        {"a": bucket(4.0, 300), "b": bucket(2.0, 300), "c": bucket(2.0, 300)},  # kept 50%, 33%, 50%
    )
    assert not cost.falls and cost.compared == () and cost.apart == ()
