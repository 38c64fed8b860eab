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
from attnviz.bundle import Bundle
from attnviz.checkpoint import list_models, load_model, save_model
from attnviz.config import TrainConfig, resolve
from attnviz.evaluate import evaluate
from attnviz.search import translate
from attnviz.tasks import Pair, load_task

ROOT = Path(__file__).resolve().parent.parent


def tiny_cfg(**overrides) -> TrainConfig:
    return resolve(
        "dates",
        attention="dot",
        size="tiny",
        **{"data_size": 400, "epochs": 2, "batch_size": 32, **overrides},
    )


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
    # The test metrics are those of the model that was kept (not of a later or earlier state), and the
    # card shows them.
    again = evaluate(bundle, beams=(1,))["greedy"]  # the job scores greedy decoding only
    assert bundle.metrics["greedy"] == again
    card = (job.saved / "README.md").read_text(encoding="utf-8")
    assert f"{again['exact_match']:.1f}%" in card
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
    assert p.budget_s == 15, p
    if p.batch < p.batches or p.elapsed_s >= p.budget_s:  # stopped inside an epoch: by the crossing batch
        assert 0 <= p.elapsed_s - p.budget_s < 1.0, p
    else:  # the budget ran out during the epoch's dev evaluation: stopped there, before another batch
        assert job.history[-1].elapsed_s >= p.budget_s > p.elapsed_s, (p, job.history[-1])


def test_a_failing_job_ends_with_a_message_not_an_exception(tmp_path):
    cfg = resolve("tsv", data_path=str(tmp_path / "missing.tsv"))
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
    assert slot.keep(staging / "a").path == tmp_path / "a"
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
    config = ModelConfig(
        src_vocab=src_tok.vocab_size, tgt_vocab=tgt_tok.vocab_size, emb=16, hidden=16, max_tgt_len=200
    )
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
        from attnviz.config import resolve
        from attnviz.tasks import load_task
        cfg = resolve("dates", attention="dot", size="tiny", data_size=400, epochs=3, batch_size=32)
        probe = load_task("dates", size=400).dev[0]
        runner = jobs.Runner({str(tmp_path)!r}, threads=1)
        job = runner.start(cfg, name="survivor", probe=probe)
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


# ---------------------------------------------------------------- keep and discard, at once (issue 13)


def stage(root: Path, tiny_bundle, name: str) -> Path:
    """An interrupted run's checkpoint, as a killed training process leaves it."""
    bundle = Bundle(name, tiny_bundle("dot").model, *_toks(tiny_bundle), train_config=tiny_cfg())
    save_model(root / jobs.STAGING / name, bundle)
    return root / jobs.STAGING / name


def leftovers(root: Path, name: str) -> list[str]:
    """Anything of `name` besides its model directory: .old.<pid> or temporary directories."""
    found = list(root.glob(f".{name}.*")) + list((root / jobs.STAGING).glob(f".{name}.*"))
    return sorted(p.name for p in found)


def at_once(*calls):
    """Run the calls in threads released together; their results, and what any of them raised."""
    import threading

    barrier, results, raised = threading.Barrier(len(calls)), [None] * len(calls), []

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except BaseException as err:  # noqa: BLE001 - the test reports it
            raised.append(err)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results, raised


def test_two_keeps_of_the_same_run_at_once_keep_it_once_and_both_answer(tmp_path, tiny_bundle):
    staged = stage(tmp_path, tiny_bundle, "twice")
    slots = runner(tmp_path), runner(tmp_path)  # two sessions (or servers) on one folder
    results, raised = at_once(lambda: slots[0].keep(staged), lambda: slots[1].keep(staged))
    assert raised == []
    assert list_models(tmp_path) == [tmp_path / "twice"]
    assert list_models(tmp_path / jobs.STAGING) == []
    assert leftovers(tmp_path, "twice") == []
    assert all(r.ok and r.path == tmp_path / "twice" for r in results), results
    messages = sorted(r.message for r in results)
    assert "already" in messages[0] and messages[1].startswith("Kept"), messages
    assert load_model(tmp_path / "twice").metrics["task"] == "dates"
    again = slots[0].keep(staged)  # a third press, later: says so
    assert again.ok and "already" in again.message


def test_keep_and_discard_at_once_end_one_way_with_a_message_each(tmp_path, tiny_bundle):
    staged = stage(tmp_path, tiny_bundle, "race")
    slot = runner(tmp_path)
    results, raised = at_once(lambda: slot.keep(staged), lambda: jobs.discard(staged))
    assert raised == [] and all(r.message for r in results)
    assert not staged.exists() and leftovers(tmp_path, "race") == []
    kept, discarded = results
    if (tmp_path / "race").exists():  # the keep came first: the discard finds nothing left to discard
        assert kept.ok and not discarded.ok and "kept among your models" in discarded.message
    else:
        assert not kept.ok and "gone" in kept.message
        twice = jobs.discard(staged)
        assert twice.ok and "already" in twice.message


