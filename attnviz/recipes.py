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
    "patience_on": "either",  # dev BLEU is noisy at these levels; a falling dev loss keeps a run going
    "word_dropout": 0.1,
    "average_best": 3,
    "max_minutes": 55,
    "save_dtype": "float16",  # four models at 2.4M parameters: 5 MB each instead of 10
}
# Tying the output layer to the target embeddings was the largest single gain (bench/RESULTS.md).
_DE_EN_MODEL = {"dropout": 0.3, "tie_output": True}
_DE_EN_ATTENTIONS = ("dot", "general", "concat", "none")

SEED = 2  # dates-dot: chosen among seeds 1-5 by dev alignment accuracy (NOTES below)

RECIPES: dict[str, dict[str, object]] = {
    "dates-dot": settings("dates", "dot", seed=SEED, epochs=20, patience=3, max_minutes=10),
    **{f"de-en-{att}": settings("de-en", att, model=_DE_EN_MODEL, **_DE_EN) for att in _DE_EN_ATTENTIONS},
    # Spelling -> phonemes: characters in, one piece per phoneme out; 117k training words.
    "g2p-dot": settings(
        "g2p", "dot", seed=1, epochs=40, patience=4, average_best=3, max_minutes=30, save_dtype="float16"
    ),
}


# What a reader of a model card should know about how its recipe was chosen.
_TWO_AT_A_TIME = (
    "The four de-en models were trained two at a time on the 2-core CPU, one torch thread each "
    "(bench/seed_spread.py --threads 1 --out, the recipe's settings), so their minutes are about 1.4x "
    "those of a run alone; a retrain with another thread count adds in another order: expect numbers "
    "within the seed spread, not the same digits."
)
_DE_EN_NOTES = {
    "dot": (
        "Tying the output layer to the target embeddings (tie_output) is what lifted this model: the "
        "untied recipe of sessions 2-4 reached 3.57-4.87 greedy test BLEU over seeds and code versions. "
        "Seed 1 is the recipe's own, fixed before other seeds were tried; for other seeds see "
        "bench/RESULTS.md."
    ),
}
NOTES: dict[str, str] = {
    "dates-dot": (
        "Attention alignment depends on the initialisation: seeds 1-5 of this recipe reached 93.2%, "
        "98.3%, 97.4%, 95.9% and 87.9% argmax accuracy on the dev set's gold links; the recipe uses "
        "the seed that was best on dev (exact match was 99.6-100% for all). See bench/RESULTS.md."
    ),
    **{
        f"de-en-{att}": " ".join(filter(None, [_DE_EN_NOTES.get(att), _TWO_AT_A_TIME]))
        for att in _DE_EN_ATTENTIONS
    },
}


def recipe(name: str) -> TrainConfig:
    if name not in RECIPES:
        raise KeyError(f"no recipe {name!r}; recipes are {', '.join(sorted(RECIPES))}")
    return TrainConfig.from_dict(RECIPES[name])
