"""Training in the background of the app's server: one job at a time, which any session can watch.

A `Job` runs `train.train` in a thread and records what the Train page draws: the running loss, each
epoch's result, and a probe sentence traced as training goes (a few times in the first epoch, then after
every epoch), so the class sees the alignment appear. The job lives in the server process, not in a
browser session: a refreshed page finds it again through `Runner.job`.

Checkpoints go to `<root>/.training/<name>` (a hidden folder the model picker skips) and move to
`<root>/<name>` when training ends, so a half-trained model never shows up as finished. A server killed
mid-training leaves its last checkpoint there, loadable; `Runner.interrupted` lists such runs.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import threading
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from attnviz import metrics, search
from attnviz.checkpoint import Bundle, list_models, load_model, replace_dir
from attnviz.config import TrainConfig
from attnviz.evaluate import evaluate, write_metrics
from attnviz.recipes import settings
from attnviz.tasks import Corpus, Pair, load_task
from attnviz.trace import Trace
from attnviz.train import Callback, EpochResult, Progress, train

STAGING = ".training"
# The Train page's starting settings; bench/train_in_app.py measures how fast they reach the bar.
DEFAULTS = {"task": "dates", "attention": "dot", "size": "small", "epochs": 20, "minutes": 5.0}
FIRST_EPOCH_PROBES = (0.1, 0.25, 0.5, 0.75)  # fractions of epoch 1 at which the probe is traced
LOSS_POINTS_PER_EPOCH = 50


def config_for(
    task: str, attention: str, size: str, epochs: int, minutes: float, data_path: str | None = None
) -> TrainConfig:
    """The TrainConfig of a run started from the Train page: the task's defaults plus the user's choices."""
    fields = settings(task, attention, size, epochs=epochs, max_minutes=minutes)
    return TrainConfig.from_dict({**fields, "data_path": data_path})


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
    """One training run and everything the page shows about it. Written by the training thread only."""

    cfg: TrainConfig
    name: str
    root: Path
    probe: Pair
    corpus: Corpus | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    state: str = "starting"  # starting, running, evaluating, done, cancelled, failed
    message: str = ""  # why it failed, or how it ended
    progress: Progress | None = None
    losses: list[tuple[float, float]] = field(default_factory=list)  # (epoch as a float, running loss)
    history: list[EpochResult] = field(default_factory=list)
    snapshots: list[Snapshot] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    finished: float | None = None
    saved: Path | None = None  # the finished model directory
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def running(self) -> bool:
        return self.state in ("starting", "running", "evaluating")

    @property
    def staging(self) -> Path:
        return self.root / STAGING / self.name

    def cancel(self) -> None:
        """Ask the job to stop: the epoch in progress is scored and the best checkpoint kept."""
        self._cancel.set()

    @property
    def cancelling(self) -> bool:
        return self._cancel.is_set() and self.running

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

    def run(self) -> None:
        """Train, save, evaluate. Every failure ends as state "failed" with a message, never a crash."""
        try:
            corpus = self.corpus or load_task(
                self.cfg.task, seed=self.cfg.data_seed, path=self.cfg.data_path, size=self.cfg.data_size
            )
            self.state = "running"
            result = train(self.cfg, self.staging, corpus=corpus, callbacks=[_Watcher(self)])
            self.state = "evaluating"
            self.saved = publish(self.staging, self.root / self.name)
            cancelled = result.stopped_because == "cancelled"
            self.state = "cancelled" if cancelled else "done"
            self.message = f"stopped: {result.stopped_because}"
        except Exception as err:  # noqa: BLE001 - the page shows it; the server must live on
            self.state, self.message = "failed", f"{type(err).__name__}: {err}"
        finally:
            self.finished = time.time()


def publish(staged: Path, final: Path) -> Path:
    """Move a staged model into place, then score it on its test split (metrics.json and model card)."""
    replace_dir(staged, final)
    bundle = load_model(final)
    write_metrics(bundle, evaluate(bundle, beams=(1,)))
    return final


class _Watcher(Callback):
    """Feeds the trainer's reports into the job, and traces the probe."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.bundle: Bundle | None = None
        self.every = 1
        self.first_epoch_marks: list[int] = []

    def on_batch(self, progress: Progress) -> None:
        job = self.job
        job.progress = progress
        if progress.batch == 1:
            self.every = max(1, progress.batches // LOSS_POINTS_PER_EPOCH)
            marks = {max(1, round(f * progress.batches)) for f in FIRST_EPOCH_PROBES}
            self.first_epoch_marks = sorted(marks - {progress.batches}) if progress.epoch == 1 else []
        if progress.batch % self.every == 0:
            job.losses.append((progress.position, progress.loss))
        if progress.batch in self.first_epoch_marks:
            self._probe(progress.batch / progress.batches)

    def on_start(self, bundle: Bundle) -> None:
        self.bundle = bundle
        self._probe(0.0)  # the untrained model: attention spread almost evenly

    def on_epoch(self, result: EpochResult, bundle: Bundle) -> None:
        self.job.history.append(result)
        self._probe(result.reached)

    def should_stop(self) -> bool:
        return self.job._cancel.is_set()

    def _probe(self, epoch: float) -> None:
        self.job.snapshots.append(probe_snapshot(self.bundle, self.job.probe, epoch))


def probe_snapshot(bundle: Bundle, probe: Pair, epoch: float) -> Snapshot:
    """Trace the probe greedily in eval mode, then give the model back in the mode it was in."""
    model = bundle.model
    was_training = model.training
    model.eval()
    try:
        trace = search.translate(bundle, probe.source)
    finally:
        model.train(was_training)
    gold = None
    if probe.links and trace.translation == probe.target:
        src, tgt = bundle.src.encode(probe.source), bundle.tgt.encode(probe.target)
        gold = metrics.project_links(probe.links, src.spans, tgt.spans)[1]
    return Snapshot(epoch, trace, gold)


NAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,39}")


