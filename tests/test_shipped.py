"""The shipped models: each loads, translates, carries its card and metrics, and matches its recipe."""

from dataclasses import asdict
from pathlib import Path

import pytest

from attnviz import tasks
from attnviz.checkpoint import list_models, load_model
from attnviz.config import resolve
from attnviz.evaluate import model_card
from attnviz.recipes import RECIPES
from attnviz.search import translate

MODELS = Path(__file__).resolve().parent.parent / "models"
SHIPPED = [p.name for p in list_models(MODELS)]
FAMILY = {
    "de-en-dot",
    "de-en-general",
    "de-en-concat",
    "de-en-none",
    "dates-dot",
    "g2p-dot",
    "ko-en-dot",
    "grc-en-dot",
}


def test_shipped_models_are_small_and_from_the_family():
    assert {"de-en-dot", "dates-dot"} <= set(SHIPPED) <= FAMILY
    total = sum(f.stat().st_size for f in MODELS.rglob("*") if f.is_file())
    assert total < 60e6, f"models/ holds {total / 1e6:.1f} MB; the budget is 60 MB"


@pytest.mark.parametrize("name", SHIPPED)
def test_each_shipped_model_loads_and_translates(name):
    bundle = load_model(MODELS / name)
    task = bundle.train_config.task
    trace = translate(bundle, tasks.get(task).examples[0])
    assert trace.translation.strip()
    assert bundle.metrics["task"] == task and "greedy" in bundle.metrics
    card = (MODELS / name / "README.md").read_text(encoding="utf-8")
    assert f"attnviz train --recipe {name}" in card
    assert (MODELS / name / "train_log.json").is_file()
    # The recipe in the code is the one the model was trained with.
    assert asdict(bundle.train_config) == asdict(resolve(recipe=name))


def test_the_de_en_models_share_tokenizers_and_size():
    de_en = [load_model(MODELS / n) for n in SHIPPED if n.startswith("de-en-")]
    for bundle in de_en[1:]:
        assert bundle.src.proto == de_en[0].src.proto and bundle.tgt.proto == de_en[0].tgt.proto
        assert (bundle.config.emb, bundle.config.hidden) == (de_en[0].config.emb, de_en[0].config.hidden)


def test_every_recipe_names_a_family_model():
    assert set(RECIPES) <= FAMILY


@pytest.mark.parametrize("name", SHIPPED)
def test_each_model_card_is_written_by_evaluate_for_users(name):
    """The card is exactly what `attnviz evaluate` writes from metrics.json (no hand edits), and it reads
    as a card for users: what the model does and how good it is first, not how its runs were scheduled."""
    bundle = load_model(MODELS / name)
    card = (MODELS / name / "README.md").read_text(encoding="utf-8")
    assert card == model_card(bundle, bundle.metrics)
    assert card.index("## How good it is") < card.index("## The model") < card.index("## Reproduce")
    assert card.splitlines()[2].startswith("This model ")
    for dev_log in ("session", "2-core", "two at a time", "thread"):
        assert dev_log not in card.lower(), dev_log