def test_keep_waits_for_another_servers_lock(tmp_path, tiny_bundle):
    """flock on the models folder's lock file: another server (here, another open file) holding it."""
    import fcntl
    import threading

    staged = stage(tmp_path, tiny_bundle, "locked")
    results = []
    with open(tmp_path / jobs.LOCK_FILE, "a") as other_server:
        fcntl.flock(other_server, fcntl.LOCK_EX)
        keeper = threading.Thread(target=lambda: results.append(runner(tmp_path).keep(staged)))
        keeper.start()
        time.sleep(0.5)
        assert keeper.is_alive() and staged.exists(), "the keep waits for the lock"
    keeper.join(timeout=120)
    assert results[0].ok and list_models(tmp_path) == [tmp_path / "locked"]


def test_keeping_a_damaged_checkpoint_says_why_and_leaves_it_to_discard(tmp_path, tiny_bundle):
    staged = stage(tmp_path, tiny_bundle, "broken")
    (staged / "model.safetensors").write_bytes(b"not weights")
    outcome = runner(tmp_path).keep(staged)
    assert not outcome.ok and "Cannot keep 'broken'" in outcome.message
    assert list_models(tmp_path) == [] and staged.exists()
    assert jobs.discard(staged).ok and not staged.exists()
    assert leftovers(tmp_path, "broken") == []


def test_keep_never_replaces_a_finished_model(tmp_path, tiny_bundle):
    staged = stage(tmp_path, tiny_bundle, "both")
    save_model(tmp_path / "both", Bundle("both", tiny_bundle("dot").model, *_toks(tiny_bundle)))
    outcome = runner(tmp_path).keep(staged)
    assert not outcome.ok and "exists already" in outcome.message
    assert staged.exists() and (tmp_path / "both").exists()


# ---------------------------------------------------------------- uploads (issue 13)


def uploads(root: Path) -> list[str]:
    folder = root / jobs.UPLOADS
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_an_upload_is_saved_only_when_its_job_starts(tmp_path, tiny_bundle):
    data = b"".join(f"{w}\t{w[::-1]}\n".encode() for w in ("abc", "hello", "world", "cat", "dog") * 20)
    dev = jobs.upload_dev_pairs(data, seed=0)
    assert dev and all(p.target == p.source[::-1] for p in dev)
    assert uploads(tmp_path) == [], "checking the file saves nothing"
    stage(tmp_path, tiny_bundle, "waiting")
    slot = runner(tmp_path)
    cfg = resolve("tsv", attention="dot", size="tiny", epochs=1, max_minutes=1.0)
    with pytest.raises(jobs.Busy):
        slot.start(cfg, name="waiting", probe=Pair("abc", ""), upload=data)
    assert uploads(tmp_path) == [], "a refused start keeps nothing"
    job = slot.start(cfg, name="on-upload", probe=Pair("abc", ""), upload=data)
    job.cancel()
    wait(job, timeout=60)
    saved = Path(job.cfg.data_path)
    assert saved.parent == tmp_path / jobs.UPLOADS and saved.read_bytes() == data
    assert uploads(tmp_path) == [saved.name]


def test_the_uploads_folder_is_capped_and_old_uploads_go(tmp_path, monkeypatch):
    monkeypatch.setattr(jobs, "UPLOADS_MAX_FILES", 3)
    monkeypatch.setattr(jobs, "UPLOADS_MAX_BYTES", 1000)
    folder = tmp_path / jobs.UPLOADS
    folder.mkdir()
    now = time.time()

    def upload(name: str, size: int, age_s: float) -> Path:
        path = folder / name
        path.write_bytes(b"x" * size)
        os.utime(path, (now - age_s, now - age_s))
        return path

    old = upload("old.tsv", 10, 2 * 24 * 3600)  # its job ended over a day ago
    part = upload(".dead.tsv.1.part", 10, 3600)  # a save that died
    writing = upload(".live.tsv.2.part", 10, 1)  # a save in progress
    running = upload("running.tsv", 10, 23 * 3600)  # the oldest left, but the running job's
    files = [upload(f"{i}.tsv", 100, 100 - i) for i in range(5)]  # 4.tsv is the newest
    deleted = jobs.tidy_uploads(tmp_path, keep=running)
    assert set(deleted) == {old, part, files[0], files[1], files[2]}
    assert uploads(tmp_path) == sorted([writing.name, running.name, "3.tsv", "4.tsv"])
    # Bytes count too: a 950-byte upload leaves room for nothing else.
    big = upload("big.tsv", 950, 0)
    jobs.tidy_uploads(tmp_path, keep=big)
    assert uploads(tmp_path) == sorted([writing.name, "big.tsv"])


def test_the_same_upload_again_is_fresh_again(tmp_path):
    first = jobs.save_upload(b"a\tb\n", tmp_path)
    long_ago = time.time() - 3 * 24 * 3600
    os.utime(first, (long_ago, long_ago))
    assert jobs.save_upload(b"a\tb\n", tmp_path) == first and first.exists()
    assert time.time() - first.stat().st_mtime < 60


def test_a_run_killed_before_its_first_checkpoint_says_nothing_was_kept(tmp_path):
    job = runner(tmp_path).start(tiny_cfg(data_size=20_000), name="gone", probe=probe_pair())
    os.kill(job.pid, signal.SIGKILL)  # while Python starts or the data is prepared
    wait(job, timeout=30)
    assert job.state == "failed" and "killed" in job.message
    assert jobs.NOTHING_KEPT in job.message
    assert jobs.Job.open(job.folder).message == job.message, "every reader, later too, is told"
