"""The recipes of the shipped models: `attnviz train --recipe NAME` retrains one, seeded, from scratch.

Each recipe is a TrainConfig written out in full, so a model card can point at one name.
"""

from __future__ import annotations

from attnviz.config import SIZES, TrainConfig


def _recipe(task: str, attention: str, size: str = "default", **train: object) -> dict[str, object]:
    return {"task": task, "model": dict(SIZES[size], attention=attention), **train}


RECIPES: dict[str, dict[str, object]] = {
    "dates-dot": _recipe("dates", "dot", seed=1, epochs=20, patience=3, max_minutes=10),
}


def recipe(name: str) -> TrainConfig:
    if name not in RECIPES:
        raise KeyError(f"no recipe {name!r}; recipes are {', '.join(sorted(RECIPES))}")
    return TrainConfig.from_dict(RECIPES[name])
