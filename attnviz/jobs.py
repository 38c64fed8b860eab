"""Training in the background of the app's server: one job at a time, which any session can watch.

A job is a process of its own, `python -m attnviz.jobs FOLDER`, that runs the CLI's training loop
(`train.train`): it shares no interpreter lock and no threads with the server's sessions, and it keeps
going when the server stops. It reports through files in `<root>/.jobs/<id>/`, which the page only reads:

    job.json      what to train; written by the server before the process starts
    events.jsonl  one JSON object per line, appended by the process: each stage, the progress, the
                  running loss, each epoch's result, the probe sentence traced as training goes (a few
                  times in the first epoch, then after every epoch), and how the run ended
    cancel        there once someone pressed Cancel (the process is sent SIGTERM too)
    log.txt       the process's own output: a traceback, should it ever crash

Checkpoints go to `<root>/.training/<name>` (a hidden folder the model picker skips) and move to
`<root>/<name>` when training ends, so a half-trained model never shows up as finished. A run killed
mid-training leaves its last checkpoint there, loadable; `Runner.interrupted` lists such runs, and
`Runner.keep` and `discard` move or delete one under a lock (`models_lock`), so two tabs or two servers
pressing the same button at once get one result and a message each.

An uploaded corpus is saved in `<root>/.uploads/` when a job on it starts (not when it is checked), and
the folder is capped (`tidy_uploads`).
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Collection, Iterator
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from attnviz import metrics, search, tasks
from attnviz.checkpoint import (
    CONFIG,
    STALE_S,
    Bundle,
    ModelError,
    list_models,
    load_model,
    recover,
    replace_dir,
)
from attnviz.config import TrainConfig
from attnviz.evaluate import evaluate, write_metrics
from attnviz.i18n import N_, _
from attnviz.tasks import Pair
from attnviz.trace import Trace
from attnviz.train import Callback, EpochResult, Progress, train

STAGING, JOBS, UPLOADS = ".training", ".jobs", ".uploads"
KEEP_FINISHED = 5  # finished jobs whose folders (a few MB of snapshots each) are kept
# Uploads are kept for `attnviz evaluate` on a model trained on one, within bounds: any visitor can add
# 20 MB a file. Beyond them the oldest go first; the running job's file is never deleted.
UPLOADS_MAX_FILES, UPLOADS_MAX_BYTES, UPLOADS_MAX_AGE_S = 20, 200_000_000, 24 * 3600
LOCK_FILE = ".models.lock"  # in the models folder: keep and discard, one at a time across servers
NOTHING_KEPT = N_("this run ended before its first checkpoint; nothing was kept")
# How a run ended, as events.jsonl keeps it: in English (the server and the training process write it for
# every reader, in any language), with its message id and values, translated where shown (Job.message).
# The ids that follow a stop spell NOTHING_KEPT out whole: a sentence is translated as one.
ENDINGS = {
    "time budget": N_("stopped: time budget"),
    "cancelled": N_("stopped: cancelled"),
    "early stopping": N_("stopped: early stopping"),
    "epochs done": N_("stopped: epochs done"),
}
CANCELLED_PREPARING = N_("cancelled while preparing the data: nothing was trained yet")
OUT_OF_TIME_PREPARING = N_(
    "the time budget ran out while preparing the data; give it more minutes or less data"
)
# (killed, a checkpoint is kept) -> what the server says of a process that ended without a word
DIED = {
    (True, True): N_(
        "the training process stopped (killed); its last checkpoint is kept: keep or discard it below"
    ),
    (False, True): N_(
        "the training process stopped (exit status {code}); its last checkpoint is kept: keep or discard it "
        "below"
    ),
    (True, False): N_(
        "the training process stopped (killed); this run ended before its first checkpoint; nothing was kept"
    ),
    (False, False): N_(
        "the training process stopped (exit status {code}); this run ended before its first checkpoint; "
        "nothing was kept"
    ),
}
# The Train page's starting settings; bench/train_in_app.py measures them in the app and in the CLI.
DEFAULTS = {"task": tasks.DEFAULT, "attention": "dot", "size": "small", "epochs": 20, "minutes": 5.0}
FIRST_EPOCH_PROBES = (0.1, 0.25, 0.5, 0.75)  # fractions of epoch 1 at which the probe is traced
LOSS_POINTS_PER_EPOCH = 50
PROGRESS_EVERY_S = 0.25  # how often the process writes its progress line
PROBE_STEPS = (2, 8)  # an untrained probe stops after 2 x its source pieces + 8 steps, not max_tgt_len
# What the process is doing -> the job's state
STATES = {"loading data": "preparing", "tokenizers": "preparing", "encoding": "preparing"}
STATES |= {"training": "running", "dev": "running", "test": "evaluating"}
PACKAGE_ROOT = Path(__file__).resolve().parent.parent


class Busy(RuntimeError):
    """Another training job is running on this server."""


@dataclass(frozen=True)
class Snapshot:
    """The probe sentence as the model translated it at one moment of training."""

    epoch: float  # 0.25 = a quarter into the first epoch
    trace: Trace
    gold: frozenset[tuple[int, int]] | None  # gold links (t, s), when the output is the reference


@dataclass
class Job:
    """One training run as its folder tells it. `refresh` reads what the process wrote since last time."""

    cfg: TrainConfig
    name: str
    root: Path
    probe: Pair
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    started: float = field(default_factory=time.time)
    state: str = "starting"  # starting, preparing, running, evaluating, done, cancelled, failed
    stage: str = ""  # a key of STATES: what the process does now
    stage_since: float = 0.0  # time.time() when it began
    said: str = ""  # why it failed, or how it ended, in English as events.jsonl has it (see `message`)
    said_id: str | None = None  # its message id, where it has one (ENDINGS, DIED ...): translated when shown
    said_values: dict[str, Any] = field(default_factory=dict)  # the values of the id's {placeholders}
    progress: Progress | None = None
    losses: list[tuple[float, float]] = field(default_factory=list)  # (epoch as a float, running loss)
    history: list[EpochResult] = field(default_factory=list)
    snapshots: list[Snapshot] = field(default_factory=list)
    test_pairs: int = 0  # while scoring the test split: how many sentences,
    test_estimate_s: float | None = None  # and about how long it takes
    finished: float | None = None
    saved: Path | None = None  # the finished model directory
    pid: int | None = None
    _proc: subprocess.Popen | None = field(default=None, repr=False)
    _offset: int = field(default=0, repr=False)  # bytes of events.jsonl read so far
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def message(self) -> str:
        """Why it failed, or how it ended, in the reader's language where attnviz wrote it; an error of
        the training process ("DataError: ...") stays as that process wrote it, in English."""
        return _(self.said_id).format(**self.said_values) if self.said_id else self.said

    @property
    def running(self) -> bool:
        return self.state in ("starting", "preparing", "running", "evaluating")

    @property
    def folder(self) -> Path:
        return self.root / JOBS / self.id

    @property
    def staging(self) -> Path:
        return self.root / STAGING / self.name

    def cancel(self) -> None:
        """Ask the job to stop: the epoch in progress is scored and the best checkpoint kept. While the
        data is still being prepared there is nothing to keep, and the process ends at once."""
        (self.folder / "cancel").touch()
        if self.pid is not None and self._alive():
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:  # it ended meanwhile
                pass

    @property
    def cancelling(self) -> bool:
        return self.running and (self.folder / "cancel").exists()

    def eta_s(self) -> float | None:
        """Seconds left at most: the rest of the epochs at the pace so far, capped by the time budget."""
        p = self.progress
        if p is None or not self.running:
            return None
        done = p.position
        total = p.elapsed_s / done * self.cfg.epochs if done else float("inf")
        if p.budget_s is not None:
            total = min(total, p.budget_s)
        return max(0.0, total - p.elapsed_s)

    def launch(self, threads: int | None = None) -> None:
        """Write job.json and start the training process in a session of its own: a server stopped with
        Ctrl-C (which signals its whole process group) leaves it training."""
        self.folder.mkdir(parents=True)
        spec = {"id": self.id, "name": self.name, "cfg": asdict(self.cfg), "started": self.started}
        spec |= {"probe": asdict(self.probe), "threads": threads}
        _write_atomic(self.folder / "job.json", json.dumps(spec, ensure_ascii=False))
        with open(self.folder / "log.txt", "wb") as log:
            cmd = [sys.executable, "-m", "attnviz.jobs", str(self.folder)]
            out = {"stdin": subprocess.DEVNULL, "stdout": log, "stderr": log}
            # Threads with nothing to do sleep rather than spin: a spinning thread takes a core from the
            # server (and from the other threads) on a machine with more work than cores.
            env = {"OMP_WAIT_POLICY": "PASSIVE", **os.environ}
            self._proc = subprocess.Popen(cmd, cwd=PACKAGE_ROOT, env=env, start_new_session=True, **out)
        self.pid = self._proc.pid
        self._append({"kind": "started", "t": time.time(), "pid": self.pid})  # known before Python is up
        # Waiting on the process reaps it the moment it ends: no zombie, and its exit status is known.
        threading.Thread(target=self._proc.wait, name=f"reap-{self.name}", daemon=True).start()

    @classmethod
    def open(cls, folder: Path) -> Job:
        """A job from its folder, e.g. one a server before a restart started."""
        spec = json.loads((folder / "job.json").read_text(encoding="utf-8"))
        p = spec["probe"]
        links = tuple(tuple(link) for link in p["links"]) if p.get("links") is not None else None
        probe = Pair(p["source"], p["target"], links)
        cfg = TrainConfig.from_dict(spec["cfg"])
        job = cls(cfg, spec["name"], folder.parent.parent, probe, id=spec["id"], started=spec["started"])
        return job.refresh()

    def refresh(self) -> Job:
        """Take in the lines the process appended since the last call (a line counts once it is whole)."""
        with self._lock:
            if not self.running:
                return self
            dead = self.pid is not None and not self._alive()  # before reading: its last words count
            try:
                with open(self.folder / "events.jsonl", "rb") as f:
                    f.seek(self._offset)
                    data = f.read()
            except FileNotFoundError:
                data = b""
            whole = data[: data.rfind(b"\n") + 1]
            self._offset += len(whole)
            for line in whole.splitlines():
                self._apply(json.loads(line))
            if dead and self.running:
                self._died()
        return self

    def _alive(self) -> bool:
        if self._proc is not None:
            return self._proc.returncode is None
        try:  # a process this server did not start: check that the pid was not reused since
            return str(self.folder).encode() in Path(f"/proc/{self.pid}/cmdline").read_bytes()
        except OSError:
            return False

    def _apply(self, event: dict[str, Any]) -> None:
        kind = event["kind"]
        if kind == "started":
            self.pid = event["pid"]
        elif kind == "stage":
            self.stage, self.stage_since, self.state = event["stage"], event["t"], STATES[event["stage"]]
            self.test_pairs, self.test_estimate_s = event.get("pairs", 0), event.get("estimate_s")
        elif kind == "progress":
            self.progress = Progress(**{f.name: event[f.name] for f in fields(Progress)})
        elif kind == "loss":
            self.losses.append((event["at"], event["loss"]))
        elif kind == "epoch":
            self.history.append(EpochResult(**{f.name: event[f.name] for f in fields(EpochResult)}))
        elif kind == "snapshot":
            gold = event["gold"]
            gold = None if gold is None else frozenset((t, s) for t, s in gold)
            self.snapshots.append(Snapshot(event["epoch"], Trace.from_dict(event["trace"]), gold))
        elif kind == "end":
            self.state, self.said, self.finished = event["state"], event["message"], event["t"]
            self.said_id, self.said_values = event.get("message_id"), event.get("values", {})
            self.saved = Path(event["saved"]) if event.get("saved") else None

    def _died(self) -> None:
        """The process ended without saying how: killed, or stopped before training began (a Cancel or
        the time budget while preparing the data end it at once). Say so, for every reader."""
        code = self._proc.returncode if self._proc is not None else None
        preparing = self.state in ("starting", "preparing")
        values: dict[str, Any] = {}
        if preparing and (self.folder / "cancel").exists():
            state, message_id = "cancelled", CANCELLED_PREPARING
        elif preparing and code == -signal.SIGALRM:
            state, message_id = "failed", OUT_OF_TIME_PREPARING
        else:
            killed = code is None or code < 0
            state, message_id = "failed", DIED[killed, (self.staging / CONFIG).is_file()]
            values = {} if killed else {"code": code}
        event = {"kind": "end", "t": time.time(), "state": state, "message": message_id.format(**values)}
        event |= {"message_id": message_id, "values": values, "saved": None}
        self._append(event)
        self._apply(event)  # and no more reading: the job has ended

    def _append(self, event: dict[str, Any]) -> None:
        """Write an event as the server (the process is not up yet, or gone); readers take it in."""
        with open(self.folder / "events.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(event) + "\n")


def publish(staged: Path, final: Path) -> Path:
    """Move a staged model into place, then score it on its test split (metrics.json and model card; the
    statistical aligners, most of a minute on a big corpus, are left to `attnviz evaluate`)."""
    replace_dir(staged, final)
    bundle = load_model(final)
    write_metrics(bundle, evaluate(bundle, beams=(1,), aligners=(), faithful=False))
    return final


def probe_snapshot(bundle: Bundle, probe: Pair, epoch: float) -> Snapshot:
    """Trace the probe greedily in eval mode, then give the model back in the mode it was in. Decoding
    stops after a few times the probe's length: an untrained model would otherwise emit max_tgt_len
    pieces (80 rows of noise in the map)."""
    model = bundle.model
    pieces = len(bundle.src.tokenize(probe.source).ids)
    if probe.target:
        pieces = max(pieces, len(bundle.tgt.tokenize(probe.target).ids))
    steps = min(model.config.max_tgt_len, PROBE_STEPS[0] * pieces + PROBE_STEPS[1])
    capped = replace(bundle, model=copy.copy(model))  # the same weights,
    capped.model.config = replace(model.config, max_tgt_len=steps)  # a shorter decoding limit
    was_training = model.training
    model.eval()
    try:
        trace = search.translate(capped, probe.source)
    finally:
        model.train(was_training)
    gold = None
    if probe.links and trace.translation == probe.target:
        src, tgt = bundle.src.tokenize(probe.source), bundle.tgt.tokenize(probe.target)
        gold = metrics.project_links(probe.links, src.spans, tgt.spans)[1]
    return Snapshot(epoch, trace, gold)


NAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,39}")


def check_name(name: str, taken: Collection[str], waiting: Collection[str] = ()) -> str | None:
    """Why `name` cannot be a new model's folder name, or None if it can. `waiting`: the names of
    interrupted runs (Runner.interrupted), whose checkpoints a new run of that name would replace."""
    if not NAME_RE.fullmatch(name):
        return _("Use 1-40 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit.")
    if name in taken:
        return _("A model called {name} exists already: choose another name.").format(name=repr(name))
    if name in waiting:
        return _("An interrupted run called {name} is waiting: keep or discard it first.").format(
            name=repr(name)
        )
    return None


class Runner:
    """The one training slot of a models folder: the server's, and any server's after a restart."""

    def __init__(self, root: Path, *, threads: int | None = None) -> None:
        self.root = Path(root)
        self.threads = threads  # for the training process's torch; None: default_threads()
        self._lock = threading.Lock()
        self._ended: dict[str, Job] = {}  # jobs found by id that have ended (they change no more)
        self._job = self._running_job()  # a run a previous server started may still be going
        # What killed saves and old uploads left behind (list_models recovers each folder it lists too).
        for folder in (self.root, self.root / STAGING):
            recover(folder)
        running = self._job is not None and self._job.running
        tidy_uploads(self.root, keep=self._job.cfg.data_path if running else None)

    @property
    def job(self) -> Job | None:
        """The running job, or the last one this server started; refreshed from its files."""
        return self._job.refresh() if self._job is not None else None

    def start(self, cfg: TrainConfig, *, name: str, probe: Pair, upload: bytes | None = None) -> Job:
        """Start a job in a process of its own; raises Busy while another one runs. `upload`: an uploaded
        corpus (checked by the page) to train on, saved now that a job uses it."""
        with self._lock:
            current = self.job
            if current is None or not current.running:
                current = self._running_job() or current  # e.g. started by another server process
            if current is not None and current.running:
                raise Busy(
                    _("The server is training {name}; one job at a time.").format(name=repr(current.name))
                )
            waiting = {p.name for p in self.interrupted()}
            if name in waiting:
                raise Busy(check_name(name, set(), waiting))
            if upload is not None:
                cfg = replace(cfg, data_path=str(save_upload(upload, self.root)))
            job = Job(cfg=cfg, name=name, root=self.root, probe=probe)
            shutil.rmtree(job.staging, ignore_errors=True)  # a failed run's partial leftovers
            job.launch(self.threads)
            self._job = job
            self._tidy()
            return job

    def find(self, job_id: str) -> Job | None:
        """A job by its id (from a URL), running or ended, if its folder is still there."""
        if self._job is not None and self._job.id == job_id:
            return self.job
        if job_id in self._ended:
            return self._ended[job_id]
        folder = self.root / JOBS / job_id
        if not re.fullmatch(r"[0-9a-f]{12}", job_id) or not (folder / "job.json").is_file():
            return None
        job = Job.open(folder)
        if not job.running:
            self._ended = {job_id: job}  # one is enough: the page asks for the one in its URL
        return job

    def _folders(self) -> list[Path]:
        """Job folders, newest first."""
        found = [p for p in (self.root / JOBS).glob("*/job.json")]
        return [p.parent for p in sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)]

    def _running_job(self) -> Job | None:
        for folder in self._folders():
            if _ended(folder):
                continue
            try:
                job = Job.open(folder)  # a dead one is marked ended here, for every reader
            except (OSError, ValueError, KeyError, TypeError):  # a half-written or foreign folder
                continue
            if job.running:
                return job
        return None

    def _tidy(self) -> None:
        """Delete the folders of all but the newest few finished jobs."""
        current = self._job.folder if self._job is not None else None
        for folder in self._folders()[KEEP_FINISHED + 1 :]:
            if folder != current and _ended(folder):
                shutil.rmtree(folder, ignore_errors=True)

    def interrupted(self) -> list[Path]:
        """Checkpoints left by runs that never finished (a killed process), except the running one."""
        job = self.job
        running = job.staging if job is not None and job.running else None
        return [p for p in list_models(self.root / STAGING) if p != running]

    def keep(self, staged: Path) -> Outcome:
        """Move an interrupted run's last checkpoint among the user's models, then score it on its test
        split. Pressed in two tabs at once, one moves it and the other finds it kept; nothing raises."""
        name, final = staged.name, self.root / staged.name
        # Made in the session that pressed the button, so in its language; `name` quoted as repr shows it.
        quoted = repr(name)
        with models_lock(self.root):
            if not (staged / CONFIG).is_file():  # another tab or server was quicker
                if (final / CONFIG).is_file():
                    said = _("{name} is among your models already (kept in another tab).")
                    return Outcome(True, said.format(name=quoted), final)
                said = _("The checkpoint of {name} is gone (discarded in another tab).")
                return Outcome(False, said.format(name=quoted))
            if final.exists():
                said = _("A model called {name} exists already: discard this run instead.")
                return Outcome(False, said.format(name=quoted))
            try:
                load_model(staged)  # a damaged checkpoint stays where it is, to be discarded
                replace_dir(staged, final)
            except (ModelError, OSError) as err:
                return Outcome(False, _("Cannot keep {name}: {error}").format(name=quoted, error=err))
        try:
            bundle = load_model(final)
            write_metrics(bundle, evaluate(bundle, beams=(1,), aligners=(), faithful=False))
        except Exception as err:  # noqa: BLE001 - kept all the same; the page says what went wrong
            said = _("Kept {name}, but scoring it on its test split failed: {error}")
            return Outcome(True, said.format(name=quoted, error=err), final)
        return Outcome(
            True, _("Kept {name} among your models, with its test metrics.").format(name=quoted), final
        )


@dataclass(frozen=True)
class Outcome:
    """What keep or discard did, in words for the page: `ok` False when nothing could be done."""

    ok: bool
    message: str
    path: Path | None = None  # the kept model directory


_MODELS_LOCK = threading.Lock()  # flock excludes other processes; threads of this one queue here


@contextlib.contextmanager
def models_lock(root: Path) -> Iterator[None]:
    """Hold the models folder's lock: one keep or discard at a time, across this server's sessions (a
    thread lock) and across servers on the same folder (flock on LOCK_FILE; the system drops it when
    the holder dies, so a killed server never leaves it locked)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    with _MODELS_LOCK, open(root / LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield  # closing the file releases the flock


def discard(staged: Path) -> Outcome:
    """Delete an interrupted run's checkpoint (only ever one inside a staging folder). It is first moved
    aside in one rename, so it never half exists: a kill leaves a temporary directory that `recover`
    deletes later. Pressed in two tabs at once, the second finds it gone; nothing raises."""
    if staged.parent.name != STAGING:
        raise ValueError(f"{staged} is not a staged training run")
    with models_lock(staged.parent.parent):
        quoted = repr(staged.name)  # the messages are made in the session that pressed Discard: its language
        if not staged.exists():
            if (staged.parent.parent / staged.name / CONFIG).is_file():
                said = _("Not discarded: {name} was kept among your models in another tab.")
                return Outcome(False, said.format(name=quoted))
            return Outcome(True, _("{name} is discarded already (in another tab).").format(name=quoted))
        try:
            aside = tempfile.mkdtemp(prefix=f".{staged.name}.", dir=staged.parent)
            os.replace(staged, aside)  # over the empty directory mkdtemp made
        except OSError as err:
            return Outcome(False, _("Cannot discard {name}: {error}").format(name=quoted, error=err))
    shutil.rmtree(aside, ignore_errors=True)
    return Outcome(True, _("Discarded {name}.").format(name=quoted))


def save_upload(data: bytes, root: Path) -> Path:
    """Keep an uploaded corpus where a model trained on it can find it again (for `attnviz evaluate`),
    named by its content; called when a job on it starts. Older uploads beyond the caps are deleted."""
    folder = Path(root) / UPLOADS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(data).hexdigest()[:16]}.tsv"
    if path.exists():
        path.touch()  # in use again: the newest, not deleted for its age
    else:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
        tmp.write_bytes(data)
        tmp.replace(path)
    tidy_uploads(root, keep=path)
    return path


