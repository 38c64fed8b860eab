"""A model directory: config.json, model.safetensors and its sha256, the two SentencePiece models,
metrics.json.

Saving is atomic (write a temporary directory, then rename) so a kill mid-save never loses the previous
good checkpoint. Weights load from safetensors only: nothing is ever unpickled; bytes changed since the
save are caught by the recorded checksum. Every damaged file is a ModelError that says what is wrong.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from attnviz.bundle import Bundle
from attnviz.config import TOKENIZER_KINDS, ModelConfig, TrainConfig, save_json
from attnviz.model import Seq2Seq
from attnviz.tokenizer import Tokenizer

CONFIG, WEIGHTS, METRICS = "config.json", "model.safetensors", "metrics.json"
SRC_SPM, TGT_SPM = "source.spm", "target.spm"
CHECKSUM = "weights.sha256"  # `sha256sum` format, so `sha256sum -c weights.sha256` checks it too


class ModelError(Exception):
    """A model directory that cannot be used; the message says which and why."""


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
        write_checksum(tmp)
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
    """Swap `new` into place: at every moment `target` is complete, old or new, for any reader.

    Linux swaps two directories in one step (`_exchange`); `new` then holds the old one, deleted after.
    Elsewhere it takes two renames, target -> `.<name>.old.<pid>`, then new -> target: a kill between
    them leaves no `target` for a moment, and `recover` (called by `list_models`) puts the old one back.
    """
    if not target.exists():
        os.replace(new, target)
    elif _exchange(new, target):
        shutil.rmtree(new, ignore_errors=True)
    else:
        with _SWAPPING:  # threads of one process share the one .old.<pid> name
            old = target.with_name(f".{target.name}.old.{os.getpid()}")
            os.replace(target, old)
            os.replace(new, target)
            shutil.rmtree(old, ignore_errors=True)


def weights_checksum(path: Path) -> str:
    """The sha256 (hex) of the weights file in model directory `path`."""
    digest = hashlib.sha256()
    with open(Path(path) / WEIGHTS, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_checksum(path: Path) -> None:
    """Record the sha256 of the weights in model directory `path`, beside them (save_model does this)."""
    (Path(path) / CHECKSUM).write_text(f"{weights_checksum(path)}  {WEIGHTS}\n", encoding="ascii")


def _verify_checksum(path: Path) -> None:
    """Weights whose bytes changed after the save (a bad copy, a bad disk, a hand edit) can still parse
    and would translate nonsense. A directory saved before checksums existed has none to verify."""
    if not (path / CHECKSUM).is_file():
        return
    with open(path / CHECKSUM, "rb") as f:
        recorded = f.read(200).decode("ascii", "replace").split()[:1]
    if not recorded or len(recorded[0]) != 64 or set(recorded[0]) - set("0123456789abcdef"):
        raise ModelError(f"cannot load model {path}: damaged: {CHECKSUM} does not hold a sha256 checksum")
    if recorded[0] != weights_checksum(path):
        raise ModelError(
            f"cannot load model {path}: damaged: the weights do not match their checksum "
            f"({WEIGHTS} changed after it was saved; {CHECKSUM} records the original)"
        )


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be a JSON object, got {_short(value)}")
    return value


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# metrics.json's tables of {method: {measure: number}}: alignment and agreement (P, R, AER), and
# faithfulness (BLEU, chrF, exact match with the attention changed)
ALIGNMENT_KEYS = ("alignment", "alignment_words", "agreement", "faithfulness")


def _check_metrics(metrics: Any) -> dict[str, Any]:
    """metrics.json as `attnviz evaluate` writes it, checked for the JSON types that the pages read
    without looking: a hand-edited file fails here, with its reason, not later inside a page."""
    _object(metrics, METRICS)
    for key in ("task", "split"):
        if key in metrics and not isinstance(metrics[key], str):
            raise ValueError(f"{METRICS}: {key} must be a string, got {_short(metrics[key])}")
    if "pairs" in metrics and (not isinstance(metrics["pairs"], int) or isinstance(metrics["pairs"], bool)):
        raise ValueError(f"{METRICS}: pairs must be an integer, got {_short(metrics['pairs'])}")
    for key, result in metrics.items():
        if key not in ("greedy", *ALIGNMENT_KEYS) and not key.startswith("beam"):
            continue
        for name, value in _object(result, f"{METRICS}: {key}").items():
            if name == "by_length":
                _check_buckets(value, f"{METRICS}: {key}.by_length")
            elif key in ALIGNMENT_KEYS and name == "gold":
                if not isinstance(value, str):
                    raise ValueError(f"{METRICS}: {key}.gold must be a string, got {_short(value)}")
            elif key in ALIGNMENT_KEYS and isinstance(value, dict):  # a method's P, R, AER
                for measure, number in value.items():
                    if not _number(number):
                        raise ValueError(
                            f"{METRICS}: {key}.{name}.{measure} must be a number, got {_short(number)}"
                        )
            elif value is not None and not _number(value):
                raise ValueError(f"{METRICS}: {key}.{name} must be a number, got {_short(value)}")
    return metrics


def _check_buckets(buckets: Any, where: str) -> None:
    """{bucket: {"bleu": number or null, "bleu_ci": null or [low, high], "n": count, ...}}"""
    for bucket, row in _object(buckets, where).items():
        _object(row, f"{where}.{bucket}")
        n, bleu, ci = row.get("n"), row.get("bleu"), row.get("bleu_ci")
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ValueError(f"{where}.{bucket}.n must be a count, got {_short(n)}")
        if "bleu" not in row or not (bleu is None or _number(bleu)):
            raise ValueError(f"{where}.{bucket}.bleu must be a number or null, got {_short(bleu)}")
        if ci is not None and not (isinstance(ci, list) and len(ci) == 2 and all(map(_number, ci))):
            raise ValueError(f"{where}.{bucket}.bleu_ci must be null or [low, high], got {_short(ci)}")


def load_model(path: Path | str, name: str | None = None) -> Bundle:
    """Load a model directory, validating its config; raises ModelError with a clear message."""
    path = Path(path)
    if not path.exists():  # a save killed between its two renames, where the swap is not atomic
        recover(path.parent)
    if not (path / CONFIG).is_file():
        raise ModelError(f"{path} is not a model directory (no {CONFIG})")
    try:
        saved = _object(json.loads((path / CONFIG).read_text(encoding="utf-8")), CONFIG)
        config = ModelConfig.from_dict(_object(saved.get("model"), f"{CONFIG}: model"))
        train = TrainConfig.from_dict(saved["train"]) if saved.get("train") else None
        info = _object(saved.get("info") or {}, f"{CONFIG}: info")
        seconds = info.get("train_seconds")
        if not (seconds is None or _number(seconds)):
            raise ValueError(f"{CONFIG}: info.train_seconds must be a number, got {_short(seconds)}")
        kinds = _object(saved.get("tokenizers"), f"{CONFIG}: tokenizers")
        for side in ("source", "target"):
            if kinds.get(side) not in TOKENIZER_KINDS:
                raise ValueError(
                    f"{CONFIG}: tokenizers.{side} must be one of {', '.join(TOKENIZER_KINDS)}, "
                    f"got {_short(kinds.get(side))}"
                )
        src = Tokenizer.load(path / SRC_SPM, kinds["source"])
        tgt = Tokenizer.load(path / TGT_SPM, kinds["target"])
        _verify_checksum(path)
        try:
            state = load_file(str(path / WEIGHTS))
        except SafetensorError as err:  # a file cut short, or not safetensors at all
            raise ValueError(f"{WEIGHTS} is damaged or not a safetensors file ({err})") from err
        metrics = {}
        if (path / METRICS).is_file():
            metrics = _check_metrics(json.loads((path / METRICS).read_text(encoding="utf-8")))
    except (OSError, KeyError, TypeError, ValueError, RuntimeError, SafetensorError) as err:
        # RuntimeError: SentencePiece's word for a corrupt model file; ValueError covers bad JSON (and
        # ConfigError, sizes out of bounds included: nothing has been allocated yet)
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
        info=info,
        path=path,
    )


def summary(path: Path | str) -> dict[str, str]:
    """A model directory's task and attention function, from its config.json alone (no tokenizer or
    weights loaded: a picker describes every model with it). "?" for what a damaged config lacks."""
    try:
        saved = json.loads((Path(path) / CONFIG).read_text(encoding="utf-8"))
        train = saved.get("train") or {}
        return {"task": str(train.get("task", "?")), "attention": str(saved["model"]["attention"])}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):  # e.g. "train": "oops"
        return {"task": "?", "attention": "?"}


def list_models(root: Path | str) -> list[Path]:
    """Model directories directly under `root`, sorted by name."""
    root = Path(root)
    if not root.is_dir():
        return []
    recover(root)  # what killed saves left: a model between its two renames, stale temporary dirs
    return sorted(p for p in root.iterdir() if (p / CONFIG).is_file() and not p.name.startswith("."))


# ---------------------------------------------------------------- what killed saves leave behind

_SWAPPING = threading.Lock()  # replace_dir's two renames, and recover, one at a time in this process
_OLD = re.compile(r"\.(?P<name>.+)\.old\.(?P<pid>[0-9]+)")  # replace_dir's target, moved aside
_TEMP = re.compile(r"\..+\.[a-z0-9_]{8}")  # save_model's tempfile.mkdtemp(prefix=".<name>.")
STALE_S = 600  # a temporary directory untouched this long belongs to a save that died
_RENAME_EXCHANGE = 2  # renameat2's flag (linux/fs.h): swap the two paths
_AT_FDCWD = -100  # paths relative to the working directory


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one step (Linux's renameat2 with RENAME_EXCHANGE); False where this
    system or file system cannot, and replace_dir takes two renames instead."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError, TypeError):  # not glibc, or not Linux
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def recover(root: Path | str) -> list[Path]:
    """Tidy what killed saves left in folder `root`: a model directory cut between replace_dir's two
    renames is put back from its `.<name>.old.<pid>` (once that process is gone), an `.old` one whose
    model is in place is deleted, and so is a save_model temporary directory older than STALE_S.
    Returns the model directories put back. A folder this process cannot write is left as it is."""
    root = Path(root)
    restored = []
    try:
        entries = [p for p in root.iterdir() if p.name.startswith(".") and p.is_dir() and not p.is_symlink()]
    except OSError:
        return restored
    with _SWAPPING:  # no swap of this process is half done while we look
        for path in entries:
            try:
                if old := _OLD.fullmatch(path.name):
                    pid = int(old["pid"])
                    if pid != os.getpid() and _alive(pid):
                        continue  # that process may be between its two renames right now
                    target = root / old["name"]
                    if target.exists():
                        shutil.rmtree(path)
                    else:
                        os.replace(path, target)
                        restored.append(target)
                elif _TEMP.fullmatch(path.name) and time.time() - path.stat().st_mtime > STALE_S:
                    shutil.rmtree(path)
            except OSError:  # read-only, or another process tidied it first
                continue
    return restored


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True
