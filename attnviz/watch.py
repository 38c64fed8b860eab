"""Watching a training job: what the Train page says about one, as plain data (no Streamlit).

The progress line (how far, and what the process does now), snapshot labels, the epoch history as a table
and as the loss chart's inputs, and the report on an uploaded corpus. The clock is passed in (`now`), so
every case is unit-tested without a page, a process or waiting.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import pandas as pd

from attnviz.jobs import Job
from attnviz.tasks import Pair, Rejected
from attnviz.train import EpochResult, Progress

# What the process does while it prepares the data (a key of jobs.STATES) -> words for the progress line
STAGE_TEXT = {
    "loading data": "reading the corpus",
    "tokenizers": "training the tokenizers",
    "encoding": "cutting the sentences into pieces",
}
FIRST_REJECTED = 10  # rejected lines of an upload listed on the page; the rest are only counted


def epoch_label(epoch: float) -> str:
    """A snapshot's name: "epoch 2" after a whole epoch, "epoch 0.25" a quarter into the first."""
    return f"epoch {epoch:g}" if float(epoch).is_integer() else f"epoch {epoch:.2f}"


def minutes(seconds: float) -> str:
    """A duration as m:ss."""
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


def free_name(base: str, taken: Collection[str]) -> str:
    """`base`, or `base-2`, `base-3` ... : the first that is not taken, as the default name of a new model."""
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    return name


@dataclass(frozen=True)
class Status:
    """A running job's progress bar: how far along it is (0 to 1) and what the process does now."""

    fraction: float
    text: str


def status(job: Job, now: float) -> Status | None:
    """What a running job does now, and since when (`now`: time.time()); None once it has ended.

    Reads the job as it is (its last refresh) and at most one file (the cancel flag), since it is
    redrawn every few seconds in every watching tab."""
    if not job.running:
        return None
    elapsed = max(0.0, now - job.stage_since)  # in the stage; the process's clock may be a little ahead
    if job.state == "starting":
        return Status(0.0, "Starting the training process (Python and PyTorch)...")
    if job.state == "preparing":
        if job.cancelling:
            return Status(0.0, "Cancelling...")
        doing = STAGE_TEXT.get(job.stage, job.stage)
        text = f"Preparing the data: {doing} ({minutes(elapsed)}) - the time budget counts this too"
        return Status(0.0, text)
    if job.state == "evaluating":
        return _evaluating(job, elapsed)
    if job.progress is None:  # the untrained model's snapshot comes before the first batch
        return Status(0.0, "Training begins: tracing the probe sentence with the untrained model...")
    return _training(job, job.progress, elapsed)


def _evaluating(job: Job, elapsed: float) -> Status:
    """Scoring the test split, against an estimate from how long the dev set took (none if unknown)."""
    estimate = job.test_estimate_s
    text = f"Training done: scoring the model on its test split ({job.test_pairs:,} sentences)"
    text += f" · {minutes(elapsed)}"
    if not estimate:
        return Status(0.0, text)
    # Never full: the estimate is rough, and a full bar that does not end reads as stuck.
    return Status(min(0.99, elapsed / estimate), f"{text} of about {minutes(estimate)}")


def _training(job: Job, p: Progress, elapsed: float) -> Status:
    """Training, or scoring an epoch on the dev set: the epochs done or the budget used, whichever is more."""
    done = p.position / job.cfg.epochs
    if p.budget_s:
        done = max(done, p.elapsed_s / p.budget_s)
    since = minutes(elapsed)
    keeping = f"scoring the epoch so far on the dev set and keeping the best checkpoint ({since})..."
    if job.cancelling:
        text = f"Cancelling: {keeping}"
    elif job.stage == "dev" and p.budget_s is not None and p.elapsed_s > p.budget_s:
        text = f"Time is up: {keeping}"
    elif job.stage == "dev":
        text = f"Epoch {p.epoch} of at most {job.cfg.epochs}: scoring it on the dev set ({since})..."
    else:
        text = (
            f"Epoch {p.epoch} of at most {job.cfg.epochs}, batch {p.batch}/{p.batches} · "
            f"{minutes(p.elapsed_s)} elapsed · at most {minutes(job.eta_s() or 0)} left · "
            f"{p.tokens_per_s:,.0f} target tokens/s"
        )
    return Status(min(done, 1.0), text)


@dataclass(frozen=True)
class Curves:
    """The loss chart's inputs, as plots.training_chart takes them."""

    losses: list[tuple[float, float]]  # (epoch as a float, running training loss)
    dev: list[tuple[float, float, float]]  # after each epoch: (where it ended, dev loss, dev metric)
    metric: str  # the dev metric's name


def curves(losses: Sequence[tuple[float, float]], history: Sequence[EpochResult]) -> Curves | None:
    """The training loss so far and each epoch's dev loss and metric; None before the first loss point."""
    if not losses and not history:
        return None
    metric = history[-1].metric_name if history else "dev metric"
    dev = [(h.reached, h.dev_loss, h.dev_metric) for h in history]
    return Curves(list(losses), dev, metric)


def history_table(history: Sequence[EpochResult]) -> pd.DataFrame:
    """One row per epoch: where it ended, its losses, the dev metric (a column named after it), the
    learning rate, and the minutes since training began."""
    return pd.DataFrame(
        [
            {
                "epoch": round(h.reached, 2),
                "train loss": h.train_loss,
                "dev loss": h.dev_loss,
                h.metric_name: h.dev_metric,
                "learning rate": h.lr,
                "minutes": h.elapsed_s / 60,
            }
            for h in history
        ]
    )


@dataclass(frozen=True, eq=False)  # eq=False: a DataFrame has no single truth value to compare by
class UploadReport:
    """What checking an uploaded corpus found: lines accepted and rejected, and the first rejected ones."""

    accepted: int
    rejected: int
    first_rejected: pd.DataFrame  # at most FIRST_REJECTED rows: the reason, indexed by line number

    @property
    def summary(self) -> str:
        """ "20,000 lines accepted, 5 rejected." (after the file's name on the page)."""
        lines = "line" if self.accepted == 1 else "lines"
        return f"{self.accepted:,} {lines} accepted, {self.rejected:,} rejected."

    @property
    def table_title(self) -> str:
        """The words above the table of rejected lines."""
        if self.rejected == 1:
            return "The rejected line:"
        return f"The first {len(self.first_rejected)} rejected lines:"


def upload_report(pairs: Sequence[Pair], rejected: Sequence[Rejected]) -> UploadReport:
    """The report on an upload that tasks.tsv.read_tsv split into `pairs` and `rejected` lines."""
    shown = [{"line": r.line, "reason": r.reason} for r in rejected[:FIRST_REJECTED]]
    table = pd.DataFrame(shown, columns=["line", "reason"]).set_index("line")
    return UploadReport(len(pairs), len(rejected), table)