def tidy_uploads(root: Path, keep: Path | str | None = None) -> list[Path]:
    """Delete uploads older than UPLOADS_MAX_AGE_S (their jobs ended long ago) and half-written ones,
    then the oldest until at most UPLOADS_MAX_FILES files of UPLOADS_MAX_BYTES in all are left. `keep`:
    the running job's file, never deleted (and counted). Returns what was deleted."""
    folder = Path(root) / UPLOADS
    keep = Path(keep).resolve() if keep else None
    count, total = 0, 0
    if keep is not None and keep.is_file():
        count, total = 1, keep.stat().st_size
    now, deleted, files = time.time(), [], []
    for path in folder.iterdir() if folder.is_dir() else ():
        try:
            if not path.is_file() or path.resolve() == keep:
                continue
            stat = path.stat()
        except OSError:  # another server tidied it first
            continue
        age = now - stat.st_mtime
        if path.name.endswith(".part"):
            if age > STALE_S:  # a save that died
                deleted.append(path)
        elif age > UPLOADS_MAX_AGE_S:
            deleted.append(path)
        else:
            files.append((stat.st_mtime, stat.st_size, path))
    full = False
    for _mtime, size, path in sorted(files, key=lambda f: f[0], reverse=True):  # newest first
        count, total = count + 1, total + size
        full = full or count > UPLOADS_MAX_FILES or total > UPLOADS_MAX_BYTES
        if full:  # this one and every older one
            deleted.append(path)
    for path in deleted:
        path.unlink(missing_ok=True)
    return deleted


