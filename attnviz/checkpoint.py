"""A model directory: config.json, model.safetensors, the two SentencePiece models, metrics.json.

Saving is atomic (write a temporary directory, then rename) so a kill mid-save never loses the previous
good checkpoint. Weights load from safetensors only: nothing is ever unpickled.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from attnviz.config import ModelConfig, TrainConfig, save_json
from attnviz.model import Seq2Seq
from attnviz.tokenizer import Tokenizer

CONFIG, WEIGHTS, METRICS = "config.json", "model.safetensors", "metrics.json"
SRC_SPM, TGT_SPM = "source.spm", "target.spm"


class ModelError(Exception):
    """A model directory that cannot be used; the message says which and why."""


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


def save_model(
    out_dir: Path,
    bundle: Bundle,
    *,
    dtype: torch.dtype = torch.float32,
    extra_files: dict[str, str] | None = None,
) -> None:
    """Write `bundle` to `out_dir` atomically, replacing what was there. float16 halves the size."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        state = {k: v.detach().to(dtype).contiguous() for k, v in bundle.model.state_dict().items()}
        save_file(state, str(tmp / WEIGHTS))
        bundle.src.save(tmp / SRC_SPM)
        bundle.tgt.save(tmp / TGT_SPM)
        config = {
            "model": asdict(bundle.config),
            "tokenizers": {"source": bundle.src.kind, "target": bundle.tgt.kind},
            "train": asdict(bundle.train_config) if bundle.train_config else None,
            "info": bundle.info,
        }
        save_json(config, tmp / CONFIG)
        if bundle.metrics:
            save_json(bundle.metrics, tmp / METRICS)
        for name, text in (extra_files or {}).items():
            (tmp / name).write_text(text, encoding="utf-8")
        # mkdtemp makes a private directory; a model directory is meant to be shared and read.
        tmp.chmod(0o755)
        for written in tmp.iterdir():
            written.chmod(0o644)
        # Keep files written by others (the model card, evaluate's metrics) across re-saves.
        if out_dir.is_dir():
            for old in out_dir.iterdir():
                if old.is_file() and not (tmp / old.name).exists():
                    shutil.copy2(old, tmp / old.name)
        replace_dir(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def replace_dir(new: Path, target: Path) -> None:
    """Swap `new` into place: at every moment either the old or the new directory is complete."""
    if target.exists():
        old = target.with_name(f".{target.name}.old.{os.getpid()}")
        os.replace(target, old)
        os.replace(new, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, target)


def load_model(path: Path | str, name: str | None = None) -> Bundle:
    """Load a model directory, validating its config; raises ModelError with a clear message."""
    path = Path(path)
    if not (path / CONFIG).is_file():
        raise ModelError(f"{path} is not a model directory (no {CONFIG})")
    try:
        saved = json.loads((path / CONFIG).read_text(encoding="utf-8"))
        config = ModelConfig.from_dict(saved["model"])
        train = TrainConfig.from_dict(saved["train"]) if saved.get("train") else None
        src = Tokenizer.load(path / SRC_SPM, saved["tokenizers"]["source"])
        tgt = Tokenizer.load(path / TGT_SPM, saved["tokenizers"]["target"])
        state = load_file(str(path / WEIGHTS))
        metrics = {}
        if (path / METRICS).is_file():
            metrics = json.loads((path / METRICS).read_text(encoding="utf-8"))
    except (OSError, KeyError, TypeError, ValueError, RuntimeError, SafetensorError) as err:
        # RuntimeError: SentencePiece's word for a corrupt model file; ValueError covers bad JSON
        raise ModelError(f"cannot load model {path}: {err}") from err
    for side, tok, size in (("source", src, config.src_vocab), ("target", tgt, config.tgt_vocab)):
        if tok.vocab_size != size:
            raise ModelError(
                f"the {side} tokenizer in {path} has {tok.vocab_size} pieces but the model expects {size}"
            )
    model = Seq2Seq(config)
    try:
        model.load_state_dict({k: v.float() for k, v in state.items()})
    except RuntimeError as err:
        raise ModelError(f"weights in {path} do not match its config: {err}") from err
    model.eval()
    return Bundle(
        name=name or path.name,
        model=model,
        src=src,
        tgt=tgt,
        train_config=train,
        metrics=metrics,
        info=saved.get("info") or {},
        path=path,
    )


def list_models(root: Path | str) -> list[Path]:
    """Model directories directly under `root`, sorted by name."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / CONFIG).is_file() and not p.name.startswith("."))
