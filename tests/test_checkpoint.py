"""Tests for attnviz.checkpoint: save/load round trips, atomic saves, and refusing bad or unsafe files."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from attnviz import checkpoint
from attnviz.checkpoint import (
    CHECKSUM,
    CONFIG,
    METRICS,
    SRC_SPM,
    TGT_SPM,
    WEIGHTS,
    Bundle,
    ModelError,
    list_models,
    load_model,
    save_model,
)
from attnviz.config import TrainConfig
from attnviz.search import translate
from attnviz.tokenizer import Tokenizer

TEXTS = ["a dog", "hello world", "abc def"]


@pytest.fixture
def bundle(tiny_bundle) -> Bundle:
    """The trained dot model with a train config, metrics and info, as a fresh Bundle."""
    base = tiny_bundle("dot")
    return Bundle(
        "tiny",
        base.model,
        base.src,
        base.tgt,
        train_config=TrainConfig(task="reverse", src_kind="char", tgt_kind="char", model={"hidden": 16}),
        metrics={"dev": {"chrf": 12.5}},
        info={"minutes": 0.1},
    )


@pytest.fixture
def saved(bundle: Bundle, tmp_path: Path) -> Path:
    path = tmp_path / "models" / "tiny"
    save_model(path, bundle)
    return path


def _edit_config(path: Path, edit) -> None:
    data = json.loads((path / CONFIG).read_text(encoding="utf-8"))
    edit(data)
    (path / CONFIG).write_text(json.dumps(data), encoding="utf-8")


def _snapshot(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


# --- round trips --------------------------------------------------------------------------------


def test_save_writes_the_expected_files(saved: Path) -> None:
    assert {p.name for p in saved.iterdir()} == {CONFIG, WEIGHTS, CHECKSUM, SRC_SPM, TGT_SPM, METRICS}
    assert [p.name for p in saved.parent.iterdir()] == ["tiny"]  # no temporary directory left


def test_load_gives_identical_state_and_translations(bundle: Bundle, saved: Path) -> None:
    loaded = load_model(saved)
    assert loaded.name == "tiny" and loaded.path == saved
    assert loaded.config == bundle.config
    assert not loaded.model.training
    original = bundle.model.state_dict()
    assert loaded.model.state_dict().keys() == original.keys()
    for name, tensor in loaded.model.state_dict().items():
        assert tensor.dtype == torch.float32 and torch.equal(tensor, original[name]), name
    assert loaded.src.proto == bundle.src.proto and loaded.tgt.proto == bundle.tgt.proto
    assert loaded.train_config == bundle.train_config
    assert loaded.metrics == bundle.metrics and loaded.info == bundle.info
    for text in TEXTS:
        a, b = translate(bundle, text), translate(loaded, text)
        assert a.target_pieces == b.target_pieces
        np.testing.assert_array_equal(a.weights, b.weights)
        np.testing.assert_array_equal(a.log_probs, b.log_probs)


def test_load_uses_given_name(saved: Path) -> None:
    assert load_model(str(saved), name="shown").name == "shown"


def test_float16_loads_as_float32_and_stays_close(bundle: Bundle, tmp_path: Path) -> None:
    save_model(tmp_path / "half", bundle, dtype=torch.float16)
    save_model(tmp_path / "full", bundle)
    assert (tmp_path / "half" / WEIGHTS).stat().st_size < 0.6 * (tmp_path / "full" / WEIGHTS).stat().st_size
    loaded = load_model(tmp_path / "half")
    original = bundle.model.state_dict()
    for name, tensor in loaded.model.state_dict().items():
        assert tensor.dtype == torch.float32, name
        torch.testing.assert_close(tensor, original[name], atol=1e-3, rtol=1e-3)
    for text in TEXTS:
        a, b = translate(bundle, text), translate(loaded, text)
        np.testing.assert_allclose(a.weights[:1], b.weights[:1], atol=1e-2)


def test_resave_replaces_weights_and_keeps_other_files(bundle: Bundle, saved: Path, tiny_bundle) -> None:
    (saved / "README.md").write_text("model card", encoding="utf-8")
    other = tiny_bundle("general")
    save_model(saved, Bundle("tiny", other.model, other.src, other.tgt))
    assert (saved / "README.md").read_text(encoding="utf-8") == "model card"
    assert json.loads((saved / METRICS).read_text(encoding="utf-8")) == bundle.metrics  # kept too
    assert load_model(saved).config.attention == "general"
    assert [p.name for p in saved.parent.iterdir()] == ["tiny"]


def test_extra_files_are_written(bundle: Bundle, tmp_path: Path) -> None:
    save_model(tmp_path / "m", bundle, extra_files={"README.md": "# Übung\n"})
    assert (tmp_path / "m" / "README.md").read_text(encoding="utf-8") == "# Übung\n"


# --- atomic saves -------------------------------------------------------------------------------


def _boom(*args, **kwargs):
    raise OSError("disk full")


@pytest.mark.parametrize("target", ["weights", "tokenizer", "config"])
def test_failed_save_keeps_previous_directory(
    bundle: Bundle, saved: Path, tiny_bundle, monkeypatch, target: str
) -> None:
    before = _snapshot(saved)
    if target == "weights":
        monkeypatch.setattr(checkpoint, "save_file", _boom)
    elif target == "tokenizer":
        monkeypatch.setattr(Tokenizer, "save", _boom)
    else:
        monkeypatch.setattr(checkpoint, "save_json", _boom)
    other = tiny_bundle("concat")
    with pytest.raises(OSError, match="disk full"):
        save_model(saved, Bundle("tiny", other.model, other.src, other.tgt))
    assert _snapshot(saved) == before
    assert [p.name for p in saved.parent.iterdir()] == ["tiny"]  # no temporary directories left
    assert load_model(saved).config.attention == "dot"


def test_failed_first_save_leaves_nothing(bundle: Bundle, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(checkpoint, "save_file", _boom)
    with pytest.raises(OSError):
        save_model(tmp_path / "new", bundle)
    assert list(tmp_path.iterdir()) == []


def test_interrupted_save_cleans_up(bundle: Bundle, saved: Path, monkeypatch) -> None:
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    before = _snapshot(saved)
    monkeypatch.setattr(Tokenizer, "save", interrupt)
    with pytest.raises(KeyboardInterrupt):
        save_model(saved, bundle)
    assert _snapshot(saved) == before
    assert [p.name for p in saved.parent.iterdir()] == ["tiny"]


# --- refusing bad directories -------------------------------------------------------------------


def test_missing_config_is_model_error(saved: Path, tmp_path: Path) -> None:
    (saved / CONFIG).unlink()
    with pytest.raises(ModelError, match="not a model directory"):
        load_model(saved)
    with pytest.raises(ModelError, match="not a model directory"):
        load_model(tmp_path / "does-not-exist")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"garbage", "cannot load model"),
        (b"", "cannot load model"),
        (b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all", "cannot load model"),
    ],
)
def test_corrupted_weights_are_model_error(saved: Path, data: bytes, expected: str) -> None:
    (saved / WEIGHTS).write_bytes(data)
    with pytest.raises(ModelError, match=expected):
        load_model(saved)


def test_truncated_weights_are_model_error(saved: Path) -> None:
    data = (saved / WEIGHTS).read_bytes()
    (saved / WEIGHTS).write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match=str(saved)):
        load_model(saved)


@pytest.mark.parametrize("missing", [WEIGHTS, SRC_SPM, TGT_SPM])
def test_missing_file_is_model_error(saved: Path, missing: str) -> None:
    (saved / missing).unlink()
    with pytest.raises(ModelError, match=missing):
        load_model(saved)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda c: c["model"].__setitem__("hiden", 8), "valid keys are"),
        (lambda c: c["model"].__setitem__("attention", "bahdanau"), "dot, general, concat"),
        (lambda c: c["model"].__setitem__("hidden", 15), "even"),
        (lambda c: c["model"].__setitem__("hidden", "16"), "cannot load model"),
        (lambda c: c["model"].__setitem__("hidden", 32), "do not match its config"),
        (lambda c: c.pop("model"), "cannot load model"),
        (lambda c: c.__setitem__("model", None), "cannot load model"),
        (lambda c: c.pop("tokenizers"), "cannot load model"),
        (lambda c: c.__setitem__("train", {"epoch": 3}), "valid keys are"),
    ],
)
def test_bad_config_is_model_error(saved: Path, edit, expected: str) -> None:
    _edit_config(saved, edit)
    with pytest.raises(ModelError, match=expected):
        load_model(saved)


@pytest.mark.parametrize("text", ["not json", "[]", "null", '"model"'])
def test_config_that_is_not_an_object_is_model_error(saved: Path, text: str) -> None:
    (saved / CONFIG).write_text(text, encoding="utf-8")
    with pytest.raises(ModelError, match="cannot load model"):
        load_model(saved)


class _Marker:
    """Unpickling this object would create a file: proof that something was unpickled."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.mark.parametrize("how", ["pickle", "torch.save"])
