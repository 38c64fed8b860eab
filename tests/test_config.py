"""Tests for attnviz.config: defaults, JSON round trips, and loud failures that list the valid options."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from attnviz.config import (
    ATTENTIONS,
    SIZES,
    TOKENIZER_KINDS,
    ConfigError,
    ModelConfig,
    ModelSpec,
    TrainConfig,
    resolve,
    save_json,
)
from attnviz.model import Seq2Seq
from attnviz.recipes import RECIPES

MODEL_KEYS = [f.name for f in dataclasses.fields(ModelConfig)]
TRAIN_KEYS = [f.name for f in dataclasses.fields(TrainConfig)]


# --- defaults ---------------------------------------------------------------------------------


@pytest.mark.parametrize("attention", ATTENTIONS)
def test_every_attention_name_builds(attention: str) -> None:
    assert ModelConfig(src_vocab=10, tgt_vocab=10, attention=attention).attention == attention


@pytest.mark.parametrize("size", sorted(SIZES))
def test_size_presets_are_valid_model_overrides(size: str) -> None:
    config = ModelConfig(src_vocab=10, tgt_vocab=10, **SIZES[size])
    assert (config.emb, config.hidden) == (SIZES[size]["emb"], SIZES[size]["hidden"])
    assert resolve("de-en", size=size).model == ModelSpec(**SIZES[size])


# --- JSON round trips -------------------------------------------------------------------------


def test_model_config_json_round_trip() -> None:
    config = ModelConfig(
        src_vocab=37,
        tgt_vocab=41,
        attention="concat",
        emb=24,
        hidden=18,
        dropout=0.35,
        max_src_len=9,
        max_tgt_len=7,
    )
    rebuilt = ModelConfig.from_dict(json.loads(json.dumps(dataclasses.asdict(config))))
    assert rebuilt == config
    assert rebuilt is not config


def test_train_config_json_round_trip_through_save_json(tmp_path) -> None:
    config = TrainConfig(
        task="reverse",
        data_size=123,
        seed=7,
        src_kind="char",
        tgt_kind="unigram",
        lr=3e-3,
        max_minutes=1.5,
        model={"attention": "general", "hidden": 32},
    )
    path = tmp_path / "train.json"
    save_json(config, path)
    rebuilt = TrainConfig.from_dict(json.loads(path.read_text(encoding="utf-8")))
    assert rebuilt == config
    assert rebuilt.model == ModelSpec(attention="general", hidden=32)


def test_save_json_keeps_non_ascii_readable(tmp_path) -> None:
    path = tmp_path / "x.json"
    save_json({"task": "Übung"}, path)
    text = path.read_text(encoding="utf-8")
    assert "Übung" in text and text.endswith("\n")
    assert json.loads(text) == {"task": "Übung"}


# --- loud failures ----------------------------------------------------------------------------


def test_unknown_model_key_lists_valid_keys() -> None:
    with pytest.raises(ConfigError) as info:
        ModelConfig.from_dict({"src_vocab": 5, "tgt_vocab": 5, "hiden": 8})
    message = str(info.value)
    assert "hiden" in message
    for key in MODEL_KEYS:
        assert key in message


def test_unknown_train_key_lists_valid_keys() -> None:
    with pytest.raises(ConfigError) as info:
        TrainConfig.from_dict({"epoch": 3})
    message = str(info.value)
    assert "epoch" in message
    for key in TRAIN_KEYS:
        assert key in message


def test_bad_attention_lists_options() -> None:
    with pytest.raises(ConfigError) as info:
        ModelConfig(src_vocab=5, tgt_vocab=5, attention="bahdanau")
    message = str(info.value)
    assert "bahdanau" in message
    for name in ATTENTIONS:
        assert name in message


def test_bad_tokenizer_kind_lists_options() -> None:
    with pytest.raises(ConfigError) as info:
        TrainConfig(src_kind="wordpiece")
    for name in TOKENIZER_KINDS:
        assert name in str(info.value)


@pytest.mark.parametrize("hidden", [3, 15, 257])
def test_odd_hidden_rejected(hidden: int) -> None:
    with pytest.raises(ConfigError, match="even"):
        ModelConfig(src_vocab=5, tgt_vocab=5, hidden=hidden)


def test_tied_output_needs_embeddings_the_size_of_the_hidden_state() -> None:
    assert ModelConfig(src_vocab=5, tgt_vocab=5, emb=32, hidden=32, tie_output=True).tie_output
    with pytest.raises(ConfigError, match="emb == hidden"):
        ModelConfig(src_vocab=5, tgt_vocab=5, emb=16, hidden=32, tie_output=True)


@pytest.mark.parametrize("value", [1, "true", None])
def test_tie_output_must_be_a_boolean(value) -> None:
    with pytest.raises(ConfigError, match="tie_output must be true or false"):
        ModelConfig.from_dict({"src_vocab": 5, "tgt_vocab": 5, "tie_output": value})


@pytest.mark.parametrize("name", ["src_vocab", "tgt_vocab", "emb", "hidden", "max_src_len", "max_tgt_len"])
@pytest.mark.parametrize("value", [0, -2])
def test_non_positive_sizes_rejected(name: str, value: int) -> None:
    kwargs = {"src_vocab": 5, "tgt_vocab": 5, name: value}
    with pytest.raises(ConfigError, match=name):
        ModelConfig(**kwargs)


@pytest.mark.parametrize("dropout", [-0.1, 1.0, 1.5])
def test_bad_dropout_rejected(dropout: float) -> None:
    with pytest.raises(ConfigError, match="dropout"):
        ModelConfig(src_vocab=5, tgt_vocab=5, dropout=dropout)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"lr": 0.0},
        {"batch_size": -1},
        {"epochs": 0},
        {"patience": 0},
        {"dev_beam": 0},
        {"max_minutes": 0.0},
        {"patience_on": "bleu"},
        {"word_dropout": 1.0},
    ],
)
def test_bad_train_values_rejected(kwargs: dict) -> None:
    with pytest.raises(ConfigError):
        TrainConfig(**kwargs)


@pytest.mark.parametrize("model", [{"hiden": 8}, {"src_vocab": 100}, {"tgt_vocab": 100}])
def test_train_model_overrides_with_invalid_keys_rejected(model: dict) -> None:
    with pytest.raises(ConfigError):
        TrainConfig(model=model)


def test_train_model_override_error_lists_valid_keys() -> None:
    with pytest.raises(ConfigError) as info:
        TrainConfig(model={"hiden": 8})
    for key in ("attention", "emb", "hidden", "dropout", "max_src_len", "max_tgt_len"):
        assert key in str(info.value)


def test_a_saved_config_with_a_partial_model_reads_the_rest_as_defaults() -> None:
    # config.json files written before ModelSpec hold only the overridden model settings.
    saved = {"task": "de-en", "model": {"attention": "general", "dropout": 0.3}}
    assert TrainConfig.from_dict(saved).model == ModelSpec(attention="general", dropout=0.3)


# --- resolve: task defaults, then recipe, size and the caller's settings --------------------------


def test_resolve_layers_task_defaults_recipe_and_overrides() -> None:
    dates = resolve("dates")
    assert (dates.label_smoothing, dates.model.dropout) == (0.0, 0.0)  # the task's own defaults
    assert resolve("de-en").label_smoothing == TrainConfig().label_smoothing  # no defaults of its own
    assert resolve("dates", label_smoothing=0.2, model={"dropout": 0.1}).model.dropout == 0.1
    cfg = resolve(recipe="de-en-dot", seed=9, attention="concat")
    assert (cfg.task, cfg.seed, cfg.model.attention) == ("de-en", 9, "concat")
    assert (cfg.model.dropout, cfg.model.tie_output, cfg.max_minutes) == (0.3, True, 55)  # the recipe's
    assert resolve(recipe="dates-dot", task="reverse").task == "reverse"


def test_resolve_sizes_are_presets_that_explicit_model_settings_beat() -> None:
    assert (resolve(size="tiny").model.emb, resolve(size="tiny").model.hidden) == (32, 64)
    assert resolve(size="tiny", model={"hidden": 48}).model.hidden == 48
    assert resolve(recipe="de-en-dot", size="small").model.hidden == 128


def test_every_recipe_resolves_to_its_shipped_models_config() -> None:
    for name in RECIPES:
        saved = json.loads((Path("models") / name / "config.json").read_text(encoding="utf-8"))["train"]
        assert resolve(recipe=name) == TrainConfig.from_dict(saved), name


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"task": "french"}, "task='french'"),
        ({"size": "huge"}, "size='huge'"),
        ({"recipe": "de-en-bahdanau"}, "no recipe 'de-en-bahdanau'"),
        ({"attention": "bahdanau"}, "attention='bahdanau'"),
        ({"model": {"hiden": 8}}, "hiden"),
        ({"model": {"hidden": 7}}, "hidden must be even"),
        ({"epoch": 3}, "'epoch'"),
        ({"lr": "fast"}, "lr must be a number"),
        ({"src_kind": "wordpiece"}, "src_kind='wordpiece'"),
        ({"src_vocab": 900_000, "model": {"emb": 4096, "hidden": 4096}}, "more than the 2 GB limit"),
    ],
)
def test_resolve_refuses_a_bad_setting_by_name(settings: dict, named: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(named)):
        resolve(**settings)


# --- sizes: sane bounds and the memory a model would take, checked before anything is built ------


@pytest.mark.parametrize(
    ("name", "value"),
    [("hidden", 10**7), ("emb", 10**6), ("src_vocab", 10**9), ("tgt_vocab", 10**9), ("max_tgt_len", 10**9)],
)
def test_absurd_sizes_are_refused_with_the_limit(name: str, value: int) -> None:
    with pytest.raises(ConfigError, match=rf"{name}={value} is more than [\d,]+, the largest attnviz builds"):
        ModelConfig(**{"src_vocab": 5, "tgt_vocab": 5, name: value})


def test_sizes_each_in_bounds_but_too_big_together_are_refused_by_memory() -> None:
    # 1M pieces x 4096 wide: 4 billion numbers in each embedding alone, about 40 GB as float32.
    with pytest.raises(ConfigError, match=r"would hold [\d,]+ parameters \(\d+\.\d GB\), more than the 2 GB"):
        ModelConfig(src_vocab=1_000_000, tgt_vocab=1_000_000, emb=4096, hidden=4096)


def test_a_big_model_under_the_memory_limit_is_accepted() -> None:
    config = ModelConfig(
        src_vocab=200_000, tgt_vocab=200_000, emb=512, hidden=512
    )  # about 1.1 GB of weights, not built
    assert 4 * config.parameter_count() < 2 * 1024**3


@pytest.mark.parametrize("attention", ATTENTIONS)
@pytest.mark.parametrize("tie_output", [False, True])
def test_parameter_count_from_the_sizes_equals_the_built_model(attention: str, tie_output: bool) -> None:
    config = ModelConfig(
        src_vocab=37,
        tgt_vocab=41,
        attention=attention,
        emb=24,
        hidden=24 if tie_output else 18,
        tie_output=tie_output,
    )
    assert config.parameter_count() == Seq2Seq(config).parameter_count()


@pytest.mark.parametrize("data", [[1, 2], "oops", None, 3])
def test_a_config_that_is_not_an_object_is_refused(data) -> None:
    with pytest.raises(ConfigError, match="must be a JSON object"):
        ModelConfig.from_dict(data)
    with pytest.raises(ConfigError, match="must be a JSON object"):
        TrainConfig.from_dict(data)
