"""Evaluate a model on its task's held-out test split and write metrics.json.

Translation quality (BLEU/chrF or exact match, BLEU by source length), phoneme error rate for g2p, and,
where the task has gold alignments, how well attention aligns: argmax accuracy and AER (Och & Ney 2003),
read from attention under forced decoding of the reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from attnviz import metrics, search
from attnviz.checkpoint import METRICS, Bundle
from attnviz.config import save_json
from attnviz.tasks import Corpus, Pair, load_task
from attnviz.train import collate, metric_name


def load_corpus(bundle: Bundle) -> Corpus:
    """The corpus the model was trained on, split exactly as it was in training."""
    cfg = bundle.train_config
    if cfg is None:
        raise ValueError(f"model {bundle.name} records no training config, so its test split is unknown")
    return load_task(cfg.task, seed=cfg.seed, path=cfg.data_path, size=cfg.data_size)


def quality(task: str, pairs: Sequence[Pair], hyps: Sequence[str]) -> dict[str, Any]:
    refs = [p.target for p in pairs]
    out: dict[str, Any] = {
        "bleu": metrics.bleu(hyps, refs),
        "chrf": metrics.chrf(hyps, refs),
        "exact_match": metrics.exact_match(hyps, refs),
    }
    if metric_name(task) == "bleu":
        out["by_length"] = metrics.bleu_by_length([p.source for p in pairs], hyps, refs)
    if task == "g2p":
        out["phoneme_error_rate"] = metrics.phoneme_error_rate(hyps, refs)
        out["word_accuracy"] = metrics.word_accuracy(hyps, refs)
    return out


@torch.inference_mode()
def forced_weights(bundle: Bundle, pairs: Sequence[Pair], batch_size: int = 64) -> list[np.ndarray]:
    """Attention weights (T, S) while the decoder is fed the reference (T includes </s>)."""
    cfg = bundle.config
    encoded = [(bundle.src.encode(p.source).ids, bundle.tgt.encode(p.target).ids) for p in pairs]
    examples = [(list(s[: cfg.max_src_len]), list(t[: cfg.max_tgt_len - 1])) for s, t in encoded]
    out = []
    for start in range(0, len(examples), batch_size):
        batch = examples[start : start + batch_size]
        src, lengths, prev, _ = collate(batch)
        weights = bundle.model(src, lengths, prev).weights  # (B, T, S)
        for (s, t), w in zip(batch, weights, strict=True):
            out.append(w[: len(t) + 1, : len(s)].numpy())
    return out


def alignment(bundle: Bundle, pairs: Sequence[Pair]) -> dict[str, Any]:
    """Attention argmax accuracy against possible links and AER, on pairs with gold links."""
    pairs = [p for p in pairs if p.links]
    weights = forced_weights(bundle, pairs)
    sure, possible = [], []
    for p in pairs:
        s, pos = metrics.project_links(
            p.links, bundle.src.encode(p.source).spans, bundle.tgt.encode(p.target).spans
        )
        sure.append(s)
        possible.append(pos)
    argmax = [metrics.argmax_links(w) for w in weights]
    return {
        "accuracy": metrics.alignment_accuracy(weights, possible),
        "aer": metrics.aer(argmax, sure, possible),
        "sentences": len(pairs),
    }


def evaluate(bundle: Bundle, *, beams: Sequence[int] = (1, 5), limit: int | None = None) -> dict[str, Any]:
    """Every metric of `bundle` on its test split (the first `limit` pairs if given)."""
    corpus = load_corpus(bundle)
    test = list(corpus.test[:limit] if limit else corpus.test)
    result: dict[str, Any] = {"task": corpus.task, "split": "test", "pairs": len(test)}
    for beam in beams:
        traces = search.translate_batch(bundle, [p.source for p in test], beam=beam)
        key = "greedy" if beam == 1 else f"beam{beam}"
        result[key] = quality(corpus.task, test, [t.translation for t in traces])
    if bundle.config.attention != "none" and any(p.links for p in test):
        result["alignment"] = alignment(bundle, test)
    return result


def write_metrics(bundle: Bundle, result: dict[str, Any]) -> None:
    if bundle.path is None:
        raise ValueError("the model has no directory to write metrics.json into")
    save_json(result, bundle.path / METRICS)
