"""What the Train page says about a job, without Streamlit: the progress line in every state, the labels,
the default name, the epoch table and the loss chart's inputs, the upload report."""

from pathlib import Path

import pytest

from attnviz import watch
from attnviz.config import TrainConfig
from attnviz.jobs import Job
from attnviz.tasks import Pair, Rejected
from attnviz.train import EpochResult, Progress

NOW = 1_000_000.0  # the clock every status is read at


def job_at(root: Path, state: str, stage: str = "", since_s: float = 0.0, **fields) -> Job:
    """A job of at most 4 epochs as its last refresh left it: `since_s` seconds into `stage`."""
    cfg = TrainConfig(epochs=4)
    return Job(
        cfg, "mine", root, Pair("a b", "b a"), state=state, stage=stage, stage_since=NOW - since_s, **fields
    )


def cancelled(job: Job) -> Job:
    """The job with its cancel flag set, as Cancel leaves it."""
    job.folder.mkdir(parents=True)
    (job.folder / "cancel").touch()
    return job


def progress(
    epoch: int = 2, batch: int = 5, elapsed_s: float = 90.0, budget_s: float | None = None
) -> Progress:
    """Half-way through epoch 2 (1.5 epochs in) after 90 s, at 1,234 target tokens per second."""
    return Progress(epoch, batch, 10, loss=1.0, tokens_per_s=1234.4, elapsed_s=elapsed_s, budget_s=budget_s)


def test_an_ended_job_has_no_status(tmp_path):
    assert watch.status(job_at(tmp_path, "done"), NOW) is None
    assert watch.status(job_at(tmp_path, "failed"), NOW) is None


def test_starting(tmp_path):
    status = watch.status(job_at(tmp_path, "starting"), NOW)
    assert status == watch.Status(0.0, "Starting the training process (Python and PyTorch)...")


def test_preparing_says_the_stage_in_words_and_since_when(tmp_path):
    status = watch.status(job_at(tmp_path, "preparing", "tokenizers", since_s=75.9), NOW)
    text = "Preparing the data: training the tokenizers (1:15) - the time budget counts this too"
    assert status == watch.Status(0.0, text)
    unknown = watch.status(job_at(tmp_path, "preparing", "shuffling"), NOW)
    assert unknown.text.startswith("Preparing the data: shuffling (0:00)"), "a new stage is named as it is"


def test_cancelling_while_preparing(tmp_path):
    job = cancelled(job_at(tmp_path, "preparing", "encoding"))
    assert watch.status(job, NOW) == watch.Status(0.0, "Cancelling...")


def test_training_begins_with_the_untrained_probe(tmp_path):
    status = watch.status(job_at(tmp_path, "running", "training"), NOW)
    assert status.fraction == 0.0 and status.text.startswith("Training begins: tracing the probe")


def test_training_shows_the_batch_the_pace_and_at_most_how_long_is_left(tmp_path):
    status = watch.status(job_at(tmp_path, "running", "training", progress=progress()), NOW)
    # 1.5 of 4 epochs in 90 s: 4 epochs take 240 s, so 150 s are left
    text = "Epoch 2 of at most 4, batch 5/10 · 1:30 elapsed · at most 2:30 left · 1,234 target tokens/s"
    assert status == watch.Status(1.5 / 4, text)


def test_a_time_budget_counts_when_it_runs_out_before_the_epochs(tmp_path):
    job = job_at(tmp_path, "running", "training", progress=progress(budget_s=120.0))
    status = watch.status(job, NOW)
    assert status.fraction == pytest.approx(90 / 120), "the budget used, more than the epochs done"
    assert "at most 0:30 left" in status.text


def test_scoring_an_epoch_on_the_dev_set(tmp_path):
    job = job_at(tmp_path, "running", "dev", since_s=5.0, progress=progress(batch=10))
    status = watch.status(job, NOW)
    assert status == watch.Status(2 / 4, "Epoch 2 of at most 4: scoring it on the dev set (0:05)...")


