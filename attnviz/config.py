"""Model and training settings as dataclasses, saved as JSON into every model directory.

`resolve` is the one way settings are made: the task's defaults, then a recipe, a size and the caller's
own settings, checked before any work starts. A saved config is rebuilt with `ModelConfig.from_dict` /
`TrainConfig.from_dict`: unknown keys and bad values fail loudly, naming the setting.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from attnviz import tasks
from attnviz.recipes import RECIPES

ATTENTIONS = ("dot", "general", "concat", "scaled_dot", "none")
TOKENIZER_KINDS = ("char", "word", "unigram", "bpe")
# Size presets: ModelConfig overrides. "default" is the size the shipped de-en models use.
SIZES: dict[str, dict[str, int]] = {
    "tiny": {"emb": 32, "hidden": 64},
    "small": {"emb": 128, "hidden": 128},
    "default": {"emb": 256, "hidden": 256},
}
# Sane bounds, checked before a model is built: far above anything attnviz trains (hidden 256, a few
# thousand pieces), far below what would run a server out of memory. A config.json outside them is
# damaged or hostile, and is refused with a message instead of an allocation traceback.
MAX_VOCAB = 1_000_000  # pieces per side
MAX_WIDTH = 8192  # emb and hidden
MAX_LEN = 4096  # max_src_len and max_tgt_len, in pieces
MAX_PARAMETER_BYTES = 2 * 1024**3  # the weights of one model as float32, as they are loaded


class ConfigError(ValueError):
    """A config that cannot be built: the message lists the valid options."""


def _from_dict(cls: type, data: dict[str, Any]) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"a {cls.__name__} must be a JSON object of settings, got {type(data).__name__}")
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"unknown {cls.__name__} key(s) {unknown}; valid keys are {sorted(names)}")
    return cls(**data)


def _check_choice(name: str, value: str, options: tuple[str, ...]) -> None:
    if value not in options:
        raise ConfigError(f"{name}={value!r} is not one of {', '.join(options)}")


def _check_types(obj: Any) -> None:
    """JSON has one number type; a 16.0 where an int belongs would fail deep inside PyTorch."""
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        kind = str(f.type).removesuffix(" | None")
        if value is None and kind != f.type:
            continue
        if kind == "int" and (not isinstance(value, int) or isinstance(value, bool)):
            raise ConfigError(f"{f.name} must be an integer, got {value!r}")
        if kind == "float" and (not isinstance(value, int | float) or isinstance(value, bool)):
            raise ConfigError(f"{f.name} must be a number, got {value!r}")
        if kind == "bool" and not isinstance(value, bool):
            raise ConfigError(f"{f.name} must be true or false, got {value!r}")
        if kind == "str" and not isinstance(value, str):
            raise ConfigError(f"{f.name} must be a string, got {value!r}")


def _check_positive(obj: Any, *names: str) -> None:
    for name in names:
        if getattr(obj, name) <= 0:
            raise ConfigError(f"{name} must be positive, got {getattr(obj, name)!r}")


def _check_at_most(obj: Any, limit: int, *names: str) -> None:
    for name in names:
        value = getattr(obj, name)
        if value > limit:
            raise ConfigError(f"{name}={value} is more than {limit:,}, the largest attnviz builds")


@dataclass(frozen=True)
class ModelSpec:
    """The shape of an encoder-decoder, all but its vocabularies (which the trained tokenizers decide):
    what a training config asks for."""

    attention: str = "dot"  # how decoder state s_t scores encoder state h_i; "none" = bottleneck
    emb: int = 256  # word-piece embedding size
    hidden: int = 256  # encoder states (both directions together) and decoder state share it,
    # so that the dot product s_t . h_i is defined without a projection
    dropout: float = 0.2  # on embeddings and the attentional vector; low-resource data overfits
    max_src_len: int = 64  # pieces; longer input is cut, and the user is told what was cut
    max_tgt_len: int = 80  # decoding stops here if no end-of-sentence came first
    tie_output: bool = False  # the output layer reuses the target embeddings, transposed (Press & Wolf
    # 2017): a piece is read and written in one vector space; needs emb == hidden

    def __post_init__(self) -> None:
        _check_types(self)
        _check_choice("attention", self.attention, ATTENTIONS)
        _check_positive(self, "emb", "hidden", "max_src_len", "max_tgt_len")
        _check_at_most(self, MAX_WIDTH, "emb", "hidden")
        _check_at_most(self, MAX_LEN, "max_src_len", "max_tgt_len")
        if self.hidden % 2:
            raise ConfigError(f"hidden must be even (two encoder directions), got {self.hidden}")
        if self.tie_output and self.emb != self.hidden:
            raise ConfigError(f"tie_output needs emb == hidden, got emb {self.emb} and hidden {self.hidden}")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:  # a ModelConfig's too
        return _from_dict(cls, data)


@dataclass(frozen=True)
class ModelConfig(ModelSpec):
    """One encoder-decoder exactly: its shape and its vocabularies; everything needed to rebuild it
    from its weights."""

    src_vocab: int = field(kw_only=True)
    tgt_vocab: int = field(kw_only=True)

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_positive(self, "src_vocab", "tgt_vocab")
        _check_at_most(self, MAX_VOCAB, "src_vocab", "tgt_vocab")
        size = 4 * self.parameter_count()  # bytes of float32 weights
        if size > MAX_PARAMETER_BYTES:
            raise ConfigError(
                f"a model of these sizes would hold {self.parameter_count():,} parameters "
                f"({size / 1024**3:.1f} GB), more than the {MAX_PARAMETER_BYTES / 1024**3:.0f} GB limit "
                f"(src_vocab {self.src_vocab}, tgt_vocab {self.tgt_vocab}, emb {self.emb}, "
                f"hidden {self.hidden})"
            )

    @classmethod
    def build(cls, spec: ModelSpec, src_vocab: int, tgt_vocab: int) -> ModelConfig:
        """The config of a model of shape `spec` over vocabularies of these sizes."""
        return cls(src_vocab=src_vocab, tgt_vocab=tgt_vocab, **dataclasses.asdict(spec))

    def parameter_count(self) -> int:
        """The numbers Seq2Seq(self) holds, from the sizes alone: nothing is allocated to count them."""
        V_s, V_t, E, H = self.src_vocab, self.tgt_vocab, self.emb, self.hidden

        def gru(inputs: int, hidden: int) -> int:  # three gates: W_i (h, in), W_h (h, h), two biases
            return 3 * hidden * (inputs + hidden + 2)

        encoder = V_s * E + 2 * gru(E, H // 2)  # embeddings, a GRU each way with H/2 states
        attention = {"general": H * H, "concat": 2 * H * H + 2 * H}.get(self.attention, 0)  # W; W_s, W_h, v
        bridge, combine = H * H + H, 2 * H * H + H  # W_b; W_c [c_t; s_t]
        output = (0 if self.tie_output else H * V_t) + V_t  # W_out (shared when tied) and its bias
        return encoder + V_t * E + gru(E, H) + bridge + attention + combine + output


PATIENCE_ON = ("metric", "either")


@dataclass(frozen=True)
class TrainConfig:
    """How one model is trained: data, tokenizers, optimiser, and when to stop."""

    task: str = tasks.DEFAULT
    data_path: str | None = None  # the task's data file (a task with a file of its own has a default)
    data_size: int | None = None  # synthetic pairs to generate, or a cap on training pairs
    seed: int = 1  # initialisation and batch order
    data_seed: int = 0  # generation and split of the data; fixed, so that models trained with
    # different seeds or settings share one test set
    src_vocab: int = 4000  # asked of SentencePiece; char tasks get however many characters exist
    tgt_vocab: int = 4000
    src_kind: str | None = None  # tokenizer model type; None takes the task's own choice
    tgt_kind: str | None = None
    batch_size: int = 64  # sentences per batch
    lr: float = 2e-3  # Adam
    lr_decay: float = 0.5  # multiply lr by this when the dev loss stops improving (smoother than BLEU)
    min_lr: float = 1e-4
    weight_decay: float = 0.0
    label_smoothing: float = 0.1
    word_dropout: float = 0.0  # chance that a training input piece becomes <unk> (Sennrich et al. 2016)
    clip: float = 1.0  # gradient norm clipping; RNNs explode now and then
    epochs: int = 30
    patience: int = 4  # epochs without dev improvement before early stopping
    patience_on: str = "metric"  # what counts as improvement: "metric", or "either" the metric or the
    # dev loss (BLEU on a small dev set is noisy; the loss keeps a run going while it still learns)
    max_minutes: float | None = None  # wall-clock budget; the best checkpoint so far is kept
    dev_beam: int = 1  # dev metric decoded greedily by default: faster, and it tracks beam well
    average_best: int = 1  # average the weights of this many best checkpoints at the end
    save_dtype: str = "float32"  # "float16" halves the shipped weights; they load as float32
    model: ModelSpec = field(default_factory=ModelSpec)  # the model's shape; a dict is read as one

    def __post_init__(self) -> None:
        if isinstance(self.model, dict):  # as saved in config.json, or written by hand
            object.__setattr__(self, "model", ModelSpec.from_dict(self.model))
        elif not isinstance(self.model, ModelSpec):
            raise ConfigError(f"model must be a JSON object of model settings, got {self.model!r}")
        _check_types(self)
        _check_choice("save_dtype", self.save_dtype, ("float32", "float16"))
        _check_choice("patience_on", self.patience_on, PATIENCE_ON)
        for name in ("src_kind", "tgt_kind"):
            value = getattr(self, name)
            if value is not None:
                _check_choice(name, value, TOKENIZER_KINDS)
        _check_positive(self, "src_vocab", "tgt_vocab", "batch_size", "lr", "epochs", "patience")
        _check_positive(self, "average_best", "dev_beam")
        if not 0.0 <= self.word_dropout < 1.0:
            raise ConfigError(f"word_dropout must be in [0, 1), got {self.word_dropout}")
        if self.max_minutes is not None and self.max_minutes <= 0:
            raise ConfigError(f"max_minutes must be positive, got {self.max_minutes}")
        # A model too large for memory at the vocabulary sizes asked for is refused now, not after the
        # tokenizers have trained.
        ModelConfig.build(self.model, self.src_vocab, self.tgt_vocab)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        return _from_dict(cls, data)


def resolve(
    task: str | None = None,
    *,
    recipe: str | None = None,
    size: str | None = None,
    attention: str | None = None,
    model: Mapping[str, Any] | None = None,
    **settings: Any,
) -> TrainConfig:
    """The one way a TrainConfig is made (the CLI, the Train page's job and the recipes all call it).

    Later layers win: the task's own defaults (tasks/), then the recipe (recipes.py) if one is named,
    then the given settings. `size` is a preset of emb and hidden (SIZES, "default" unless set),
    `attention` and `model` set ModelSpec fields, and every other keyword is a TrainConfig field. The
    result is checked in full: an unknown or bad setting fails here, naming it, before any data is read.
    """
    if recipe is not None and recipe not in RECIPES:
        raise ConfigError(f"no recipe {recipe!r}; recipes are {', '.join(sorted(RECIPES))}")
    layers = [dict(RECIPES[recipe]) if recipe else {}, {**settings, "model": dict(model or {})}]
    layers[1] |= {
        k: v for k, v in (("task", task), ("size", size), ("attention", attention)) if v is not None
    }
    name = layers[1].get("task", layers[0].get("task", tasks.DEFAULT))
    found = tasks.find(name)
    if found is None:
        raise ConfigError(f"task={name!r} is not one of {', '.join(t.name for t in tasks.all_tasks())}")
    chosen_size = layers[1].get("size", layers[0].get("size", "default"))
    _check_choice("size", chosen_size, tuple(SIZES))
    defaults = dict(found.defaults)
    shape: dict[str, Any] = {**SIZES[chosen_size], **defaults.pop("model", {})}
    fields: dict[str, Any] = defaults
    for layer in layers:
        layer.pop("size", None)
        shape |= layer.pop("model", {})
        if "attention" in layer:
            shape["attention"] = layer.pop("attention")
        fields |= layer
    fields |= {"task": name, "model": shape}
    return TrainConfig.from_dict(fields)  # (a task's missing data file is its loader's first complaint)


def save_json(obj: Any, path: Path) -> None:
    """Write a dataclass (or plain dict) as indented JSON."""
    data = dataclasses.asdict(obj) if dataclasses.is_dataclass(obj) else obj
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