def upload_dev_pairs(data: bytes, seed: int, n: int = 200) -> list[Pair]:
    """The first `n` dev pairs of an uploaded corpus, split as training will split it. The bytes go to
    a temporary file, deleted at once: an upload is kept only once a job on it starts (save_upload)."""
    with tempfile.NamedTemporaryFile(suffix=".tsv") as f:
        f.write(data)
        f.flush()
        return list(tasks.for_uploads().load(seed, f.name, None).dev[:n])


def _ended(folder: Path) -> bool:
    """Whether a job folder's last event says how the run ended (without reading all its snapshots)."""
    try:
        with open(folder / "events.jsonl", "rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - 4096))
            return b'{"kind": "end"' in f.read()
    except OSError:
        return False


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


# ---------------------------------------------------------------- the training process


class _Reporter(Callback):
    """Inside the training process: writes the trainer's reports to events.jsonl and traces the probe."""

    def __init__(self, folder: Path, probe: Pair) -> None:
        self.folder, self.probe = folder, probe
        self.events = open(folder / "events.jsonl", "a", encoding="utf-8")  # open while the process lives
        self.bundle: Bundle | None = None
        self.every, self.first_epoch_marks = 1, []
        self.last_write, self.dev_started, self.dev_s = 0.0, 0.0, 0.0
        self.stop = False

    def write(self, kind: str, **values: Any) -> None:
        """One whole line per event, flushed at once: a reader never takes in half of one."""
        self.events.write(json.dumps({"kind": kind, "t": time.time(), **values}, ensure_ascii=False) + "\n")
        self.events.flush()

    def on_stage(self, stage: str) -> None:
        self.write("stage", stage=stage)

    def on_start(self, bundle: Bundle) -> None:
        # Training begins: from now on the trainer keeps the budget (after each batch) and a Cancel
        # (SIGTERM) only stops the loop, so that the epoch so far is scored and the best checkpoint kept.
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGTERM, self._on_sigterm)
        self.bundle = bundle
        self.write("stage", stage="training")
        self._probe(0.0)  # the untrained model: attention spread almost evenly

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        self.stop = True

    def on_batch(self, p: Progress) -> None:
        if p.batch == 1:
            self.every = max(1, p.batches // LOSS_POINTS_PER_EPOCH)
            marks = {max(1, round(f * p.batches)) for f in FIRST_EPOCH_PROBES}
            self.first_epoch_marks = sorted(marks - {p.batches}) if p.epoch == 1 else []
            if p.epoch > 1:
                self.write("stage", stage="training")
        if p.batch % self.every == 0:
            self.write("loss", at=p.position, loss=p.loss)
        out_of_time = p.budget_s is not None and p.elapsed_s > p.budget_s
        last = p.batch == p.batches or out_of_time or self.should_stop()  # the dev set is scored next
        now = time.monotonic()
        if last or p.batch == 1 or now - self.last_write >= PROGRESS_EVERY_S:
            self.write("progress", **asdict(p))
            self.last_write = now
        if p.batch in self.first_epoch_marks and not last:
            self._probe(p.position)
        if last:
            self.write("stage", stage="dev")
            self.dev_started = now

    def on_epoch(self, result: EpochResult, bundle: Bundle) -> None:
        self.dev_s = time.monotonic() - self.dev_started
        self.write("epoch", **asdict(result))
        self._probe(result.reached)

    def should_stop(self) -> bool:
        return self.stop or (self.folder / "cancel").exists()

    def _probe(self, epoch: float) -> None:
        snap = probe_snapshot(self.bundle, self.probe, epoch)
        gold = None if snap.gold is None else sorted(snap.gold)
        self.write("snapshot", epoch=epoch, trace=snap.trace.to_dict(), gold=gold)


def default_threads() -> int:
    """Threads for the training process's torch: the cores it may use less one, which the server and its
    sessions keep; at most 8, more than a small GRU can use. On a busy 2-core machine, 2 threads of
    dates/tiny trained at 143 target tokens/s, 1 thread at 3,800-7,600 (bench/RESULTS.md)."""
    return max(1, min(8, len(os.sched_getaffinity(0)) - 1))


def run(folder: Path) -> int:
    """The training process: train as job.json says, save, score the test split; report all of it."""
    spec = json.loads((folder / "job.json").read_text(encoding="utf-8"))
    import torch

    torch.set_num_threads(spec.get("threads") or default_threads())
    cfg = TrainConfig.from_dict(spec["cfg"])
    p = spec["probe"]
    links = tuple(tuple(link) for link in p["links"]) if p.get("links") is not None else None
    reporter = _Reporter(folder, Pair(p["source"], p["target"], links))
    reporter.write("started", pid=os.getpid(), threads=torch.get_num_threads())
    if cfg.max_minutes:
        # Until training begins, the budget and Cancel end the process at once (SIGALRM's and SIGTERM's
        # default action): nothing is saved yet, and no long C call (SentencePiece) can hold them up.
        signal.setitimer(signal.ITIMER_REAL, cfg.max_minutes * 60)
    root = folder.parent.parent
    try:
        result = train(cfg, root / STAGING / spec["name"], callbacks=[reporter])
        info = result.bundle.info
        pairs = info.get("test_pairs", 0)
        estimate = reporter.dev_s * pairs / max(1, info.get("dev_pairs", 0)) if reporter.dev_s else None
        reporter.write("stage", stage="test", pairs=pairs, estimate_s=estimate)
        saved = publish(root / STAGING / spec["name"], root / spec["name"])
        state = "cancelled" if result.stopped_because == "cancelled" else "done"
        how = result.stopped_because
        ids = {"message_id": ENDINGS[how]} if how in ENDINGS else {}  # translated where shown
        reporter.write("end", state=state, message=f"stopped: {how}", saved=str(saved), **ids)
        return 0
    except Exception as err:  # noqa: BLE001 - the page shows it
        reporter.write("end", state="failed", message=f"{type(err).__name__}: {err}", saved=None)
        raise


if __name__ == "__main__":
    sys.exit(run(Path(sys.argv[1])))