def test_time_is_up_while_the_epoch_so_far_is_scored(tmp_path):
    job = job_at(tmp_path, "running", "dev", since_s=5.0, progress=progress(budget_s=60.0))
    status = watch.status(job, NOW)
    keeping = "scoring the epoch so far on the dev set and keeping the best checkpoint (0:05)..."
    assert status == watch.Status(1.0, f"Time is up: {keeping}"), "90 s of a 60 s budget: a full bar"


def test_cancelling_while_training(tmp_path):
    job = cancelled(job_at(tmp_path, "running", "training", since_s=5.0, progress=progress()))
    status = watch.status(job, NOW)
    keeping = "scoring the epoch so far on the dev set and keeping the best checkpoint (0:05)..."
    assert status == watch.Status(1.5 / 4, f"Cancelling: {keeping}")


def test_evaluating_against_an_estimate_never_fills_the_bar(tmp_path):
    job = job_at(tmp_path, "evaluating", "test", since_s=30.0, test_pairs=1500, test_estimate_s=120.0)
    text = "Training done: scoring the model on its test split (1,500 sentences) · 0:30 of about 2:00"
    assert watch.status(job, NOW) == watch.Status(0.25, text)
    late = job_at(tmp_path, "evaluating", "test", since_s=600.0, test_pairs=1500, test_estimate_s=120.0)
    assert watch.status(late, NOW).fraction == 0.99, "longer than estimated: still not done"


def test_evaluating_without_an_estimate(tmp_path):
    job = job_at(tmp_path, "evaluating", "test", since_s=30.0, test_pairs=40)
    text = "Training done: scoring the model on its test split (40 sentences) · 0:30"
    assert watch.status(job, NOW) == watch.Status(0.0, text)


def test_a_stage_stamped_ahead_of_the_servers_clock_reads_as_just_begun(tmp_path):
    # The process stamps its stages with its own time.time(); st.progress refuses a negative fraction.
    job = job_at(tmp_path, "evaluating", "test", since_s=-3.0, test_pairs=40, test_estimate_s=10.0)
    status = watch.status(job, NOW)
    assert status.fraction == 0.0 and "· 0:00 of about 0:10" in status.text


def test_epoch_labels_and_minutes():
    assert [watch.epoch_label(e) for e in (0, 1.0, 0.25, 1 / 3, 2.5)] == [
        "epoch 0",
        "epoch 1",
        "epoch 0.25",
        "epoch 0.33",
        "epoch 2.50",
    ]
    assert [watch.minutes(s) for s in (0, 59.9, 75.9, 3600)] == ["0:00", "0:59", "1:15", "60:00"]


def test_the_free_name_skips_every_taken_one():
    assert watch.free_name("dates-dot", {"dates-general"}) == "dates-dot"
    assert watch.free_name("dates-dot", {"dates-dot", "dates-dot-2", "dates-dot-4"}) == "dates-dot-3"


def epoch(n: int, reached: float, dev_metric: float, elapsed_s: float) -> EpochResult:
    return EpochResult(n, reached, 2.0 / n, 2.5 / n, dev_metric, "exact_match", 2e-3, elapsed_s, True)


def test_the_history_table_has_a_row_per_epoch_and_the_metric_by_its_name():
    table = watch.history_table([epoch(1, 1.0, 40.0, 30.0), epoch(2, 1.5714, 55.0, 45.0)])
    assert list(table.columns) == [
        "epoch",
        "train loss",
        "dev loss",
        "exact_match",
        "learning rate",
        "minutes",
    ]
    assert table["epoch"].tolist() == [1.0, 1.57], "a cut epoch ends where it stopped, rounded"
    assert table["train loss"].tolist() == [2.0, 1.0] and table["dev loss"].tolist() == [2.5, 1.25]
    assert table["exact_match"].tolist() == [40.0, 55.0]
    assert table["minutes"].tolist() == [0.5, 0.75]