def test_pickled_weights_are_refused_without_unpickling(saved: Path, tmp_path: Path, how: str) -> None:
    marker = tmp_path / "unpickled.txt"
    payload = {"encoder.embed.weight": _Marker(str(marker))}
    if how == "pickle":
        (saved / WEIGHTS).write_bytes(pickle.dumps(payload))
    else:
        torch.save(payload, saved / WEIGHTS)
    assert not marker.exists()
    with pytest.raises(ModelError):
        load_model(saved)
    assert not marker.exists()


def test_corrupted_tokenizer_is_model_error(saved: Path) -> None:
    (saved / SRC_SPM).write_bytes(b"this is not a sentencepiece model")
    with pytest.raises(ModelError):
        load_model(saved)


def test_corrupted_metrics_is_model_error(saved: Path) -> None:
    (saved / METRICS).write_text("{truncated", encoding="utf-8")
    with pytest.raises(ModelError):
        load_model(saved)


def test_float_size_in_config_is_model_error(saved: Path) -> None:
    _edit_config(saved, lambda c: c["model"].__setitem__("hidden", 16.0))
    with pytest.raises(ModelError):
        load_model(saved)


def test_tokenizer_that_does_not_match_config_is_model_error(saved: Path) -> None:
    # A tokenizer from other data: its vocabulary size differs from the one the weights were built for.
    foreign = Tokenizer.train(["xyz qrs tuv", "jkl mnop"], "char", 100)
    assert foreign.vocab_size != load_model(saved).config.src_vocab
    foreign.save(saved / SRC_SPM)
    with pytest.raises(ModelError):
        load_model(saved)


