"""Background training jobs: a process of their own, one at a time, watched through their files."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from attnviz import jobs
from attnviz.checkpoint import Bundle, list_models, load_model, save_model
from attnviz.config import TrainConfig
from attnviz.recipes import settings
from attnviz.search import translate
from attnviz.tasks import Pair, load_task

ROOT = Path(__file__).resolve().parent.parent


def tiny_cfg(**overrides) -> TrainConfig:
    fields = settings(
        "dates", "dot", "tiny", **{"data_size": 400, "epochs": 2, "batch_size": 32, **overrides}
    )
    return TrainConfig.from_dict(fields)


def probe_pair() -> Pair:
    return load_task("dates", seed=0, size=400).dev[0]


def runner(root: Path) -> jobs.Runner:
    return jobs.Runner(root, threads=1)  # tiny models gain nothing from threads on a shared machine


def wait(job: jobs.Job, timeout: float = 180.0) -> None:
    end = time.monotonic() + timeout
    while job.refresh().running:
        assert time.monotonic() < end, f"job still {job.state} after {timeout} s"
        time.sleep(0.05)


def wait_for(condition, timeout: float = 180.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "never happened"
        time.sleep(0.05)


def test_a_job_trains_in_a_process_of_its_own_records_snapshots_and_saves(tmp_path):
    job = runner(tmp_path).start(tiny_cfg(), name="mine", probe=probe_pair())
    assert job.pid is not None and job.pid != os.getpid()
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
    # The process was reaped as it ended: no zombie left behind.
    wait_for(lambda: job._proc.returncode is not None, timeout=30)
    assert job._proc.returncode == 0
    assert not Path(f"/proc/{job.pid}").exists()
    # Another reader of the same folder (another server) sees the same run.
    again = jobs.Job.open(job.folder)
    assert (again.state, len(again.snapshots), len(again.history)) == ("done", len(job.snapshots), 2)


def test_one_job_at_a_time_and_cancel_keeps_a_checkpoint(tmp_path):
    slot = runner(tmp_path)
    job = slot.start(tiny_cfg(epochs=50, patience=50), name="long", probe=probe_pair())
    with pytest.raises(jobs.Busy, match="long"):
        slot.start(tiny_cfg(), name="other", probe=probe_pair())
    with pytest.raises(jobs.Busy, match="long"):  # a second server on the same folder: the same slot
        runner(tmp_path).start(tiny_cfg(), name="other", probe=probe_pair())
    while not job.refresh().history:
        assert job.running, job.message
        time.sleep(0.05)
    job.cancel()
    assert job.cancelling or not job.running
    wait(job)
    assert job.state == "cancelled", job.message
    assert len(job.history) < 50
    last = job.history[-1]
    assert last.epoch - 1 < last.reached <= last.epoch  # how far the cancelled epoch got
    assert job.snapshots[-1].epoch == last.reached  # and the last snapshot says so
    assert load_model(tmp_path / "long").info["stopped_because"] == "cancelled"
    # The slot is free again.
    again = slot.start(tiny_cfg(epochs=1), name="next", probe=probe_pair())
    wait(again)
    assert again.state == "done"


def test_cancel_while_the_data_is_prepared_ends_the_process_at_once(tmp_path):
    job = runner(tmp_path).start(tiny_cfg(data_size=20_000), name="early", probe=probe_pair())
    job.cancel()  # long before the first batch: the process is still importing or preparing
    wait(job, timeout=30)
    assert job.state == "cancelled" and "nothing was trained" in job.message
    assert job.saved is None and not job.staging.exists()
    assert jobs.Runner(tmp_path).job is None, "an ended run is not adopted as the running one"


def test_the_budget_acts_while_preparing_and_within_one_batch_while_training(tmp_path):
    slot = runner(tmp_path)
    job = slot.start(tiny_cfg(data_size=20_000, max_minutes=0.001), name="short", probe=probe_pair())
    wait(job, timeout=60)
    assert job.state == "failed" and "time budget ran out while preparing" in job.message
    assert job.saved is None and not job.history
    # Long enough to train, far too short for 500 epochs: training stops after the batch that crossed it.
    job = slot.start(tiny_cfg(epochs=500, patience=500, max_minutes=0.25), name="timed", probe=probe_pair())
    wait(job)
    assert job.state == "done" and job.message == "stopped: time budget", job.message
    p = job.progress
    assert p.budget_s == 15 and 0 <= p.elapsed_s - p.budget_s < 1.0, p


def test_a_failing_job_ends_with_a_message_not_an_exception(tmp_path):
    cfg = TrainConfig.from_dict(settings("tsv", data_path=str(tmp_path / "missing.tsv")))
    job = runner(tmp_path).start(cfg, name="bad", probe=Pair("x", ""))
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
    slot = runner(tmp_path)
    assert slot.interrupted() == [staging / "a", staging / "b"]
    assert slot.keep(staging / "a") == tmp_path / "a"
    assert list_models(tmp_path) == [tmp_path / "a"]
    assert load_model(tmp_path / "a").metrics["task"] == "dates"  # kept with its test metrics
    with pytest.raises(jobs.Busy, match="keep or discard"):
        slot.start(tiny_cfg(), name="b", probe=Pair("abc", ""))  # would have deleted its checkpoint
    assert slot.interrupted() == [staging / "b"]
    jobs.discard(staging / "b")
    assert slot.interrupted() == []
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


def test_probe_decoding_stops_after_a_few_times_the_probe_length(src_tok, tgt_tok):
    """An untrained model seldom says </s>: its probe map must not be max_tgt_len rows of noise."""
    from attnviz.config import ModelConfig
    from attnviz.model import Seq2Seq

    torch.manual_seed(0)
    config = ModelConfig(src_tok.vocab_size, tgt_tok.vocab_size, emb=16, hidden=16, max_tgt_len=200)
    model = Seq2Seq(config).eval()
    bundle = Bundle("untrained", model, src_tok, tgt_tok)
    snap = jobs.probe_snapshot(bundle, Pair("abc", ""), 0.0)
    assert snap.trace.num_steps == 2 * 3 + 8 or snap.trace.finished
    assert snap.trace.num_steps <= 2 * 3 + 8
    assert model.config.max_tgt_len == 200, "the model itself keeps its limit"
    long_reference = jobs.probe_snapshot(bundle, Pair("ab", "x" * 30), 0.0)
    assert long_reference.trace.num_steps <= 2 * 30 + 8  # room for a long reference, still capped


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


def test_a_killed_training_process_leaves_a_loadable_checkpoint(tmp_path):
    """Kill -9 the process that trains; its staged checkpoint loads, the job says so, the next server
    offers it."""
    job = runner(tmp_path).start(tiny_cfg(epochs=500, patience=500), name="killed", probe=probe_pair())
    try:
        wait_for(lambda: (job.staging / "model.safetensors").is_file() or not job.refresh().running)
        time.sleep(0.5)  # let it write a few more checkpoints, so the kill may land mid-save
    finally:
        os.kill(job.pid, signal.SIGKILL)
    wait(job, timeout=30)
    assert job.state == "failed" and "killed" in job.message and "checkpoint is kept" in job.message
    assert runner(tmp_path).interrupted() == [job.staging]
    bundle = load_model(job.staging)
    assert bundle.info["epochs"] >= 1
    assert list_models(tmp_path) == []  # not among the finished models until the user keeps it


def test_a_server_stopped_mid_training_loses_nothing(tmp_path):
    """Kill -9 the server that started a run: the run trains on, and the next server re-attaches to it
    (the same id, for the URL) and sees it finish."""
    script = textwrap.dedent(
        f"""
        import time
        from attnviz import jobs
        from attnviz.config import TrainConfig
        from attnviz.recipes import settings
        from attnviz.tasks import load_task
        fields = settings("dates", "dot", "tiny", data_size=400, epochs=3, batch_size=32)
        probe = load_task("dates", size=400).dev[0]
        runner = jobs.Runner({str(tmp_path)!r}, threads=1)
        job = runner.start(TrainConfig.from_dict(fields), name="survivor", probe=probe)
        print(job.id, flush=True)
        time.sleep(600)
        """
    )
    server = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        job_id = server.stdout.readline().strip()
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    assert job_id
    slot = runner(tmp_path)
    job = slot.job
    assert job is not None and job.id == job_id and job.running, job and job.message
    assert slot.find(job_id) is job
    with pytest.raises(jobs.Busy):
        slot.start(tiny_cfg(), name="other", probe=probe_pair())
    wait(job)
    assert job.state == "done", job.message
    assert list_models(tmp_path) == [tmp_path / "survivor"]
    assert slot.find("0123456789ab") is None and slot.find("../../etc") is None
