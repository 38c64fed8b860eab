"""Input checks: unknown pieces, foreign scripts, inputs unlike the task's, the model's confidence."""

import dataclasses

import numpy as np
import pytest

from attnviz import checks, search, tasks
from attnviz.bundle import Bundle
from attnviz.config import TrainConfig
from attnviz.tokenizer import UNK


def as_task(bundle: Bundle, task: str) -> Bundle:
    return dataclasses.replace(bundle, train_config=TrainConfig(task=task))


@pytest.fixture
def bundle(tiny_bundle) -> Bundle:
    return tiny_bundle("dot")  # no training config: a user's (tsv) model, known characters only


def test_unknown_pieces_are_the_positions_of_the_unknown_id(bundle):
    trace = search.translate(bundle, "abc ☃ de 😀")
    unknown = checks.unknown_pieces(trace)
    assert unknown and all(trace.source_ids[i] == UNK for i in unknown)
    assert [trace.source_pieces[i] for i in unknown] == ["<unk>"] * len(unknown)
    assert checks.unknown_pieces(search.translate(bundle, "abc de")) == ()


def test_unknown_characters_are_named_once_each_in_order(bundle):
    assert checks.unknown_characters(bundle, "☃☃ a 😀 ☃") == ("☃", "😀")
    assert checks.unknown_characters(bundle, "hello") == ()


def test_the_unknown_warning_counts_pieces_and_keeps_user_text_out_of_the_template(bundle):
    trace = search.translate(bundle, "abc ☃ de")
    found = checks.check(bundle, trace, "abc ☃ de")
    n, S = len(found.unknown), len(trace.source_ids)
    (warning,) = found.warnings
    verb = "is" if n == 1 else "are"  # "1 of 6 pieces is unknown", "2 of 6 pieces are unknown"
    assert f"{n} of {S} pieces {verb} unknown" in warning.text() and "“☃”" in warning.text()
    assert "☃" not in warning.template and warning.values  # the page escapes the values, not ours
    assert not checks.check(bundle, search.translate(bundle, "abc de")).warnings


def test_caseless_tasks_fold_case_before_encoding(bundle):
    g2p = as_task(bundle, "g2p")
    assert checks.normalise(g2p, "Hello WORLD") == "hello world"
    assert checks.normalise(as_task(bundle, "dates"), "Hello") == "Hello"  # dates are trained in 3 cases
    assert search.read_source(g2p, "HeLLo").tokens == search.read_source(g2p, "hello").tokens
    trace = search.translate(g2p, "Hello")
    found = checks.check(g2p, trace, "Hello")
    assert found.folded and trace.source == "hello" and not found.unknown
    assert any("lowercase" in note.text() for note in found.notes)


def test_letters_outside_the_tasks_script_are_counted_by_script(bundle):
    assert checks.foreign_scripts(tasks.get("de-en"), "Ich bin 안녕 Иван müde") == {
        "Hangul": 2,
        "Cyrillic": 4,
    }
    assert checks.foreign_scripts(tasks.get("de-en"), "Straße, 2026! 😀") == {}  # Latin letters; not letters
    assert checks.foreign_scripts(tasks.get("tsv"), "안녕") == {}  # a user's file has no fixed script
    found = checks.check(as_task(bundle, "de-en"), search.translate(bundle, "ab 안녕"))
    assert any("Latin script" in w.text() and "2 letters" in w.text() for w in found.warnings)


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("26 nov 2026", True),
        ("Thursday", True),
        ("the 3rd of MARCH", True),
        ("11/26/26", True),
        ("Ich habe keine Zeit.", False),
        ("hello world", False),
    ],
)
def test_a_date_has_a_digit_or_a_month_or_weekday_name(text, date):
    assert tasks.dates.looks_like_date(text) is date


def test_input_unlike_the_tasks_is_flagged_only_for_tasks_that_define_it(bundle):
    dates = as_task(bundle, "dates")
    said = checks.check(dates, search.translate(dates, "hello world")).warnings
    assert any("does not look like a date" in w.text() for w in said)
    assert not checks.check(dates, search.translate(dates, "the cat 26")).off_domain
    assert not checks.check(bundle, search.translate(bundle, "hello world")).off_domain


