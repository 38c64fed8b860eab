"""The training loop: teacher forcing, Adam, gradient clipping, a dev metric each epoch, the best
checkpoint kept, early stopping and a wall-clock budget. It reports through callbacks, so the CLI draws
a progress bar and the app a chart from the same loop; it knows nothing of the model's insides.

Under PyTorch's launcher (`torchrun --nproc_per_node=N -m attnviz train ...`) the same loop runs in N
processes with DistributedDataParallel: every rank makes the same bucketed batches and takes every N-th,
so an update sees N batches (gradients averaged by DDP); the dev set is decoded in N shares; whether to
stop (the budget, a cancel, early stopping) is agreed by all ranks; rank 0 alone saves checkpoints and
calls the callbacks. Without torchrun it is one process, as before.
"""

from __future__ import annotations

import copy
import json
import math
import os
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel

from attnviz import metrics, search, tasks
from attnviz.bundle import Bundle
from attnviz.checkpoint import save_model
from attnviz.config import ModelConfig, TrainConfig
from attnviz.model import Seq2Seq
from attnviz.tasks import Corpus, Pair, load_task
from attnviz.tokenizer import BOS, EOS, PAD, UNK, Tokenizer

Example = tuple[list[int], list[int]]  # source ids, target ids (no BOS/EOS)


@dataclass
class Progress:
    """What a callback is told after every batch."""

    epoch: int
    batch: int
    batches: int  # per epoch
    loss: float  # running mean over this epoch
    tokens_per_s: float  # target tokens per second so far
    elapsed_s: float
    budget_s: float | None

    @property
    def position(self) -> float:
        """How far training is, in epochs: 1.5 = half-way through the second epoch."""
        return self.epoch - 1 + self.batch / self.batches


@dataclass
class EpochResult:
    epoch: int
    reached: float  # Progress.position after the epoch's last batch (a cancelled
    # or timed-out epoch ends early: 0.57 rather than 1)
    train_loss: float
    dev_loss: float  # teacher-forced cross-entropy on the dev set (with label smoothing)
    dev_metric: float  # higher is better: BLEU or exact match, the task's metric
    metric_name: str
    lr: float
    elapsed_s: float
    improved: bool


class Callback:
    """Hooks the trainer calls; override what you need."""

    def on_stage(self, stage: str) -> None: ...  # preparing: "loading data", "tokenizers", "encoding"

    def on_start(self, bundle: Bundle) -> None: ...  # the untrained model, before the first batch

    def on_batch(self, progress: Progress) -> None: ...

    def on_epoch(self, result: EpochResult, bundle: Bundle) -> None: ...

    def should_stop(self) -> bool:
        return False  # return True to cancel; the best checkpoint so far is kept


@dataclass
class TrainResult:
    bundle: Bundle  # the best model
    history: list[EpochResult] = field(default_factory=list)
    stopped_because: str = ""


@dataclass(frozen=True)
class Ranks:
    """This process's place in a torchrun job: its rank and how many processes train together."""

    rank: int = 0
    world: int = 1

    @property
    def main(self) -> bool:
        """Rank 0: the one that saves, logs and reports."""
        return self.rank == 0

    @classmethod
    def current(cls) -> Ranks:
        if dist.is_available() and dist.is_initialized():
            return cls(dist.get_rank(), dist.get_world_size())
        return cls()


ONE = Ranks()  # a single process
CPU = torch.device("cpu")


def start_processes(device: str = "cpu") -> Ranks:
    """Join the process group torchrun set up (gloo on the CPU, nccl on CUDA); one process without it.
    On CUDA each process takes the GPU of its local rank."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or dist.is_initialized():
        return Ranks.current()
    cuda = torch.device(device).type == "cuda"
    if cuda:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group("nccl" if cuda else "gloo")
    return Ranks.current()


def stop_processes() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def training_device(device: str) -> torch.device:
    """The device training steps run on: "cuda" means this rank's GPU."""
    if torch.device(device).type == "cuda" and dist.is_initialized():
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device(device)


def _sum(values: list[float], ranks: Ranks, device: torch.device) -> list[float]:
    """The sum over all ranks of each of `values` (the values themselves in one process)."""
    if ranks.world == 1:
        return values
    total = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(total)
    return total.tolist()


def _agreed(value: Any, ranks: Ranks) -> Any:
    """Rank 0's `value`, on every rank (a picklable object)."""
    if ranks.world == 1:
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def _shares(items: Sequence[Any], ranks: Ranks) -> Sequence[Any]:
    """This rank's share of `items`: every world-th, starting at its rank."""
    return items[ranks.rank :: ranks.world]


