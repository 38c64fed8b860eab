"""Benchmark: time to a full greedy Trace for a 20-piece sentence, and training throughput.

Run by hand (not in the tests): `.venv/bin/python bench/trace_latency.py`. Uses the shipped de-en-dot
model if present, otherwise an untrained model of the default size with de-en tokenizers (decoding
time does not depend on the weights, only on the sizes and the number of steps, fixed here at 20).
Prints a Markdown table for bench/RESULTS.md. Run nothing else heavy at the same time: two PyTorch
processes on 2 cores slow each other far more than 2x.
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import random
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from attnviz import search
from attnviz.bundle import Bundle
from attnviz.checkpoint import load_model
from attnviz.config import resolve
from attnviz.model import Seq2Seq
from attnviz.tasks import load_task
from attnviz.tokenizer import BOS
from attnviz.train import batch_loss, build, collate, make_batches, tokenize_pairs

ROOT = Path(__file__).resolve().parent.parent
STEPS = 20
VECTORS = ("hidden", "weights", "scores", "context", "attentional")


def default_bundle() -> tuple[Bundle, str]:
    shipped = ROOT / "models" / "de-en-dot"
    if (shipped / "config.json").is_file():
        bundle = load_model(shipped)
        what = "shipped de-en-dot"
    else:
        corpus = load_task("de-en")
        bundle = build(resolve(recipe="de-en-dot"), corpus, "untrained")
        what = "untrained, the de-en-dot recipe's size and tokenizers"
    # Exactly STEPS decoder steps, whatever the weights say (a trained model may stop earlier).
    config = dataclasses.replace(bundle.config, max_tgt_len=STEPS)
    model = Seq2Seq(config)
    model.load_state_dict(bundle.model.state_dict())
    model.eval()
    with torch.no_grad():  # forbid </s> so that every run takes all STEPS steps
        model.decoder.out.bias[3] = -1e4
    return dataclasses.replace(bundle, model=model), what


def twenty_piece_sentence(bundle: Bundle) -> str:
    for pair in load_task("de-en").test:
        if len(bundle.src.tokenize(pair.source).ids) == STEPS:
            return pair.source
    raise SystemExit("no 20-piece sentence in the test split")


@torch.inference_mode()
def straightforward_trace(bundle: Bundle, text: str) -> list[dict]:
    """The textbook loop: nn.GRU called per step, numbers copied to numpy and top-k taken per step."""
    model = bundle.model
    ids = torch.tensor([bundle.src.tokenize(text).ids])
    memory = model.encode(ids, torch.tensor([ids.size(1)]))
    state, prev, steps = memory.latent, torch.tensor([[BOS]]), []
    for _ in range(bundle.config.max_tgt_len):
        out = model.decoder(prev, memory, state)
        probs = torch.softmax(out.logits[0, -1], dim=-1)
        top = probs.topk(10)
        step = {name: getattr(out, name)[0, -1].numpy().copy() for name in VECTORS}
        ids, probs = top.indices.tolist(), top.values.tolist()
        step["topk"] = list(zip(bundle.tgt.labels(ids), probs, strict=True))
        steps.append(step)
        state, prev = out.hidden[:, -1], top.indices[:1].view(1, 1)
    return steps


def interleaved_median_ms(fns: dict[str, object], repeats: int) -> dict[str, float]:
    """Median time of each function, calling them in turn so that machine noise hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for i in range(repeats + 10):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            if i >= 10:  # warm-up
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) * 1000 for name, t in times.items()}


def one_thread(fn):
    def run():
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            fn()
        finally:
            torch.set_num_threads(threads)

    return run


def training_throughput(batches: int, rounds: int = 3) -> dict[str, float]:
    """Target tokens per second over `batches` batches of the de-en-dot recipe (after warm-up), for the
    training step as train.py runs it ("kept": logits only at real target pieces) and the plain way
    ("full": logits over the whole padded (B, T) grid), alternating so both see the same machine."""
    cfg = resolve(recipe="de-en-dot")
    corpus = load_task("de-en")
    bundle = build(cfg, corpus, "bench")
    model = bundle.model.train()
    examples = tokenize_pairs(bundle.src, bundle.tgt, corpus.train, model.config)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=0, label_smoothing=cfg.label_smoothing)
    all_batches = [collate(b) for b in make_batches(examples, cfg.batch_size, random.Random(0))]

    def step(src, lengths, prev, gold, kept: bool) -> None:
        if kept:
            loss, _ = batch_loss(model, (src, lengths, prev, gold), loss_fn)
        else:
            logits = model(src, lengths, prev).logits
            loss = loss_fn(logits.reshape(-1, logits.size(-1)), gold.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
        optimizer.step()

    for batch in all_batches[:5]:  # warm-up
        step(*batch, kept=True)
    seconds = {"kept": 0.0, "full": 0.0}
    tokens = 0
    for r in range(rounds):
        chunk = all_batches[5 + r * batches : 5 + (r + 1) * batches]
        tokens += sum(int((gold != 0).sum()) for *_, gold in chunk)
        for name in seconds:
            start = time.perf_counter()
            for batch in chunk:
                step(*batch, kept=name == "kept")
            seconds[name] += time.perf_counter() - start
    return {name: tokens / s for name, s in seconds.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--batches", type=int, default=60)
    args = parser.parse_args()
    bundle, what = default_bundle()
    text = twenty_piece_sentence(bundle)
    trace = search.translate(bundle, text)
    assert trace.num_steps == STEPS and len(trace.source_pieces) == STEPS
    naive = straightforward_trace(bundle, text)
    np.testing.assert_allclose(np.stack([s["weights"] for s in naive]), trace.weights, atol=1e-5)
    ms = interleaved_median_ms(
        {
            "ours": lambda: search.translate(bundle, text),
            "plain": lambda: straightforward_trace(bundle, text),
            "ours1": one_thread(lambda: search.translate(bundle, text)),
        },
        args.repeats,
    )
    tps = training_throughput(args.batches)
    cpu = platform.processor() or platform.machine()
    print(f"machine: {cpu}, {torch.get_num_threads()} torch threads, torch {torch.__version__}")
    print(f"model: {what}; {bundle.model.parameter_count():,} parameters")
    print(f"sentence ({STEPS} pieces, {STEPS} steps): {text}\n")
    print("| measurement | result | target |")
    print("|---|---|---|")
    print(f"| full greedy Trace, median of {args.repeats} | {ms['ours']:.2f} ms | <= 10 ms |")
    print(f"| the same with torch.set_num_threads(1) | {ms['ours1']:.2f} ms | |")
    print(
        f"| step loop calling nn.GRU per step, copying to numpy per step | {ms['plain']:.2f} ms "
        f"(ratio {ms['plain'] / ms['ours']:.2f}) | |"
    )
    n = args.batches * 3
    kept = f"{tps['kept']:,.0f} tokens/s"
    print(f"| training step as train.py runs it, {n} batches of 64 | {kept} | >= 3,000 |")
    print(
        f"| the same with logits over the padded grid | {tps['full']:,.0f} tokens/s "
        f"(ratio {tps['kept'] / tps['full']:.2f}) | |"
    )


if __name__ == "__main__":
    main()
