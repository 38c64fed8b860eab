"""A loaded model: the network, its two tokenizers, how it was trained and how well it does."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from attnviz.config import ModelConfig, TrainConfig
from attnviz.model import Seq2Seq
from attnviz.tokenizer import Tokenizer


@dataclass
class Bundle:
    """Everything needed to translate with one model (read-only once loaded)."""

    name: str
    model: Seq2Seq
    src: Tokenizer
    tgt: Tokenizer
    train_config: TrainConfig | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)  # training time, data sizes, ...
    path: Path | None = None

    @property
    def config(self) -> ModelConfig:
        return self.model.config
