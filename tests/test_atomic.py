"""The atomic save (checkpoint.replace_dir) and what killed saves leave behind (checkpoint.recover)."""

import os
import shutil
import time
from pathlib import Path

import pytest

from attnviz import checkpoint
from attnviz.checkpoint import list_models, load_model, replace_dir, save_model


class Killed(BaseException):
    """Stands for a SIGKILL: nothing after it runs, no except clause of ours catches it."""


def two_versions(root: Path, tiny_bundle) -> tuple[Path, Path]:
    """A saved model `root/m`, and a complete new version of it in a temporary directory (marked)."""
    save_model(root / "m", tiny_bundle("dot"))
    new = root / ".m.newversn"
    shutil.copytree(root / "m", new)
    (new / "version.txt").write_text("new", encoding="utf-8")
    return root / "m", new


def kill_between_the_two_renames(monkeypatch) -> None:
    """replace_dir's two-rename path (the one without Linux's exchange), killed after the first rename."""
    monkeypatch.setattr(checkpoint, "_exchange", lambda a, b: False)
    real, calls = os.replace, []

    def replace_then_die(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:
            raise Killed
        real(src, dst)

    monkeypatch.setattr(os, "replace", replace_then_die)


def test_a_kill_between_the_two_renames_leaves_a_model_that_recover_puts_back(
    tmp_path, tiny_bundle, monkeypatch
):
    target, new = two_versions(tmp_path, tiny_bundle)
    kill_between_the_two_renames(monkeypatch)
    with pytest.raises(Killed):
        replace_dir(new, target)
    monkeypatch.undo()
    assert not target.exists(), "the window: the first rename happened, the second did not"
    assert (tmp_path / f".m.old.{os.getpid()}").is_dir()
    # Listing the folder (every page does) puts the old, complete version back.
    assert list_models(tmp_path) == [target]
    assert not (tmp_path / f".m.old.{os.getpid()}").exists()
    assert not (target / "version.txt").exists(), "the old version, whole"
    assert load_model(target).config == tiny_bundle("dot").config


def test_recover_waits_for_a_live_process_and_deletes_stale_leftovers(tmp_path, tiny_bundle):
    target, new = two_versions(tmp_path, tiny_bundle)
    # Another process (alive: our parent) may be between its two renames right now: not touched.
    busy = tmp_path / f".x.old.{os.getppid()}"
    shutil.copytree(target, busy)
    # A dead process's .old whose model is in place: the swap finished, only its deletion was cut.
    done = tmp_path / ".m.old.999999999"
    shutil.copytree(target, done)
    # save_model's temporary directories: one of a save that died long ago, one being written now.
    stale, fresh = tmp_path / ".m.abcd_123", tmp_path / ".m.zz9zz9zz"
    for path in (stale, fresh):
        path.mkdir()
        (path / "model.safetensors").write_bytes(b"\0" * 1000)
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    assert checkpoint.recover(tmp_path) == []
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([busy.name, fresh.name, new.name, "m"])
    # Hidden folders of other uses (the Train page's) are never taken for leftovers.
    for name in (".training", ".jobs", ".uploads"):
        (tmp_path / name).mkdir()
        os.utime(tmp_path / name, (hour_ago, hour_ago))
    checkpoint.recover(tmp_path)
    assert {".training", ".jobs", ".uploads"} <= {p.name for p in tmp_path.iterdir()}


def test_a_dead_process_whose_swap_was_cut_gets_its_model_back(tmp_path, tiny_bundle):
    target, _ = two_versions(tmp_path, tiny_bundle)
    os.replace(target, tmp_path / ".m.old.999999999")  # pid 999999999 cannot exist (pid_max <= 2^22)
    assert checkpoint.recover(tmp_path) == [target]
    assert load_model(target).config == tiny_bundle("dot").config


def test_recover_of_a_missing_or_unwritable_folder_does_nothing(tmp_path):
    assert checkpoint.recover(tmp_path / "absent") == []
    assert list_models(tmp_path / "absent") == []


def test_where_linux_can_exchange_the_target_never_goes_missing(tmp_path, tiny_bundle, monkeypatch):
    target, new = two_versions(tmp_path, tiny_bundle)
    probe_a, probe_b = tmp_path / "a", tmp_path / "b"
    probe_a.mkdir()
    probe_b.mkdir()
    if not checkpoint._exchange(probe_a, probe_b):
        pytest.skip("this system or file system cannot exchange two paths (renameat2)")

    def no_rename(src, dst):
        raise AssertionError("an exchange needs no rename that leaves the target missing")

    monkeypatch.setattr(os, "replace", no_rename)
    replace_dir(new, target)
    monkeypatch.undo()
    assert (target / "version.txt").read_text(encoding="utf-8") == "new"
    assert not new.exists(), "the old version went with the temporary name"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "m"]


def test_save_model_over_a_model_leaves_nothing_behind(tmp_path, tiny_bundle):
    for _ in range(2):
        save_model(tmp_path / "m", tiny_bundle("dot"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]
    assert load_model(tmp_path / "m").config == tiny_bundle("dot").config
