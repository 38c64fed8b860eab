"""Benchmark (issue 18): an intervention's re-decode of a 20-piece sentence, against the plain decode of
the same sentence, measured in one run. Run by hand, nothing else heavy at the same time:

    .venv/bin/python bench/intervene_latency.py

Uses the shipped de-en-dot model. Prints a Markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from attnviz import search
from attnviz.checkpoint import load_model
from attnviz.intervene import Intervention

MODELS = Path(__file__).resolve().parent.parent / "models"
SENTENCE = "Meine Mutter kocht jeden Sonntag eine große Suppe für die ganze Familie und alle lieben Nachbarn."


def median_ms(run, repeats: int = 30) -> float:
    run()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    bundle = load_model(MODELS / "de-en-dot")
    pieces = len(search.read_source(bundle, SENTENCE).tokens.ids)
    rows = [("plain greedy decode", None)]
    rows += [
        ("force step 3 onto piece 2", Intervention("force", step=3, piece=2)),
        ("mask piece 1 at every step", Intervention("mask", piece=1)),
        ("uniform at every step", Intervention("uniform")),
        ("permuted at every step", Intervention("permute")),
    ]
    print(f"de-en-dot, a {pieces}-piece sentence; median of 30 runs after a warm-up")
    print()
    print("| decode | ms | x plain |")
    print("|---|---|---|")
    plain = None
    for name, how in rows:
        ms = median_ms(lambda how=how: search.translate(bundle, SENTENCE, intervention=how))
        plain = plain or ms
        print(f"| {name} | {ms:.1f} | {ms / plain:.2f} |")


if __name__ == "__main__":
    main()
