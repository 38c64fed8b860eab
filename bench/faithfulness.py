"""Does the decoder use its attention? (issue 18, part 1) The test split of each model named (default:
the de-en models with attention and dates-dot) decoded greedily with its own attention and with uniform,
permuted and hard (argmax) attention at every step; the task's metric of each. Prints Markdown for
bench/RESULTS.md.

    .venv/bin/python bench/faithfulness.py [NAME ...]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from attnviz import evaluate, tasks
from attnviz.checkpoint import load_model

MODELS = Path(__file__).resolve().parent.parent / "models"


def main() -> None:
    names = sys.argv[1:] or [
        "dates-dot",
        "ko-en-dot",
        "grc-en-dot",
        "de-en-dot",
        "de-en-general",
        "de-en-concat",
    ]
    print("| model | metric | " + " | ".join(evaluate.FAITHFULNESS) + " | seconds |")
    print("|---|---|" + "---|" * len(evaluate.FAITHFULNESS) + "---|")
    for name in names:
        bundle = load_model(MODELS / name)
        metric = tasks.get(bundle.train_config.task).metric
        start = time.perf_counter()
        found = evaluate.faithfulness(bundle, evaluate.load_test_split(bundle))
        took = time.perf_counter() - start
        cells = " | ".join(f"{found[k][metric]:.1f}" for k in evaluate.FAITHFULNESS)
        print(f"| {name} | {metric} | {cells} | {took:.0f} |", flush=True)


if __name__ == "__main__":
    main()