# --- listing ------------------------------------------------------------------------------------


def test_list_models_lists_only_model_directories(bundle: Bundle, tmp_path: Path) -> None:
    root = tmp_path / "models"
    save_model(root / "b-model", bundle)
    save_model(root / "a-model", bundle)
    (root / "not-a-model").mkdir()
    (root / "not-a-model" / "notes.txt").write_text("x")
    (root / CONFIG).write_text("{}")  # a stray file named like a config
    (root / ".a-model.tmp").mkdir()  # what an interrupted save could leave behind
    (root / ".a-model.tmp" / CONFIG).write_text("{}")
    (root / "file.txt").write_text("x")
    assert list_models(root) == [root / "a-model", root / "b-model"]
    assert list_models(str(root)) == list_models(root)


def test_list_models_of_missing_root_is_empty(tmp_path: Path) -> None:
    assert list_models(tmp_path / "nowhere") == []
    assert list_models(tmp_path) == []


def test_saved_config_records_tokenizer_kinds(saved: Path) -> None:
    data = json.loads((saved / CONFIG).read_text(encoding="utf-8"))
    assert data["tokenizers"] == {"source": "char", "target": "char"}
    assert data["model"]["attention"] == "dot"
    assert data["train"]["task"] == "reverse"
    assert os.access(saved / WEIGHTS, os.R_OK)


def test_tied_model_saves_the_shared_matrix_once_and_loads_it_tied(
    tiny_model, src_tok: Tokenizer, tgt_tok: Tokenizer, tmp_path: Path
) -> None:
    bundle = Bundle("tied", tiny_model("dot", tie_output=True), src_tok, tgt_tok)
    save_model(tmp_path / "tied", bundle)
    loaded = load_model(tmp_path / "tied")
    assert loaded.config.tie_output
    assert loaded.model.decoder.out.matrix().data_ptr() == loaded.model.decoder.embed.weight.data_ptr()
    for text in TEXTS:
        a, b = translate(bundle, text), translate(loaded, text)
        np.testing.assert_array_equal(a.log_probs, b.log_probs)


