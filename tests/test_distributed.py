"""Training under PyTorch's own launcher: torchrun starts two CPU processes (gloo), they train one model
together, rank 0 alone saves it, and it loads and translates; the dev set decoded in shares gives the
same score and loss as one process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from attnviz.checkpoint import load_model
from attnviz.search import translate
from attnviz.tasks import load_task
from attnviz.tokenizer import PAD
from attnviz.train import Ranks, _gathered, _shares, dev_loss, dev_score, tokenize_pairs

ROOT = Path(__file__).resolve().parent.parent
TORCHRUN = Path(sys.executable).parent / "torchrun"  # installed with torch, beside this Python
DATES = ROOT / "models" / "dates-dot"


def torchrun(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """`torchrun --standalone --nproc_per_node=2 -m attnviz train ...`, as a user types it."""
    command = [str(TORCHRUN), "--standalone", "--nproc_per_node=2", "-m", "attnviz", "train", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_two_processes_train_dates_and_rank_0_saves_a_model_that_translates(tmp_path):
    out = tmp_path / "dates-2"
    run = torchrun(
        "--task", "dates", "--size", "tiny", "--epochs", "4", "--data-size", "6000", "--out", str(out)
    )
    assert run.returncode == 0, run.stderr[-3000:]
    saved = [line for line in run.stdout.splitlines() if line.startswith("saved")]
    assert len(saved) == 1 and "2 processes" in saved[0], run.stdout  # rank 1 printed nothing
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dates-2"], "nothing but the model was written"
    bundle = load_model(out)
    assert bundle.info["processes"] == 2 and bundle.info["epochs"] == 4
    assert [e["epoch"] for e in json.loads((out / "train_log.json").read_text())] == [1, 2, 3, 4]
    assert bundle.info["best_dev"] >= 50.0, bundle.info  # it learned: dev exact match, in percent
    assert translate(bundle, "26 nov 2026").translation == "2026-11-26"


def test_the_time_budget_stops_every_rank_together(tmp_path):
    """Rank 0 running out of time while rank 1 waits in an update would hang the job; it must end."""
    out = tmp_path / "m"
    run = torchrun("--task", "reverse", "--size", "tiny", "--data-size", "3000", "--max-minutes", "0.001",
                   "--out", str(out), timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    assert "(time budget)" in run.stdout
    assert load_model(out).info["stopped_because"] == "time budget"


def test_shares_and_gathered_undo_each_other():
    items = list(range(11))
    for world in (1, 2, 3, 4):
        shares = [list(_shares(items, Ranks(rank, world))) for rank in range(world)]
        assert sorted(x for share in shares for x in share) == items
        assert max(map(len, shares)) - min(map(len, shares)) <= 1


def _dev_worker(rank: int, world: int, store: str, out: str) -> None:
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=world)
    try:
        ranks = Ranks.current()
        bundle = load_model(DATES)
        dev = list(load_task("dates").dev)[:120]
        loss_fn = nn.CrossEntropyLoss(ignore_index=PAD)
        examples = tokenize_pairs(bundle.src, bundle.tgt, dev, bundle.config)
        whole = _gathered(list(_shares(list(range(len(dev))), ranks)), len(dev), ranks)
        result = {
            "score": dev_score(bundle, dev, "dates", ranks=ranks),
            "loss": dev_loss(bundle.model.eval(), examples, loss_fn, 32, ranks),
            "order": whole,
        }
        Path(out, f"{rank}.json").write_text(json.dumps(result))
    finally:
        dist.destroy_process_group()


def test_the_dev_set_decoded_in_two_shares_scores_as_in_one_process(tmp_path):
    if not DATES.is_dir():
        pytest.fail("the shipped models/dates-dot is missing")
    mp.spawn(_dev_worker, args=(2, str(tmp_path / "store"), str(tmp_path)), nprocs=2, join=True)
    results = [json.loads((tmp_path / f"{rank}.json").read_text()) for rank in (0, 1)]
    bundle = load_model(DATES)
    dev = list(load_task("dates").dev)[:120]
    examples = tokenize_pairs(bundle.src, bundle.tgt, dev, bundle.config)
    alone = dev_score(bundle, dev, "dates")
    loss = dev_loss(bundle.model.eval(), examples, nn.CrossEntropyLoss(ignore_index=PAD), 32)
    assert alone > 90.0  # a real model: a shuffled gather would score near zero
    for result in results:
        assert result["order"] == list(range(len(dev)))
        assert result["score"] == pytest.approx(alone)
        assert result["loss"] == pytest.approx(loss, rel=1e-5)
