"""The trainer: batching, and an end-to-end run that must actually learn the task and its alignment."""

import json
import random

import pytest
import torch

from attnviz.checkpoint import load_model
from attnviz.config import TrainConfig
from attnviz.evaluate import evaluate
from attnviz.search import translate
from attnviz.tasks import load_task
from attnviz.tokenizer import BOS, EOS, PAD, UNK
from attnviz.train import Callback, collate, drop_words, make_batches, still_learning, train


def test_collate_shifts_target_and_pads():
    src, lengths, prev, gold = collate([([5, 6, 7], [8, 9]), ([5], [8, 9, 10])])
    assert src.tolist() == [[5, 6, 7], [5, PAD, PAD]]
    assert lengths.tolist() == [3, 1]
    assert prev.tolist() == [[BOS, 8, 9, PAD], [BOS, 8, 9, 10]]
    assert gold.tolist() == [[8, 9, EOS, PAD], [8, 9, 10, EOS]]


def test_batches_cover_every_example_once_and_group_lengths():
    rng = random.Random(0)
    examples = [([1] * rng.randint(1, 40), [2]) for _ in range(1000)]
    batches = make_batches(examples, 32, random.Random(1))
    assert sorted(len(s) for b in batches for s, _ in b) == sorted(len(s) for s, _ in examples)
    # Length bucketing: within a batch, source lengths differ by little (noise is at most 2).
    spreads = [max(len(s) for s, _ in b) - min(len(s) for s, _ in b) for b in batches]
    assert max(spreads) <= 3
    assert make_batches(examples, 32, random.Random(1)) == batches  # seeded


class Recorder(Callback):
    def __init__(self, stop_after_batches: int | None = None):
        self.batches, self.epochs, self.stop_after = 0, [], stop_after_batches

    def on_batch(self, progress):
        self.batches, self.per_epoch = self.batches + 1, progress.batches
        assert 0 < progress.batch <= progress.batches and progress.loss > 0

    def on_epoch(self, result, bundle):
        self.epochs.append(result)

    def should_stop(self):
        return self.stop_after is not None and self.batches >= self.stop_after


TINY = {"emb": 64, "hidden": 128, "dropout": 0.1}


@pytest.mark.parametrize(
    ("metric", "loss", "rule", "resets"),
    [
        (True, False, "metric", True),
        (False, True, "metric", False),  # the default: only the dev metric counts
        (False, True, "either", True),  # the dev loss still falling keeps the run going
        (False, False, "either", False),
    ],
)
def test_what_resets_the_patience(metric, loss, rule, resets):
    assert still_learning(metric, loss, rule) == resets


def test_word_dropout_turns_real_pieces_into_unk_and_leaves_bos_and_padding():
    torch.manual_seed(0)
    ids = torch.tensor([[BOS] + [7] * 999 + [PAD] * 1000])
    dropped = drop_words(ids, 0.25)
    assert dropped[0, 0] == BOS and (dropped[0, 1000:] == PAD).all()
    real = dropped[0, 1:1000]
    assert set(real.tolist()) == {7, UNK}
    assert 0.2 < float((real == UNK).float().mean()) < 0.3
    assert drop_words(ids, 0.0) is ids


def test_cancel_keeps_a_loadable_checkpoint(tmp_path):
    cfg = TrainConfig(task="reverse", data_size=600, epochs=5, model=TINY)
    rec = Recorder(stop_after_batches=3)
    result = train(cfg, tmp_path / "m", callbacks=[rec])
    assert result.stopped_because == "cancelled"
    assert rec.batches == 3 and len(rec.epochs) == 1
    assert rec.epochs[0].reached == pytest.approx(3 / rec.per_epoch), "the epoch ended 3 batches in"
    bundle = load_model(tmp_path / "m")
    assert bundle.info["stopped_because"] == "cancelled"
    assert translate(bundle, "abc").num_steps >= 1
    log = json.loads((tmp_path / "m" / "train_log.json").read_text())
    assert [e["epoch"] for e in log] == [1]


def test_end_to_end_reverse_learns_the_task_and_the_alignment(tmp_path):
    """About half a minute on 2 CPU cores: the model learns, and its attention finds the anti-diagonal."""
    torch.manual_seed(0)
    cfg = TrainConfig(task="reverse", data_size=8000, epochs=8, seed=1, model=TINY)
    rec = Recorder()
    result = train(cfg, tmp_path / "reverse", callbacks=[rec])
    assert [e.epoch for e in rec.epochs] == list(range(1, len(rec.epochs) + 1))
    assert rec.epochs[-1].train_loss < rec.epochs[0].train_loss
    assert rec.epochs[-1].dev_loss < rec.epochs[0].dev_loss
    bundle = load_model(tmp_path / "reverse")
    metrics = evaluate(bundle, beams=(1,), aligners=())
    assert metrics["pairs"] == len(load_task("reverse", size=8000).test)
    assert metrics["greedy"]["exact_match"] >= 90.0, metrics
    assert metrics["alignment"]["attention"]["accuracy"] >= 90.0, metrics
    assert translate(bundle, "encoder").translation == "redocne"
    assert result.bundle.info["train_pairs"] > 0


def test_dates_learns_in_seconds(tmp_path):
    cfg = TrainConfig(task="dates", data_size=6000, epochs=3, seed=1, model=TINY)
    bundle = train(cfg, None).bundle
    metrics = evaluate_on_dev(bundle)
    assert metrics >= 90.0
    assert translate(bundle, "26 nov 2026").translation == "2026-11-26"


def evaluate_on_dev(bundle):
    from attnviz.train import dev_score

    return dev_score(bundle, load_task("dates", size=6000).dev, "dates")


@pytest.mark.parametrize("attention", ["general", "concat", "scaled_dot", "none"])
def test_every_attention_kind_trains(tmp_path, attention):
    cfg = TrainConfig(task="reverse", data_size=400, epochs=1, model=dict(TINY, attention=attention))
    result = train(cfg, None)
    assert len(result.history) == 1 and result.history[0].train_loss > 0
    assert result.bundle.config.attention == attention
    assert result.bundle.info["epochs"] == 1 and result.bundle.info["stopped_because"] == "epochs done"