def test_the_loss_chart_inputs():
    assert watch.curves([], []) is None, "nothing to draw before the first loss point"
    early = watch.curves([(0.02, 4.1), (0.04, 3.9)], [])
    assert early == watch.Curves([(0.02, 4.1), (0.04, 3.9)], [], "dev metric")
    later = watch.curves([(0.5, 2.0)], [epoch(1, 1.0, 40.0, 30.0), epoch(2, 1.5, 55.0, 45.0)])
    assert later.dev == [(1.0, 2.5, 40.0), (1.5, 1.25, 55.0)] and later.metric == "exact_match"


def test_the_upload_report_counts_and_lists_the_first_ten_rejected_lines():
    pairs = [Pair(f"a{i}", f"b{i}") for i in range(20_000)]
    rejected = [Rejected(line, "no tab") for line in range(3, 28)]
    report = watch.upload_report(pairs, rejected)
    assert (report.accepted, report.rejected) == (20_000, 25)
    assert report.summary == "20,000 lines accepted, 25 rejected."
    assert report.table_title == "The first 10 rejected lines:"
    assert report.first_rejected.index.name == "line" and list(report.first_rejected.columns) == ["reason"]
    assert report.first_rejected.index.tolist() == list(range(3, 13))


def test_the_upload_report_of_one_line_each_and_of_a_clean_file():
    one = watch.upload_report([Pair("a", "b")], [Rejected(2, "not UTF-8")])
    assert one.summary == "1 line accepted, 1 rejected."
    assert one.table_title == "The rejected line:"
    assert one.first_rejected.to_dict() == {"reason": {2: "not UTF-8"}}
    clean = watch.upload_report([Pair("a", "b"), Pair("c", "d")], [])
    assert clean.summary == "2 lines accepted, 0 rejected." and clean.first_rejected.empty


class Marked:
    """A stand-in catalogue that marks every text it is asked for, to see what goes through gettext."""

    def gettext(self, message: str) -> str:
        return f"«{message}»"

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return f"«{singular if n == 1 else plural}»"


@pytest.fixture
def marked(monkeypatch):
    """`_` and `ngettext` of attnviz.i18n speaking the marked catalogue, as they speak Korean in a page."""
    from attnviz import i18n

    monkeypatch.setattr(i18n, "_resolver", lambda: "ko")
    monkeypatch.setattr(i18n, "translations", lambda lang: Marked())


def test_every_status_line_goes_through_the_catalogue(tmp_path, marked):
    lines = [
        watch.status(job_at(tmp_path, "starting"), NOW),
        watch.status(job_at(tmp_path, "preparing", "tokenizers"), NOW),
        watch.status(job_at(tmp_path, "running"), NOW),
        watch.status(job_at(tmp_path, "running", "training", progress=progress()), NOW),
        watch.status(job_at(tmp_path, "running", "dev", progress=progress()), NOW),
        watch.status(job_at(tmp_path, "evaluating", "test", test_pairs=1000), NOW),
        watch.status(job_at(tmp_path, "evaluating", "test", test_pairs=1, test_estimate_s=10.0), NOW),
    ]
    for line in lines:
        assert line.text.startswith("«"), line.text
    assert "«training the tokenizers»" in lines[1].text, "the stage is translated inside the line"
    assert watch.epoch_label(2) == "«epoch 2»" and watch.epoch_label(0.25) == "«epoch 0.25»"


def test_the_tables_and_the_upload_report_speak_the_catalogue(marked):
    table = watch.history_table([epoch(1, 1.0, 40.0, 30.0)])
    assert list(table.columns) == [
        "«epoch»",
        "«train loss»",
        "«dev loss»",
        "exact_match",  # the metric keeps its name
        "«learning rate»",
        "«minutes»",
    ]
    report = watch.upload_report([Pair("a", "b")] * 3, [Rejected(2, "no tab"), Rejected(5, "no tab")])
    assert report.summary == "«3 lines accepted, 2 rejected.»"
    assert report.table_title == "«The first 2 rejected lines:»"
    assert report.first_rejected.index.name == "«line»" and list(report.first_rejected.columns) == [
        "«reason»"
    ]
    assert watch.curves([(0.1, 3.0)], []).metric == "«dev metric»"