def check_name(name: str, taken: Collection[str], waiting: Collection[str] = ()) -> str | None:
    """Why `name` cannot be a new model's folder name, or None if it can. `waiting`: the names of
    interrupted runs (Runner.interrupted), whose checkpoints a new run of that name would replace."""
    if not NAME_RE.fullmatch(name):
        return "Use 1-40 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit."
    if name in taken:
        return f"A model called {name!r} exists already: choose another name."
    if name in waiting:
        return f"An interrupted run called {name!r} is waiting: keep or discard it first."
    return None


class Runner:
    """The server's one training slot."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.job: Job | None = None
        self._lock = threading.Lock()

    def start(self, cfg: TrainConfig, *, name: str, probe: Pair, corpus: Corpus | None = None) -> Job:
        """Start a job in a background thread; raises Busy while another one runs."""
        with self._lock:
            if self.job is not None and self.job.running:
                raise Busy(f"The server is training {self.job.name!r}; one job at a time.")
            waiting = {p.name for p in self.interrupted()}
            if name in waiting:
                raise Busy(check_name(name, set(), waiting))
            self.job = Job(cfg=cfg, name=name, root=self.root, probe=probe, corpus=corpus)
            shutil.rmtree(self.job.staging, ignore_errors=True)  # a failed run's partial leftovers
            threading.Thread(target=self.job.run, name=f"train-{name}", daemon=True).start()
            return self.job

    def interrupted(self) -> list[Path]:
        """Checkpoints left by runs that never finished (a killed server), except the running one."""
        running = self.job.staging if self.job is not None and self.job.running else None
        return [p for p in list_models(self.root / STAGING) if p != running]

    def keep(self, staged: Path) -> Path:
        """Move an interrupted run's last checkpoint among the user's models, with its test metrics."""
        return publish(staged, self.root / staged.name)


def save_upload(data: bytes, root: Path) -> Path:
    """Keep an uploaded corpus where a model trained on it can find it again (for `attnviz evaluate`)."""
    folder = Path(root) / ".uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(data).hexdigest()[:16]}.tsv"
    if not path.exists():
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path


def discard(staged: Path) -> None:
    """Delete an interrupted run's checkpoint (only ever one inside a staging folder)."""
    if staged.parent.name != STAGING:
        raise ValueError(f"{staged} is not a staged training run")
    shutil.rmtree(staged)
