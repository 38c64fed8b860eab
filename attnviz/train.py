"""The training loop: teacher forcing, Adam, gradient clipping, a dev metric each epoch, the best
checkpoint kept, early stopping and a wall-clock budget. It reports through callbacks, so the CLI draws
a progress bar and the app a chart from the same loop; it knows nothing of the model's insides.
"""

from __future__ import annotations

import copy
import json
import math
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

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


def build(cfg: TrainConfig, corpus: Corpus, name: str) -> Bundle:
    """Train tokenizers on the training split and build an untrained model of the configured size."""
    task = tasks.get(corpus.task)
    src = Tokenizer.train((p.source for p in corpus.train), cfg.src_kind or task.source_kind, cfg.src_vocab)
    tgt = Tokenizer.train((p.target for p in corpus.train), cfg.tgt_kind or task.target_kind, cfg.tgt_vocab)
    torch.manual_seed(cfg.seed)
    model = Seq2Seq(ModelConfig.build(cfg.model, src.vocab_size, tgt.vocab_size))
    return Bundle(name=name, model=model, src=src, tgt=tgt, train_config=cfg)


def dev_score(bundle: Bundle, pairs: Sequence[Pair], task: str, beam: int = 1) -> float:
    hyps = [t.translation for t in search.translate_batch(bundle, [p.source for p in pairs], beam=beam)]
    refs = [p.target for p in pairs]
    if tasks.get(task).metric == "bleu":
        return metrics.bleu(hyps, refs)
    return metrics.exact_match(hyps, refs)


@torch.inference_mode()
def dev_loss(model: Seq2Seq, examples: list[Example], loss_fn: nn.Module, batch_size: int) -> float:
    """Mean teacher-forced loss per target token on the dev set."""
    total, count = 0.0, 0
    for start in range(0, len(examples), batch_size):
        loss, n = batch_loss(model, collate(examples[start : start + batch_size]), loss_fn)
        total += float(loss) * n
        count += n
    return total / max(1, count)


def train(
    cfg: TrainConfig,
    out_dir: Path | None = None,
    *,
    corpus: Corpus | None = None,
    callbacks: Sequence[Callback] = (),
) -> TrainResult:
    """Train a model as `cfg` says; with out_dir, save each new best checkpoint there atomically."""
    start = time.monotonic()  # the budget counts preparing the data too: it is part of the wait

    def stage(name: str) -> None:
        for cb in callbacks:
            cb.on_stage(name)

    if corpus is None:
        stage("loading data")
        corpus = load_task(cfg.task, seed=cfg.data_seed, path=cfg.data_path, size=cfg.data_size)
    name = out_dir.name if out_dir else f"{cfg.task}-{cfg.model.attention}"
    stage("tokenizers")
    bundle = build(cfg, corpus, name)
    model = bundle.model
    stage("encoding")
    examples = tokenize_pairs(bundle.src, bundle.tgt, corpus.train, model.config)
    dev = list(corpus.dev)
    rng = random.Random(cfg.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
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

    def out_of_time() -> bool:
        return budget is not None and time.monotonic() - start > budget

    def cancelled() -> bool:
        return any(cb.should_stop() for cb in callbacks)

    for cb in callbacks:
        cb.on_start(bundle)

    for epoch in range(1, cfg.epochs + 1):
        model.train()
        batches = make_batches(examples, cfg.batch_size, rng)
        total_loss = 0.0
        for i, batch in enumerate(batches, 1):
            src, lengths, prev, gold = collate(batch)
            src, prev = drop_words(src, cfg.word_dropout), drop_words(prev, cfg.word_dropout)
            loss, n = batch_loss(model, (src, lengths, prev, gold), loss_fn)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
            optimizer.step()
            total_loss += loss.item()
            tokens += n
            elapsed = time.monotonic() - start
            progress = Progress(epoch, i, len(batches), total_loss / i, tokens / elapsed, elapsed, budget)
            for cb in callbacks:
                cb.on_batch(progress)
            if out_of_time() or cancelled():
                break
        model.eval()
        score = dev_score(bundle, dev, corpus.task, cfg.dev_beam)
        loss = dev_loss(model, dev_examples, loss_fn, cfg.batch_size)
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
        if improved and out_dir is not None:
            _save(out_dir, bundle, info, result.history)
        for cb in callbacks:
            cb.on_epoch(epoch_result, bundle)
        if out_of_time():
            result.stopped_because = "time budget"
        elif cancelled():
            result.stopped_because = "cancelled"
        elif bad_epochs >= cfg.patience:
            result.stopped_because = "early stopping"
        if result.stopped_because:
            break
    result.stopped_because = result.stopped_because or "epochs done"
    _finish(result, best_states, best_score, dev, corpus.task, cfg, out_dir, info)
    return result


def _finish(
    result: TrainResult,
    best_states: list[tuple[float, dict[str, Tensor]]],
    best_score: float,
    dev: list[Pair],
    task: str,
    cfg: TrainConfig,
    out_dir: Path | None,
    info: dict[str, Any],
) -> None:
    """Leave the best weights in the model: the average of the best few if that scores higher."""
    model = result.bundle.model
    model.load_state_dict(best_states[0][1])
    if len(best_states) > 1:
        averaged = {k: sum(s[k] for _, s in best_states) / len(best_states) for k in best_states[0][1]}
        model.load_state_dict(averaged)
        score = dev_score(result.bundle, dev, task, cfg.dev_beam)
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
