"""Background training jobs: one at a time, watched through their records, saved atomically."""

import time
from pathlib import Path

import pytest

from attnviz import jobs
from attnviz.checkpoint import Bundle, list_models, load_model, save_model
from attnviz.config import TrainConfig
from attnviz.recipes import settings
from attnviz.search import translate
from attnviz.tasks import Pair, load_task


def tiny_cfg(**overrides) -> TrainConfig:
    fields = settings(
        "dates", "dot", "tiny", **{"data_size": 400, "epochs": 2, "batch_size": 32, **overrides}
    )
    return TrainConfig.from_dict(fields)


def probe_pair() -> Pair:
    return load_task("dates", seed=0, size=400).dev[0]


def wait(job: jobs.Job, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while job.running:
        assert time.monotonic() < end, f"job still {job.state} after {timeout} s"
        time.sleep(0.05)


def test_a_job_trains_in_the_background_records_snapshots_and_saves(tmp_path):
    runner = jobs.Runner(tmp_path)
    job = runner.start(tiny_cfg(), name="mine", probe=probe_pair())
    wait(job)
    assert job.state == "done", job.message
    assert [h.epoch for h in job.history] == [1, 2]
    epochs = [s.epoch for s in job.snapshots]
    assert epochs[0] == 0.0 and epochs[-2:] == [1.0, 2.0]
    assert any(0 < e < 1 for e in epochs), "the probe is traced inside the first epoch too"
    assert epochs == sorted(epochs)
    assert job.losses and all(loss > 0 for _, loss in job.losses)
    # Saved among the user's models, with test metrics; nothing left in the staging folder.
    assert list_models(tmp_path) == [tmp_path / "mine"] == [job.saved]
    assert list_models(tmp_path / jobs.STAGING) == []
    bundle = load_model(job.saved)
    assert bundle.metrics["greedy"]["exact_match"] >= 0.0
    assert (job.saved / "README.md").is_file()
    # The snapshot at the last epoch is the model as it was then, traced in eval mode.
    last = job.snapshots[-1].trace
    assert last.source == job.probe.source
    assert abs(last.weights.sum(axis=1) - 1).max() < 1e-5


def test_one_job_at_a_time_and_cancel_keeps_a_checkpoint(tmp_path):
    runner = jobs.Runner(tmp_path)
    job = runner.start(tiny_cfg(epochs=50), name="long", probe=probe_pair())
    with pytest.raises(jobs.Busy, match="long"):
        runner.start(tiny_cfg(), name="other", probe=probe_pair())
    while not job.history:
        assert job.running, job.message
        time.sleep(0.05)
    job.cancel()
    assert job.cancelling or not job.running
    wait(job)
    assert job.state == "cancelled"
    assert len(job.history) < 50
    last = job.history[-1]
    assert last.epoch - 1 < last.reached <= last.epoch  # how far the cancelled epoch got
    assert job.snapshots[-1].epoch == last.reached  # and the last snapshot says so
    assert load_model(tmp_path / "long").info["stopped_because"] == "cancelled"
    # The slot is free again.
    again = runner.start(tiny_cfg(epochs=1), name="next", probe=probe_pair())
    wait(again)
    assert again.state == "done"


def test_a_failing_job_ends_with_a_message_not_an_exception(tmp_path):
    cfg = TrainConfig.from_dict(settings("tsv", data_path=str(tmp_path / "missing.tsv")))
    job = jobs.Runner(tmp_path).start(cfg, name="bad", probe=Pair("x", ""))
    wait(job)
    assert job.state == "failed"
    assert "Cannot read" in job.message and job.saved is None


def test_eta_is_capped_by_the_budget(tmp_path):
    from attnviz.train import Progress

    job = jobs.Job(cfg=tiny_cfg(epochs=10), name="x", root=tmp_path, probe=Pair("a", ""))
    job.state = "running"
    job.progress = Progress(1, 5, 10, 1.0, 100.0, elapsed_s=30.0, budget_s=None)
    assert job.eta_s() == pytest.approx(600 - 30)  # half an epoch took 30 s; 10 epochs take 600
    job.progress = Progress(1, 5, 10, 1.0, 100.0, elapsed_s=30.0, budget_s=90.0)
    assert job.eta_s() == pytest.approx(60)


def test_interrupted_runs_can_be_kept_or_discarded(tmp_path, tiny_bundle):
    staging = tmp_path / jobs.STAGING
    for name in ("a", "b"):
        bundle = Bundle(name, tiny_bundle("dot").model, *_toks(tiny_bundle), train_config=tiny_cfg())
        save_model(staging / name, bundle)
    runner = jobs.Runner(tmp_path)
    assert runner.interrupted() == [staging / "a", staging / "b"]
    assert runner.keep(staging / "a") == tmp_path / "a"
    assert list_models(tmp_path) == [tmp_path / "a"]
    assert load_model(tmp_path / "a").metrics["task"] == "dates"  # kept with its test metrics
    with pytest.raises(jobs.Busy, match="keep or discard"):
        runner.start(tiny_cfg(), name="b", probe=Pair("abc", ""))  # would have deleted its checkpoint
    assert runner.interrupted() == [staging / "b"]
    jobs.discard(staging / "b")
    assert runner.interrupted() == []
    with pytest.raises(ValueError):
        jobs.discard(tmp_path / "a")  # only staged runs are ever deleted


def _toks(tiny_bundle):
    b = tiny_bundle("dot")
    return b.src, b.tgt


def test_probe_shows_gold_links_only_when_the_output_is_the_reference(tiny_bundle):
    bundle = tiny_bundle("dot")
    out = translate(bundle, "abc def").translation
    links = ((0, 1, 0, 1, True),)  # first source character <-> first target character
    right = jobs.probe_snapshot(bundle, Pair("abc def", out, links), 1.0)
    assert right.gold == frozenset({(0, 0)})
    wrong = jobs.probe_snapshot(bundle, Pair("abc def", out + "x", links), 1.0)
    assert wrong.gold is None
    bundle.model.train()
    jobs.probe_snapshot(bundle, Pair("abc def", ""), 0.5)
    assert bundle.model.training  # handed back in the mode it came in
    bundle.model.eval()


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("dates-dot-2", True),
        ("my.model_1", True),
        ("", False),
        ("Big", False),
        ("../x", False),
        ("a" * 41, False),
        ("-x", False),
        ("taken", False),
    ],
)
def test_model_names(name, ok):
    assert (jobs.check_name(name, {"taken"}) is None) == ok