# --- bad JSON types: refused at load with their reason, not later inside a page ---------------------


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda c: c.__setitem__("info", "oops"), 'info must be a JSON object, got "oops"'),
        (lambda c: c.__setitem__("info", [1, 2]), r"info must be a JSON object, got \[1, 2\]"),
        (lambda c: c["info"].__setitem__("train_seconds", "long"), "train_seconds must be a number"),
        (lambda c: c.__setitem__("train", "oops"), "TrainConfig must be a JSON object"),
        (lambda c: c.__setitem__("model", [16, 16]), "model must be a JSON object"),
        (lambda c: c.__setitem__("tokenizers", ["char", "char"]), "tokenizers must be a JSON object"),
    ],
)
def test_bad_json_types_in_config_are_model_errors(saved: Path, edit, expected: str) -> None:
    _edit_config(saved, edit)
    with pytest.raises(ModelError, match=expected):
        load_model(saved)


@pytest.mark.parametrize(
    ("metrics", "expected"),
    [
        ([1, 2], r"metrics.json must be a JSON object, got \[1, 2\]"),
        ("oops", "metrics.json must be a JSON object"),
        ({"task": 3}, "task must be a string"),
        ({"pairs": "many"}, "pairs must be an integer"),
        ({"greedy": [1, 2]}, "greedy must be a JSON object"),
        ({"beam5": {"bleu": "high"}}, "beam5.bleu must be a number"),
        ({"greedy": {"by_length": [1]}}, "by_length must be a JSON object"),
        ({"greedy": {"by_length": {"<=5": 3}}}, r"by_length.<=5 must be a JSON object"),
        ({"greedy": {"by_length": {"<=5": {"bleu": 1.0}}}}, r"<=5.n must be a count"),
        ({"greedy": {"by_length": {"<=5": {"n": 3}}}}, r"<=5.bleu must be a number or null"),
        ({"greedy": {"by_length": {"<=5": {"n": 3, "bleu": 1.0, "bleu_ci": [1]}}}}, "bleu_ci must be null"),
        ({"alignment": {"gold": 3}}, "alignment.gold must be a string"),
        ({"alignment": {"hmm": {"aer": "low"}}}, "alignment.hmm.aer must be a number"),
        ({"alignment": {"sentences": "all"}}, "alignment.sentences must be a number"),
        ({"agreement": {"eflomal": {"recall": [1]}}}, "agreement.eflomal.recall must be a number"),
    ],
)
def test_bad_json_types_in_metrics_are_model_errors_with_their_reason(saved: Path, metrics, expected) -> None:
    (saved / METRICS).write_text(json.dumps(metrics), encoding="utf-8")
    with pytest.raises(ModelError, match=expected):
        load_model(saved)


def test_metrics_as_evaluate_writes_them_load(saved: Path) -> None:
    bucket = {"bleu": 8.2, "bleu_ci": [5.7, 10.5], "chrf": 25.3, "n": 300}
    empty = {"bleu": None, "bleu_ci": None, "chrf": None, "n": 0}
    metrics = {
        "task": "de-en",
        "split": "test",
        "pairs": 300,
        "greedy": {"bleu": 6.4, "chrf": 25.2, "exact_match": 0.2, "by_length": {"<=5": bucket, ">20": empty}},
        "beam5": {"bleu": 8.2, "chrf": 26.4, "exact_match": 0.5},
        "alignment": {
            "gold": "by construction",
            "sentences": 300,
            "attention": {"precision": 90.0, "recall": 80.0, "aer": 15.0, "accuracy": 91.0},
            "hmm": {"precision": 95.0, "recall": 85.0, "aer": 10.0},
        },
    }
    (saved / METRICS).write_text(json.dumps(metrics), encoding="utf-8")
    assert load_model(saved).metrics == metrics


# --- absurd sizes: refused before anything is allocated ------------------------------------------


@pytest.mark.parametrize(
    ("sizes", "expected"),
    [
        ({"hidden": 10**7}, "hidden=10000000 is more than 8,192"),
        ({"src_vocab": 10**9}, "src_vocab=1000000000 is more than 1,000,000"),
        ({"src_vocab": 900_000, "emb": 8192, "hidden": 8192}, "more than the 2 GB limit"),
    ],
)
def test_absurd_sizes_in_config_are_model_errors_before_any_allocation(
    saved: Path, monkeypatch, sizes: dict, expected: str
) -> None:
    _edit_config(saved, lambda c: c["model"].update(sizes))

    def no_model(*args, **kwargs):
        raise AssertionError("a model was built")

    monkeypatch.setattr(checkpoint, "Seq2Seq", no_model)
    with pytest.raises(ModelError, match=expected) as err:
        load_model(saved)
    assert str(saved) in str(err.value) and "\n" not in str(err.value)


