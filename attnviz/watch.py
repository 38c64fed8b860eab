"""Watching a training job: what the Train page says about one, as plain data (no Streamlit).

The progress line (how far, and what the process does now), snapshot labels, the epoch history as a table
and as the loss chart's inputs, and the report on an uploaded corpus. The clock is passed in (`now`), so
every case is unit-tested without a page, a process or waiting. The text is made in the session's language
through attnviz.i18n (English outside a page: the CLI and the tests).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import pandas as pd

from attnviz.i18n import N_, _, ngettext
from attnviz.jobs import Job
from attnviz.tasks import Pair, Rejected
from attnviz.train import EpochResult, Progress

# What the process does while it prepares the data (a key of jobs.STATES) -> words for the progress line
STAGE_TEXT = {  # marked with N_, translated where the line is written
    "loading data": N_("reading the corpus"),
    "tokenizers": N_("training the tokenizers"),
    "encoding": N_("cutting the sentences into pieces"),
}
FIRST_REJECTED = 10  # rejected lines of an upload listed on the page; the rest are only counted


def epoch_label(epoch: float) -> str:
    """A snapshot's name: "epoch 2" after a whole epoch, "epoch 0.25" a quarter into the first."""
    return (_("epoch {epoch:g}") if float(epoch).is_integer() else _("epoch {epoch:.2f}")).format(epoch=epoch)


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
        return Status(0.0, _("Starting the training process (Python and PyTorch)..."))
    if job.state == "preparing":
        if job.cancelling:
            return Status(0.0, _("Cancelling..."))
        doing = _(STAGE_TEXT[job.stage]) if job.stage in STAGE_TEXT else job.stage
        text = _("Preparing the data: {doing} ({since}) - the time budget counts this too")
        return Status(0.0, text.format(doing=doing, since=minutes(elapsed)))
    if job.state == "evaluating":
        return _evaluating(job, elapsed)
    if job.progress is None:  # the untrained model's snapshot comes before the first batch
        return Status(0.0, _("Training begins: tracing the probe sentence with the untrained model..."))
    return _training(job, job.progress, elapsed)


def _evaluating(job: Job, elapsed: float) -> Status:
    """Scoring the test split, against an estimate from how long the dev set took (none if unknown)."""
    estimate = job.test_estimate_s
    n, since = job.test_pairs, minutes(elapsed)
    if not estimate:
        text = ngettext(
            "Training done: scoring the model on its test split ({n:,} sentence) · {since}",
            "Training done: scoring the model on its test split ({n:,} sentences) · {since}",
            n,
        )
        return Status(0.0, text.format(n=n, since=since))
    text = ngettext(
        "Training done: scoring the model on its test split ({n:,} sentence) · {since} of about {estimate}",
        "Training done: scoring the model on its test split ({n:,} sentences) · {since} of about {estimate}",
        n,
    )
    # Never full: the estimate is rough, and a full bar that does not end reads as stuck.
    return Status(min(0.99, elapsed / estimate), text.format(n=n, since=since, estimate=minutes(estimate)))


def _training(job: Job, p: Progress, elapsed: float) -> Status:
    """Training, or scoring an epoch on the dev set: the epochs done or the budget used, whichever is more."""
    done = p.position / job.cfg.epochs
    if p.budget_s:
        done = max(done, p.elapsed_s / p.budget_s)
    since, epochs = minutes(elapsed), job.cfg.epochs
    if job.cancelling:
        text = _(
            "Cancelling: scoring the epoch so far on the dev set and keeping the best checkpoint ({since})..."
        ).format(since=since)
    elif job.stage == "dev" and p.budget_s is not None and p.elapsed_s > p.budget_s:
        text = _(
            "Time is up: scoring the epoch so far on the dev set and keeping the best checkpoint ({since})..."
        ).format(since=since)
    elif job.stage == "dev":
        text = _("Epoch {epoch} of at most {epochs}: scoring it on the dev set ({since})...").format(
            epoch=p.epoch, epochs=epochs, since=since
        )
    else:
        text = _(
            "Epoch {epoch} of at most {epochs}, batch {batch}/{batches} · {elapsed} elapsed · at most "
            "{left} left · {speed:,.0f} target tokens/s"
        ).format(
            epoch=p.epoch,
            epochs=epochs,
            batch=p.batch,
            batches=p.batches,
            elapsed=minutes(p.elapsed_s),
            left=minutes(job.eta_s() or 0),
            speed=p.tokens_per_s,
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
    metric = history[-1].metric_name if history else _("dev metric")
    dev = [(h.reached, h.dev_loss, h.dev_metric) for h in history]
    return Curves(list(losses), dev, metric)


def history_table(history: Sequence[EpochResult]) -> pd.DataFrame:
    """One row per epoch: where it ended, its losses, the dev metric (a column named after it), the
    learning rate, and the minutes since training began. The column headers are in the session's language;
    the metric keeps its name."""
    epoch, train_loss, dev_loss, lr, mins = (
        _("epoch"),
        _("train loss"),
        _("dev loss"),
        _("learning rate"),
        _("minutes"),
    )
    return pd.DataFrame(
        [
            {
                epoch: round(h.reached, 2),
                train_loss: h.train_loss,
                dev_loss: h.dev_loss,
                h.metric_name: h.dev_metric,
                lr: h.lr,
                mins: h.elapsed_s / 60,
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
        return ngettext(
            "{accepted:,} line accepted, {rejected:,} rejected.",
            "{accepted:,} lines accepted, {rejected:,} rejected.",
            self.accepted,
        ).format(accepted=self.accepted, rejected=self.rejected)

    @property
    def table_title(self) -> str:
        """The words above the table of rejected lines."""
        if self.rejected == 1:
            return _("The rejected line:")
        n = len(self.first_rejected)
        return ngettext("The first {n} rejected line:", "The first {n} rejected lines:", n).format(n=n)


def upload_report(pairs: Sequence[Pair], rejected: Sequence[Rejected]) -> UploadReport:
    """The report on an upload that tasks.tsv.read_tsv split into `pairs` and `rejected` lines. Its table's
    headers are in the session's language (a cached caller keys its cache by the language)."""
    line, reason = _("line"), _("reason")
    shown = [{line: r.line, reason: r.reason} for r in rejected[:FIRST_REJECTED]]
    table = pd.DataFrame(shown, columns=[line, reason]).set_index(line)
    return UploadReport(len(pairs), len(rejected), table)
