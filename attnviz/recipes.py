"""The recipes of the shipped models: `attnviz train --recipe NAME` retrains one, seeded, from scratch.

Each recipe is a TrainConfig written out in full, so a model card can point at one name.
"""

from __future__ import annotations

from typing import Any

from attnviz.config import SIZES, TASK_DEFAULTS, TrainConfig


def settings(task: str, attention: str = "dot", size: str = "default", **train: object) -> dict[str, Any]:
    """TrainConfig fields: the task's defaults, then the given settings; `model` holds ModelConfig
    overrides. The CLI, the Train page and the recipes below all start here."""
    defaults = TASK_DEFAULTS.get(task, {})
    model = {**SIZES[size], "attention": attention, **defaults.get("model", {}), **train.pop("model", {})}
    return {**defaults, "task": task, **train, "model": model}


# The four de-en models share one tokenizer setting, split and size: they differ only in attention.
_DE_EN = {
    "seed": 1,
    "src_vocab": 3000,  # a small vocabulary suits a small corpus (Sennrich & Zhang 2019)
    "tgt_vocab": 3000,
    "epochs": 60,
    "patience": 6,
    "average_best": 3,
    "max_minutes": 45,
    "save_dtype": "float16",  # four models at 3.2M parameters: 6 MB each instead of 13
}

SEED = 2  # dates-dot: chosen among seeds 1-5 by dev alignment accuracy (NOTES below)

RECIPES: dict[str, dict[str, object]] = {
    "dates-dot": settings("dates", "dot", seed=SEED, epochs=20, patience=3, max_minutes=10),
    **{
        f"de-en-{att}": settings("de-en", att, model={"dropout": 0.3}, **_DE_EN)
        for att in ("dot", "general", "concat", "none")
    },
    # Spelling -> phonemes: characters in, one piece per phoneme out; 117k training words.
    "g2p-dot": settings(
        "g2p", "dot", seed=1, epochs=40, patience=4, average_best=3, max_minutes=30, save_dtype="float16"
    ),
}


# What a reader of a model card should know about how its recipe was chosen.
NOTES: dict[str, str] = {
    "dates-dot": (
        "Attention alignment depends on the initialisation: seeds 1-5 of this recipe reached 93.2%, "
        "98.3%, 97.4%, 95.9% and 87.9% argmax accuracy on the dev set's gold links; the recipe uses "
        "the seed that was best on dev (exact match was 99.6-100% for all). See bench/RESULTS.md."
    ),
    "de-en-dot": (
        "The result depends on the seed: seeds 1, 2 and 3 of this recipe reached 4.81, 3.57 and 4.32 "
        "greedy test BLEU (seed 2 stopped early, at epoch 16, on a noisy dev BLEU). Seed 1 is the "
        "recipe's own, fixed before the others were tried. The shipped weights predate the faster "
        "training step (logits only at real target pieces: the same sums, added in another order); "
        "seed 1 retrained with the current code gave 4.87 greedy and 4.43 beam-5 test BLEU in 14.8 "
        "minutes - inside that spread, not the same numbers. See bench/RESULTS.md."
    ),
}


def recipe(name: str) -> TrainConfig:
    if name not in RECIPES:
        raise KeyError(f"no recipe {name!r}; recipes are {', '.join(sorted(RECIPES))}")
    return TrainConfig.from_dict(RECIPES[name])