# --- checksum of the weights -----------------------------------------------------------------------


def test_save_records_the_sha256_of_the_weights(saved: Path) -> None:
    digest = hashlib.sha256((saved / WEIGHTS).read_bytes()).hexdigest()
    assert (saved / CHECKSUM).read_text(encoding="ascii") == f"{digest}  {WEIGHTS}\n"
    assert checkpoint.weights_checksum(saved) == digest
    # The sha256sum format: the standard tool checks it too.
    subprocess.run(["sha256sum", "--check", "--quiet", CHECKSUM], cwd=saved, check=True)


def _flip_bytes(path: Path) -> None:
    """Change bytes inside the tensor data (the end of the file), leaving the header parseable."""
    data = bytearray(path.read_bytes())
    for i in range(len(data) - 64, len(data) - 1, 7):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


def test_flipped_bytes_in_the_weights_are_a_damaged_model(saved: Path) -> None:
    _flip_bytes(saved / WEIGHTS)
    with pytest.raises(ModelError, match="damaged: the weights do not match their checksum") as err:
        load_model(saved)
    assert str(saved) in str(err.value)


@pytest.mark.parametrize("text", ["", "not a checksum\n", "0" * 63 + "  model.safetensors\n", "\xff" * 300])
def test_an_unreadable_checksum_file_is_a_damaged_model(saved: Path, text: str) -> None:
    (saved / CHECKSUM).write_bytes(text.encode("latin-1"))
    with pytest.raises(ModelError, match=f"damaged: {CHECKSUM} does not hold a sha256 checksum"):
        load_model(saved)


def test_a_wrong_checksum_is_a_damaged_model(saved: Path) -> None:
    (saved / CHECKSUM).write_text("0" * 64 + f"  {WEIGHTS}\n", encoding="ascii")
    with pytest.raises(ModelError, match="damaged"):
        load_model(saved)


def test_a_model_saved_before_checksums_still_loads(bundle: Bundle, saved: Path) -> None:
    (saved / CHECKSUM).unlink()
    assert load_model(saved).config == bundle.config


def test_a_resave_writes_the_new_weights_checksum(saved: Path, tiny_bundle) -> None:
    other = tiny_bundle("general")
    save_model(saved, Bundle("tiny", other.model, other.src, other.tgt))
    assert (saved / CHECKSUM).read_text(encoding="ascii").split()[0] == checkpoint.weights_checksum(saved)
    assert load_model(saved).config.attention == "general"


SHIPPED = Path(__file__).resolve().parent.parent / "models"


@pytest.mark.parametrize("path", list_models(SHIPPED), ids=lambda p: p.name)
def test_every_shipped_model_has_a_checksum_that_verifies(path: Path) -> None:
    recorded = (path / CHECKSUM).read_text(encoding="ascii")
    assert recorded == f"{checkpoint.weights_checksum(path)}  {WEIGHTS}\n"
    checkpoint._verify_checksum(path)  # what load_model does; raises on a mismatch


def test_an_unknown_tokenizer_kind_is_refused_before_loading(tmp_path, tiny_bundle) -> None:
    import json as _json

    from attnviz.checkpoint import CONFIG, ModelError, load_model, save_model

    save_model(tmp_path / "m", tiny_bundle("dot"))
    saved = _json.loads((tmp_path / "m" / CONFIG).read_text(encoding="utf-8"))
    saved["tokenizers"]["source"] = "sentencepiece-ish"
    (tmp_path / "m" / CONFIG).write_text(_json.dumps(saved), encoding="utf-8")
    with pytest.raises(ModelError, match="tokenizers.source must be one of char, word, unigram, bpe"):
        load_model(tmp_path / "m")


def test_a_model_whose_save_was_killed_between_the_renames_is_found_again(tmp_path, tiny_bundle) -> None:
    """Where the swap is two renames, a kill between them leaves only .<name>.old.<pid>: load_model puts it
    back (checkpoint.recover) instead of saying there is no model."""
    from attnviz.checkpoint import load_model, save_model

    save_model(tmp_path / "m", tiny_bundle("dot"))
    (tmp_path / "m").rename(tmp_path / ".m.old.999999999")  # no such process
    assert load_model(tmp_path / "m").config == tiny_bundle("dot").config
