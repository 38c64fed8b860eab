"""Print the de-en family's Markdown tables for RESULTS.md from the shipped models' metrics.json files
(so no number in them is typed by hand).

    .venv/bin/python bench/family_table.py
"""

from __future__ import annotations

import json
from pathlib import Path

MODELS = Path(__file__).resolve().parent.parent / "models"
FAMILY = ("de-en-dot", "de-en-general", "de-en-concat", "de-en-none")


def load(name: str) -> tuple[dict, dict] | None:
    path = MODELS / name
    if not (path / "metrics.json").is_file():
        return None
    info = json.loads((path / "config.json").read_text())["info"]
    return json.loads((path / "metrics.json").read_text()), info


def main() -> None:
    found = {name: load(name) for name in FAMILY}
    found = {k: v for k, v in found.items() if v is not None}
    for name, (m, info) in found.items():
        g, b = m["greedy"], m["beam5"]
        print(
            f"| {name} | {info['epochs']}, {info['train_seconds'] / 60:.1f} ({info['stopped_because']}) | "
            f"{g['bleu']:.2f} | {b['bleu']:.2f} | {g['chrf']:.1f} | {b['chrf']:.1f} |"
        )
    print()
    buckets = list(next(iter(found.values()))[0]["greedy"]["by_length"])
    print("| model | " + " | ".join(buckets) + " |")
    print("|---|" + "---|" * len(buckets))
    for name, (m, _) in found.items():
        cells = m["greedy"]["by_length"]
        print(
            f"| {name} | " + " | ".join(f"{cells[k]['bleu']:.2f} ({cells[k]['n']})" for k in buckets) + " |"
        )
    if "de-en-dot" in found and "de-en-none" in found:
        dot, none = (
            found["de-en-dot"][0]["greedy"]["by_length"],
            found["de-en-none"][0]["greedy"]["by_length"],
        )
        print()
        for k in buckets:
            print(
                f"{k}: gap {dot[k]['bleu'] - none[k]['bleu']:+.2f} BLEU, none keeps "
                f"{none[k]['bleu'] / dot[k]['bleu']:.0%} of dot (n={dot[k]['n']})"
            )


if __name__ == "__main__":
    main()