def _gathered(share: list[Any], n: int, ranks: Ranks) -> list[Any]:
    """The whole list again from every rank's share (the inverse of `_shares` for a list of length n)."""
    if ranks.world == 1:
        return share
    parts: list[list[Any]] = [[] for _ in range(ranks.world)]
    dist.all_gather_object(parts, share)
    whole: list[Any] = [None] * n
    for rank, part in enumerate(parts):
        whole[rank :: ranks.world] = part
    return whole


def tokenize_pairs(src: Tokenizer, tgt: Tokenizer, pairs: Sequence[Pair], cfg: ModelConfig) -> list[Example]:
    """Ids for each pair, cut to the model's length limits (leaving room for </s>)."""
    out = []
    for pair in pairs:
        s = list(src.tokenize(pair.source).ids)[: cfg.max_src_len]
        t = list(tgt.tokenize(pair.target).ids)[: cfg.max_tgt_len - 1]
        if s and t:
            out.append((s, t))
    return out


def make_batches(examples: list[Example], batch_size: int, rng: random.Random) -> list[list[Example]]:
    """Length-bucketed batches: similar lengths together, so little compute goes to padding."""
    noisy = sorted(examples, key=lambda e: len(e[0]) + rng.random() * 2)
    batches = [noisy[i : i + batch_size] for i in range(0, len(noisy), batch_size)]
    rng.shuffle(batches)
    return batches


def collate(batch: list[Example]) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """-> src (B, S), lengths (B,), prev (B, T) = BOS + target, gold (B, T) = target + EOS."""
    B, S, T = len(batch), max(len(s) for s, _ in batch), max(len(t) for _, t in batch) + 1
    src = torch.full((B, S), PAD, dtype=torch.long)
    prev = torch.full((B, T), PAD, dtype=torch.long)
    gold = torch.full((B, T), PAD, dtype=torch.long)
    for i, (s, t) in enumerate(batch):
        src[i, : len(s)] = torch.tensor(s)
        prev[i, : len(t) + 1] = torch.tensor([BOS, *t])
        gold[i, : len(t) + 1] = torch.tensor([*t, EOS])
    return src, torch.tensor([len(s) for s, _ in batch]), prev, gold


def drop_words(ids: Tensor, p: float) -> Tensor:
    """Word dropout: each real piece (not padding, not BOS) becomes <unk> with probability p, so the
    model cannot lean on any single word - a regulariser for small corpora (Sennrich et al. 2016)."""
    if p == 0.0:
        return ids
    drop = (torch.rand(ids.shape) < p) & (ids != PAD) & (ids != BOS)
    return ids.masked_fill(drop, UNK)


def batch_loss(model: Seq2Seq, batch: tuple[Tensor, ...], loss_fn: nn.Module) -> tuple[Tensor, int]:
    """Teacher-forced loss of one collated batch over its real target pieces, and how many there are.
    Logits are computed at those pieces only (Decoder.read_out's keep): a de-en batch is ~40% padding."""
    src, lengths, prev, gold = batch
    real = gold != PAD  # (B, T)
    logits = model(src, lengths, prev, keep=real).logits  # (N, V)
    return loss_fn(logits, gold[real]), int(real.sum())


def still_learning(metric_improved: bool, loss_improved: bool, patience_on: str) -> bool:
    """Whether an epoch resets early stopping's patience (TrainConfig.patience_on)."""
    return metric_improved or (patience_on == "either" and loss_improved)


def build(
    cfg: TrainConfig, corpus: Corpus, name: str, tokenizers: tuple[Tokenizer, Tokenizer] | None = None
) -> Bundle:
    """Train tokenizers on the training split (unless given) and build an untrained model of the
    configured size."""
    task = tasks.get(corpus.task)
    if tokenizers is None:
        tokenizers = (
            Tokenizer.train(
                (p.source for p in corpus.train), cfg.src_kind or task.source_kind, cfg.src_vocab
            ),
            Tokenizer.train(
                (p.target for p in corpus.train), cfg.tgt_kind or task.target_kind, cfg.tgt_vocab
            ),
        )
    src, tgt = tokenizers
    torch.manual_seed(cfg.seed)
    model = Seq2Seq(ModelConfig.build(cfg.model, src.vocab_size, tgt.vocab_size))
    return Bundle(name=name, model=model, src=src, tgt=tgt, train_config=cfg)


def dev_score(bundle: Bundle, pairs: Sequence[Pair], task: str, beam: int = 1, ranks: Ranks = ONE) -> float:
    """The task's metric on `pairs`; with several ranks each decodes its share and all get the score."""
    mine = [
        t.translation
        for t in search.translate_batch(bundle, [p.source for p in _shares(pairs, ranks)], beam=beam)
    ]
    hyps = _gathered(mine, len(pairs), ranks)
    refs = [p.target for p in pairs]
    if tasks.get(task).metric == "bleu":
        return metrics.bleu(hyps, refs)
    return metrics.exact_match(hyps, refs)


