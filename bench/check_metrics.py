"""Does `attnviz evaluate` reproduce each shipped model's metrics.json? (issue 3's acceptance)

Evaluates every model in models/ (or the ones named) exactly as `attnviz evaluate` does - same split,
same beams - without writing anything, and compares every number with the committed metrics.json.

    .venv/bin/python bench/check_metrics.py [NAME ...]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from attnviz.checkpoint import list_models, load_model
from attnviz.evaluate import evaluate

MODELS = Path(__file__).resolve().parent.parent / "models"


def numbers(tree: object, prefix: str = "") -> dict[str, float]:
    """Every number in nested dicts and lists (a list item's key is its index), by its dotted path."""
    if isinstance(tree, dict | list):
        out: dict[str, float] = {}
        for key, value in tree.items() if isinstance(tree, dict) else enumerate(tree):
            out.update(numbers(value, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): tree} if isinstance(tree, int | float) else {}


def check(path: Path) -> bool:
    bundle = load_model(path)
    saved = json.loads((path / "metrics.json").read_text(encoding="utf-8"))
    beams = [
        1 if key == "greedy" else int(key.removeprefix("beam"))
        for key in saved
        if key == "greedy" or key.startswith("beam")
    ]
    start = time.monotonic()
    fresh = numbers(json.loads(json.dumps(evaluate(bundle, beams=beams))))
    want = numbers(saved)
    diffs = {
        k: (want.get(k), fresh.get(k)) for k in want.keys() | fresh.keys() if want.get(k) != fresh.get(k)
    }
    verdict = "same" if not diffs else f"{len(diffs)} differ: {sorted(diffs.items())[:5]}"
    print(f"{path.name}: {len(want)} numbers, beams {beams}, {time.monotonic() - start:.0f} s -> {verdict}")
    return not diffs


def main() -> None:
    names = sys.argv[1:]
    paths = [p for p in list_models(MODELS) if not names or p.name in names]
    results = [check(p) for p in paths]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
