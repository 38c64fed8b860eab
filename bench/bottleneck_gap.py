"""Is the gap between an attention model and the no-attention baseline real, bucket by bucket?

Two overlapping per-model intervals (metrics.json) do not mean "no difference": both models are scored on
the same sentences. This decodes the test split with both models and gives a paired bootstrap interval
for BLEU(first) - BLEU(second) in every source-length bucket (`evaluate.paired_gap`: 1,000 resamples,
seed 0), the same numbers the Bottleneck page's "paired test" button shows. Prints a Markdown table.

    .venv/bin/python bench/bottleneck_gap.py [FIRST SECOND] [--beam 1]   # default: de-en-dot de-en-none
"""

from __future__ import annotations

import argparse
from pathlib import Path

from attnviz.checkpoint import load_model
from attnviz.evaluate import paired_gap

MODELS = Path(__file__).resolve().parent.parent / "models"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=["de-en-dot", "de-en-none"])
    parser.add_argument("--beam", type=int, default=1)
    args = parser.parse_args()
    first, second = (load_model(MODELS / name) for name in args.models)
    print(f"{first.name} - {second.name}, test split, {'greedy' if args.beam == 1 else f'beam {args.beam}'}")
    print("| source words | sentences | BLEU first | BLEU second | gap | paired 95% interval of the gap |")
    print("|---|---|---|---|---|---|")
    for name, row in paired_gap(first, second, beam=args.beam).items():
        if row["gap_ci"] is None:
            print(f"| {name} | {row['n']} | | | | too few sentences |")
            continue
        low, high = row["gap_ci"]
        print(
            f"| {name} | {row['n']} | {row['first']:.2f} | {row['second']:.2f} | {row['gap']:+.2f} | "
            f"{low:+.2f} to {high:+.2f} |"
        )


if __name__ == "__main__":
    main()