@torch.inference_mode()
def dev_loss(
    model: Seq2Seq,
    examples: list[Example],
    loss_fn: nn.Module,
    batch_size: int,
    ranks: Ranks = ONE,
    device: torch.device = CPU,
) -> float:
    """Mean teacher-forced loss per target token on the dev set (each rank computes its share)."""
    total, count = 0.0, 0
    mine = list(_shares(examples, ranks))
    for start in range(0, len(mine), batch_size):
        batch = [x.to(device) for x in collate(mine[start : start + batch_size])]
        loss, n = batch_loss(model, tuple(batch), loss_fn)
        total += float(loss) * n
        count += n
    total, count = _sum([total, count], ranks, device)
    return total / max(1, count)


def train(
    cfg: TrainConfig,
    out_dir: Path | None = None,
    *,
    corpus: Corpus | None = None,
    callbacks: Sequence[Callback] = (),
    device: str = "cpu",
) -> TrainResult:
    """Train a model as `cfg` says; with out_dir, save each new best checkpoint there atomically.

    In a torchrun job every rank calls this with the same arguments; only rank 0 saves and calls the
    callbacks. `device` is where the training steps run ("cuda": this rank's GPU); the model that is
    decoded, saved and returned stays on the CPU.
    """
    start = time.monotonic()  # the budget counts preparing the data too: it is part of the wait
    ranks = Ranks.current()
    on = training_device(device)
    callbacks = callbacks if ranks.main else ()

    def stage(name: str) -> None:
        for cb in callbacks:
            cb.on_stage(name)

    if corpus is None:
        stage("loading data")
        corpus = load_task(cfg.task, seed=cfg.data_seed, path=cfg.data_path, size=cfg.data_size)
    name = out_dir.name if out_dir else f"{cfg.task}-{cfg.model.attention}"
    stage("tokenizers")
    bundle = _agreed_bundle(cfg, corpus, name, ranks)
    model = bundle.model
    net = model if on == CPU else copy.deepcopy(model).to(on)  # the one that learns
    step_net: nn.Module = net
    if ranks.world > 1:
        step_net = DistributedDataParallel(net, device_ids=[on.index] if on.type == "cuda" else None)
    if ranks.world > 1:
        torch.manual_seed(cfg.seed * 1000 + ranks.rank)  # each rank drops words of its own
    stage("encoding")
    examples = tokenize_pairs(bundle.src, bundle.tgt, corpus.train, model.config)
    dev = list(corpus.dev)
    rng = random.Random(cfg.seed)  # the same on every rank: the same batches, each rank its share
    optimizer = torch.optim.Adam(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    loss_fn = nn.CrossEntropyLoss(ignore_index=PAD, label_smoothing=cfg.label_smoothing)
    budget = cfg.max_minutes * 60 if cfg.max_minutes else None
    result = TrainResult(bundle=bundle)
    best_score, bad_epochs, tokens = -math.inf, 0, 0
    best_loss = math.inf
    dev_examples = tokenize_pairs(bundle.src, bundle.tgt, corpus.dev, model.config)
    best_states: list[tuple[float, dict[str, Tensor]]] = []  # the best few, for averaging
    info = {
        "task": corpus.task,
        "train_pairs": len(examples),
        "dev_pairs": len(dev),
        "test_pairs": len(corpus.test),
    }
    if ranks.world > 1:
        info["processes"] = ranks.world

    def out_of_time() -> bool:
        return budget is not None and time.monotonic() - start > budget

    def cancelled() -> bool:
        return any(cb.should_stop() for cb in callbacks)

    for cb in callbacks:
        cb.on_start(bundle)

    for epoch in range(1, cfg.epochs + 1):
        net.train()
        batches = make_batches(examples, cfg.batch_size, rng)
        # Every rank takes as many batches as the others: an update waits for all of them.
        per_rank = max(1, len(batches) // ranks.world)
        batches = list(_shares((batches * ranks.world)[: per_rank * ranks.world], ranks))
        total_loss = 0.0
        time_up = was_cancelled = False
        for i, batch in enumerate(batches, 1):
            src, lengths, prev, gold = collate(batch)
            src, prev = drop_words(src, cfg.word_dropout), drop_words(prev, cfg.word_dropout)
            loss, n = batch_loss(step_net, tuple(x.to(on) for x in (src, lengths, prev, gold)), loss_fn)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), cfg.clip)
            optimizer.step()
            total_loss += loss.item()
            n_all, late = _sum([n, float(out_of_time())], ranks, on)  # all ranks' tokens; anyone late
            tokens += int(n_all)
            elapsed = time.monotonic() - start
            progress = Progress(epoch, i, len(batches), total_loss / i, tokens / elapsed, elapsed, budget)
            for cb in callbacks:
                cb.on_batch(progress)
            time_up, was_cancelled = late > 0, _sum([float(cancelled())], ranks, on)[0] > 0
            if time_up or was_cancelled:
                break
        net.eval()
        if net is not model:
            model.load_state_dict(net.state_dict())
        score = dev_score(bundle, dev, corpus.task, cfg.dev_beam, ranks)
        loss = dev_loss(net, dev_examples, loss_fn, cfg.batch_size, ranks, on)
        improved, loss_improved = score > best_score, loss < best_loss
        bad_epochs = 0 if still_learning(improved, loss_improved, cfg.patience_on) else bad_epochs + 1
        best_score = max(best_score, score)
        if loss_improved:
            best_loss = loss
        else:
            for group in optimizer.param_groups:  # the dev loss stalled: take smaller steps
                group["lr"] = max(cfg.min_lr, group["lr"] * cfg.lr_decay)
        best_states.append((score, copy.deepcopy(model.state_dict())))
        best_states = sorted(best_states, key=lambda s: -s[0])[: cfg.average_best]
        epoch_result = EpochResult(
            epoch=epoch,
            reached=progress.position,
            train_loss=total_loss / max(1, i),
            dev_loss=loss,
            dev_metric=score,
            metric_name=tasks.get(corpus.task).metric,
            lr=optimizer.param_groups[0]["lr"],
            elapsed_s=time.monotonic() - start,
            improved=improved,
        )
        result.history.append(epoch_result)
        info.update(
            epochs=epoch,
            train_seconds=round(time.monotonic() - start, 1),
            tokens_per_s=round(tokens / (time.monotonic() - start)),
            best_dev=best_score,
            dev_metric=tasks.get(corpus.task).metric,
        )
        if improved and out_dir is not None and ranks.main:
            _save(out_dir, bundle, info, result.history)
        for cb in callbacks:
            cb.on_epoch(epoch_result, bundle)
        if time_up or _agreed(out_of_time(), ranks):
            result.stopped_because = "time budget"
        elif was_cancelled or _agreed(cancelled(), ranks):
            result.stopped_because = "cancelled"
        elif bad_epochs >= cfg.patience:
            result.stopped_because = "early stopping"
        if result.stopped_because:
            break
    result.stopped_because = result.stopped_because or "epochs done"
    saves = out_dir if ranks.main else None
    _finish(result, best_states, best_score, dev, corpus.task, cfg, saves, info, ranks)
    return result