def test_a_name_whose_interrupted_run_waits_is_refused():
    assert "keep or discard" in jobs.check_name("b", set(), {"b"})
    assert jobs.check_name("c", set(), {"b"}) is None


def test_uploads_are_kept_once_by_content(tmp_path):
    first = jobs.save_upload(b"a\tb\n", tmp_path)
    assert jobs.save_upload(b"a\tb\n", tmp_path) == first
    assert first.read_bytes() == b"a\tb\n"
    assert jobs.save_upload(b"c\td\n", tmp_path) != first


def test_a_server_killed_mid_training_leaves_a_loadable_checkpoint(tmp_path):
    """Kill -9 the process that trains; its staged checkpoint loads and the next server offers it."""
    import signal
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(
        f"""
        import time, torch
        torch.set_num_threads(1)
        from attnviz import jobs
        from attnviz.config import TrainConfig
        from attnviz.recipes import settings
        from attnviz.tasks import load_task
        fields = settings("dates", "dot", "tiny", data_size=400, epochs=500, patience=500, batch_size=32)
        probe = load_task("dates", size=400).dev[0]
        job = jobs.Runner({str(tmp_path)!r}).start(TrainConfig.from_dict(fields), name="killed", probe=probe)
        while job.running:
            time.sleep(0.1)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=Path(__file__).resolve().parent.parent)
    staged = tmp_path / jobs.STAGING / "killed"
    try:
        end = time.monotonic() + 120
        while not (staged / "model.safetensors").is_file():
            assert proc.poll() is None and time.monotonic() < end, "no checkpoint was written"
            time.sleep(0.1)
        time.sleep(0.5)  # let it write a few more checkpoints, so the kill may land mid-save
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert jobs.Runner(tmp_path).interrupted() == [staged]
    bundle = load_model(staged)
    assert bundle.info["epochs"] >= 1
    assert list_models(tmp_path) == []  # not among the finished models until the user keeps it