def test_confidence_is_the_traces_own_probabilities(bundle):
    trace = search.translate(bundle, "hello world")
    sure = checks.confidence(trace)
    probs = np.exp(trace.log_probs.astype(np.float64))
    assert sure.mean == pytest.approx(probs.prod() ** (1 / len(probs)))  # geometric mean
    assert sure.least == pytest.approx(probs.min()) and sure.least_step == int(probs.argmin())
    assert sure.piece == trace.target_pieces[sure.least_step]
    note = checks.check(bundle, trace).notes[-1].text()
    assert checks.probability(sure.mean) in note and f"step {sure.least_step + 1}" in note
    assert checks.probability(0.9996) == "1.000" and checks.probability(0.00012) == "1.2e-04"


def test_missing_data_names_the_install_command(monkeypatch, tmp_path):
    monkeypatch.setattr(tasks.ding, "DING_PATH", str(tmp_path / "no-such-file"))
    assert "apt-get install trans-de-en" in tasks.missing_data("de-en")
    assert tasks.missing_data("dates") is None and tasks.missing_data("reverse") is None
    (tmp_path / "de-en").write_text("", encoding="utf-8")
    monkeypatch.setattr(tasks.ding, "DING_PATH", str(tmp_path / "de-en"))
    assert tasks.missing_data("de-en") is None


def test_words_outside_a_fixed_lexicon_are_named_once_each_in_order(bundle):
    koen = as_task(bundle, "ko-en")
    assert checks.unknown_words(tasks.get("ko-en"), "선생님이 사과를 먹는다. 선생님이 웃니?") == ("선생님이",)
    assert checks.unknown_words(tasks.get("dates"), "선생님이") == ()  # a task without a fixed lexicon
    trace = search.translate(koen, "선생님이 어제 학교에서는 사과를 먹었다.")
    found = checks.check(koen, trace)
    assert found.unknown_words == ("선생님이", "학교에서는")
    (warning,) = [w for w in found.warnings if "vocabulary" in w.text()]
    assert warning.text().startswith(
        "**2 words are not in this model's vocabulary**: “선생님이”, “학교에서는”"
    )
    assert "선생님" not in warning.template and "them is a guess" in warning.text()  # values shown literally
    one = checks.check(koen, search.translate(koen, "개가 책상을 먹는다 kimchi"))
    assert one.unknown_words == ("kimchi",) and any("1 word is not" in w.text() for w in one.warnings)


def test_a_sentence_of_the_lexicon_gets_no_unknown_word_warning(bundle):
    koen = as_task(bundle, "ko-en")
    for example in tasks.get("ko-en").examples:
        found = checks.check(koen, search.translate(koen, example))
        assert found.unknown_words == () and not any("vocabulary" in w.text() for w in found.warnings)
    assert checks.check(bundle, search.translate(bundle, "선생님 hello")).unknown_words == ()  # a tsv model


def test_a_word_model_names_an_unknown_word_whole_and_once():
    """ko-en-dot reads words: a word it never saw is one <unk> piece, named as the word (not its letters),
    and not named again by the lexicon check."""
    from pathlib import Path

    from attnviz.checkpoint import load_model

    koen = load_model(Path(__file__).resolve().parent.parent / "models" / "ko-en-dot")
    trace = search.translate(koen, "선생님이 사과를 먹었다.")
    found = checks.check(koen, trace)
    assert checks.unknown_pieces(trace) == (0,) and found.unknown_words == ()
    (warning,) = [w for w in found.warnings if "선생님이" in w.text()]
    assert "1 of 3 pieces is unknown" in warning.text() and "“선생님이”" in warning.text()
    assert "“선”" not in warning.text()


def test_the_warnings_speak_the_active_language_and_still_keep_user_text_out(bundle, monkeypatch):
    from attnviz import i18n

    monkeypatch.setattr(i18n, "_resolver", lambda: "ko")
    trace = search.translate(bundle, "abc ☃ de")
    found = checks.check(bundle, trace, "abc ☃ de")
    n, total = len(found.unknown), len(trace.source_ids)
    (warning,) = found.warnings
    assert f"조각 {total}개 중 {n}개를 이 모델이 모릅니다" in warning.text() and "“☃”" in warning.text()
    assert "☃" not in warning.template and warning.values == {"chars": "“☃”"}
    assert "기하 평균 확률" in found.notes[-1].text()