def _agreed_bundle(cfg: TrainConfig, corpus: Corpus, name: str, ranks: Ranks) -> Bundle:
    """The untrained bundle, built by rank 0 and its tokenizers sent to the others (SentencePiece's
    trainer is not promised to be deterministic across processes). The weights come from the same seed
    everywhere, and DDP broadcasts rank 0's at its start anyway."""
    if ranks.world == 1:
        return build(cfg, corpus, name)
    made = build(cfg, corpus, name) if ranks.main else None
    sent = _agreed([(t.proto, t.kind) for t in (made.src, made.tgt)] if made else None, ranks)
    return made or build(cfg, corpus, name, (Tokenizer(*sent[0]), Tokenizer(*sent[1])))


def _finish(
    result: TrainResult,
    best_states: list[tuple[float, dict[str, Tensor]]],
    best_score: float,
    dev: list[Pair],
    task: str,
    cfg: TrainConfig,
    out_dir: Path | None,
    info: dict[str, Any],
    ranks: Ranks = ONE,
) -> None:
    """Leave the best weights in the model: the average of the best few if that scores higher."""
    model = result.bundle.model
    model.load_state_dict(best_states[0][1])
    if len(best_states) > 1:
        averaged = {k: sum(s[k] for _, s in best_states) / len(best_states) for k in best_states[0][1]}
        model.load_state_dict(averaged)
        score = dev_score(result.bundle, dev, task, cfg.dev_beam, ranks)
        if score > best_score:
            info.update(best_dev=score, averaged_checkpoints=len(best_states))
            if out_dir is not None:
                _save(out_dir, result.bundle, info, result.history)
        else:
            model.load_state_dict(best_states[0][1])
    info["stopped_because"] = result.stopped_because
    result.bundle.info = dict(info)  # also when nothing is saved
    if out_dir is not None:
        _save(out_dir, result.bundle, info, result.history)
    model.eval()


def _save(out_dir: Path, bundle: Bundle, info: dict[str, Any], history: list[EpochResult]) -> None:
    bundle.info = dict(info)
    log = json.dumps([asdict(h) for h in history], indent=1)
    half = bundle.train_config is not None and bundle.train_config.save_dtype == "float16"
    dtype = torch.float16 if half else torch.float32
    save_model(out_dir, replace(bundle), dtype=dtype, extra_files={"train_log.json": log + "\n"})
