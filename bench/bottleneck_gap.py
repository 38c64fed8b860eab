"""Is the gap between an attention model and the no-attention baseline real, bucket by bucket?

The Bottleneck page reads each model's own 95% interval from metrics.json; two overlapping intervals do
not mean "no difference", because both models are scored on the same sentences. This decodes the test
split with both models and gives a paired bootstrap interval for BLEU(first) - BLEU(second) in every
source-length bucket (`metrics.bleu_gap_interval`, 1,000 resamples, seed 0). Prints a Markdown table.

    .venv/bin/python bench/bottleneck_gap.py [FIRST SECOND] [--beam 1]   # default: de-en-dot de-en-none
"""

from __future__ import annotations

import argparse
from pathlib import Path

from attnviz import metrics, search
from attnviz.checkpoint import load_model
from attnviz.evaluate import load_corpus

MODELS = Path(__file__).resolve().parent.parent / "models"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=["de-en-dot", "de-en-none"])
    parser.add_argument("--beam", type=int, default=1)
    args = parser.parse_args()
    first, second = (load_model(MODELS / name) for name in args.models)
    test = load_corpus(first).test
    if [p.source for p in load_corpus(second).test] != [p.source for p in test]:
        raise SystemExit("the two models were not trained on the same split")
    refs = [p.target for p in test]
    a, b = (
        [t.translation for t in search.translate_batch(m, [p.source for p in test], beam=args.beam)]
        for m in (first, second)
    )
    print(f"{first.name} - {second.name}, test split, {'greedy' if args.beam == 1 else f'beam {args.beam}'}")
    print("| source words | sentences | BLEU first | BLEU second | gap | paired 95% interval of the gap |")
    print("|---|---|---|---|---|---|")
    for name, low, high in metrics.LENGTH_BUCKETS:
        idx = [i for i, p in enumerate(test) if low <= len(p.source.split()) <= high]
        if len(idx) < metrics.MIN_INTERVAL_SENTENCES:
            print(f"| {name} | {len(idx)} | | | | too few sentences |")
            continue
        pick = [[x[i] for i in idx] for x in (a, b, refs)]
        bleu_a, bleu_b = metrics.bleu(pick[0], pick[2]), metrics.bleu(pick[1], pick[2])
        gap_low, gap_high = metrics.bleu_gap_interval(*pick)
        print(
            f"| {name} | {len(idx)} | {bleu_a:.2f} | {bleu_b:.2f} | {bleu_a - bleu_b:+.2f} | "
            f"{gap_low:+.2f} to {gap_high:+.2f} |"
        )


if __name__ == "__main__":
    main()
