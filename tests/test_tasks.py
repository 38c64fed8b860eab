"""Tests for attnviz.tasks: synthetic tasks, corpus readers, the TSV validator and splits."""

import datetime as dt
import os
import re

import pytest
from conftest import require_or_skip

from attnviz import tasks
from attnviz.tasks import DataError, Pair, load_task, split
from attnviz.tasks.dates import generate_dates
from attnviz.tasks.ding import DING_PATH, read_ding
from attnviz.tasks.g2p import read_g2p
from attnviz.tasks.reverse import generate_reverse
from attnviz.tasks.tsv import read_tsv, wide_encoding

# ---------------------------------------------------------------- dates

MONTHS = "january february march april may june july august september october november december"
MONTH_NUMBER = {name: i for i, m in enumerate(MONTHS.split(), start=1) for name in (m, m[:3])}
WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()


@pytest.fixture(scope="module")
def dates() -> list[Pair]:
    return generate_dates(2000, seed=0)


def test_dates_are_valid_iso_dates_in_range(dates):
    assert len(dates) == 2000
    assert len({p.source for p in dates}) == 2000
    for p in dates:
        day = dt.date.fromisoformat(p.target)
        assert day.isoformat() == p.target
        assert 1950 <= day.year <= 2049
        assert 0 < len(p.source) <= 40


def test_dates_weekday_matches_the_date(dates):
    checked = 0
    for p in dates:
        words = re.findall(r"[a-z]+", p.source.lower())
        named = [i for i, w in enumerate(WEEKDAYS) if w in words or w[:3] in words]
        if named:
            assert named == [dt.date.fromisoformat(p.target).weekday()], p
            checked += 1
    assert checked > 100


def test_dates_cover_many_formats_and_cases(dates):
    sources = [p.source for p in dates]
    assert any(re.fullmatch(r"\d{1,2}/\d{1,2}/\d\d", s) for s in sources)
    assert any(p.source == p.target for p in dates)  # the ISO form itself is one of the formats
    assert any(re.search(r"\d(st|nd|rd|th) of", s) for s in sources)
    assert any(re.search(r"[A-Z]{3}", s) for s in sources)
    assert any(re.search(r"\b[A-Z][a-z]+", s) for s in sources)
    assert any(re.search(r"\b[a-z]{3,} \d", s) for s in sources)


def test_dates_deterministic_per_seed():
    assert generate_dates(300, seed=7) == generate_dates(300, seed=7)
    assert generate_dates(300, seed=7) != generate_dates(300, seed=8)


def test_dates_gold_links_point_at_the_right_characters(dates):
    for p in dates:
        covered = set()
        for s0, s1, t0, t1, sure in p.links:
            assert 0 <= s0 < s1 <= len(p.source) and 0 <= t0 < t1 <= len(p.target)
            src, tgt = p.source[s0:s1], p.target[t0:t1]
            assert tgt.isdigit() and t1 - t0 == 1
            if sure:
                assert src == tgt  # a copied digit
            elif src.isdigit():
                # The whole field: its digits, right-aligned, are the target field's last digits.
                field = {0: (0, 4), 5: (5, 7), 8: (8, 10)}[max(f for f in (0, 5, 8) if f <= t0)]
                assert p.target[field[0] : field[1]].endswith(src.zfill(2))
            else:
                # A month word: only possible links, and only to the month digits it names.
                assert MONTH_NUMBER[src.lower()] == int(p.target[5:7]) and 5 <= t0 < 7
            covered.add(t0)
        # Every target digit is linked, the "-" separators never are.
        assert covered == {0, 1, 2, 3, 5, 6, 8, 9}, p


def test_dates_golden_links():
    p = tasks.dates._date_pair(dt.date(2026, 11, 5), "the {d}{th} of {mon}, {yyyy}", str.title)
    assert (p.source, p.target) == ("the 5th of Nov, 2026", "2026-11-05")
    year = [(16, 20, t, t + 1, False) for t in range(4)]
    year += [(16, 17, 0, 1, True), (17, 18, 1, 2, True), (18, 19, 2, 3, True), (19, 20, 3, 4, True)]
    month = [(11, 14, 5, 6, False), (11, 14, 6, 7, False)]
    day = [(4, 5, 8, 9, False), (4, 5, 9, 10, False), (4, 5, 9, 10, True)]  # the "0" pad: possible
    assert sorted(p.links) == sorted(year + month + day)

    p = tasks.dates._date_pair(dt.date(2026, 11, 26), "{m}/{d}/{yy}", str.lower)
    assert (p.source, p.target) == ("11/26/26", "2026-11-26")
    possible = [(6, 8, t, t + 1, False) for t in range(4)]
    possible += [(0, 2, 5, 6, False), (0, 2, 6, 7, False), (3, 5, 8, 9, False), (3, 5, 9, 10, False)]
    assert sorted(p.links) == sorted(
        possible
        + [(6, 7, 2, 3, True), (7, 8, 3, 4, True)]
        + [(0, 1, 5, 6, True), (1, 2, 6, 7, True), (3, 4, 8, 9, True), (4, 5, 9, 10, True)]
    )


# ---------------------------------------------------------------- reverse


def test_reverse_pairs_and_anti_diagonal_links():
    pairs = generate_reverse(500, seed=1)
    assert pairs == generate_reverse(500, seed=1)
    for p in pairs:
        assert re.fullmatch(r"[a-z]{3,15}", p.source)
        assert p.target == p.source[::-1]
        n = len(p.source)
        assert sorted(p.links) == sorted((n - 1 - j, n - j, j, j + 1, True) for j in range(n))


def test_load_task_synthetic_sizes_and_kinds():
    corpus = load_task("reverse", seed=3, size=400)
    assert (len(corpus.train), len(corpus.dev), len(corpus.test)) == (340, 20, 40)
    assert (tasks.get(corpus.task).source_kind, tasks.get(corpus.task).target_kind) == ("char", "char")
    corpus = load_task("dates", size=1000)
    assert (len(corpus.dev), len(corpus.test)) == (50, 100)
    assert corpus.task == "dates" and corpus.train[0].links


# ---------------------------------------------------------------- split


def test_split_deterministic_disjoint_and_complete():
    pairs = generate_reverse(100, seed=0)
    train, dev, test = split(pairs, test=10, dev=5, seed=4)
    assert (len(train), len(dev), len(test)) == (85, 5, 10)
    assert (train, dev, test) == split(pairs, test=10, dev=5, seed=4)
    assert (train, dev, test) != split(pairs, test=10, dev=5, seed=5)
    sources = [{p.source for p in part} for part in (train, dev, test)]
    assert not (sources[0] & sources[1] or sources[0] & sources[2] or sources[1] & sources[2])
    assert set().union(*sources) == {p.source for p in pairs}


def test_split_too_small_is_a_data_error():
    with pytest.raises(DataError, match="Only 3 pair"):
        split(generate_reverse(3, seed=0), test=2, dev=1, seed=0)


# ---------------------------------------------------------------- de-en (Ding)

# (German side, English side) of each line; the comment says what must happen to it.
DING_LINES = [
    ("Haus {n}; Gebäude {n} | Häuser {pl}", "house; building | houses"),  # no sentences
    (
        "Haus {n} [arch.] | Das Haus ist groß. | Er wohnt in einem Haus [ugs.].",
        "house | The house is big. | He lives in a house [coll.].",
    ),  # markup stripped, sub-entries paired one to one
    (
        "Zug {m} | Der Zug kommt um acht an.; Der Zug ist spät.",
        "train | The train arrives at eight.; The train is late.",
    ),  # variants paired by index
    (
        "Auto {n} | Das Auto ist rot.; Das Auto ist sehr rot.; Rot ist es.",
        "car | The car is red.; The car is very red.",
    ),  # variant counts differ: first variants only
    ("Weg {m} | Das ist der Weg. | extra", "way | That is the way."),  # sub-entries misaligned
    ("Sache {f} | Das ist eine Sache / ein Ding.", "thing | That is a thing / an object."),
    ("Warten {n} | Ich warte auf … den Bus.", "waiting | I wait for … the bus."),
    ("Ja {adv} | Ja, genau!", "yes | Yes, exactly!"),  # too short
    ("Dach {n} | Das Haus ist groß.", "roof | The house is large."),  # duplicate source
    ("Frage {f} | Wie geht es dir heute?", "question | How’s it going today?"),
    ("Sprache {f} | Er spricht Deutsch.", "language | he speaks German."),  # lowercase start
]
DING_SAMPLE = "# Version :: x\n" + "".join(f"{de} :: {en}\n" for de, en in DING_LINES)


def test_read_ding_keeps_sentence_pairs_only(tmp_path):
    path = tmp_path / "de-en"
    path.write_text(DING_SAMPLE, encoding="utf-8")
    pairs = [(p.source, p.target) for p in read_ding(str(path))]
    assert pairs == [
        ("Das Haus ist groß.", "The house is big."),
        ("Er wohnt in einem Haus.", "He lives in a house."),
        ("Der Zug kommt um acht an.", "The train arrives at eight."),
        ("Der Zug ist spät.", "The train is late."),
        ("Das Auto ist rot.", "The car is red."),
        ("Wie geht es dir heute?", "How's it going today?"),
    ]
    assert all(p.links is None for p in read_ding(str(path)))


def test_read_ding_real_file_has_about_19k_pairs():
    require_or_skip(os.path.exists(DING_PATH), f"{DING_PATH} not installed (trans-de-en)")
    corpus = load_task("de-en", size=100)
    n = len(read_ding(DING_PATH))
    assert 15_000 <= n <= 25_000
    assert (len(corpus.train), len(corpus.dev), len(corpus.test)) == (100, 500, 1000)
    assert (tasks.get(corpus.task).source_kind, tasks.get(corpus.task).target_kind) == ("unigram", "unigram")
    assert not any("\u2019" in p.target for p in corpus.test)


def test_missing_ding_file_says_how_to_install(tmp_path):
    missing = str(tmp_path / "nope")
    with pytest.raises(DataError, match="apt-get install trans-de-en") as info:
        load_task("de-en", path=missing)
    assert missing in str(info.value) and "\n" not in str(info.value)


# ---------------------------------------------------------------- g2p


def test_g2p_letters_only_stress_stripped_and_split_by_word():
    pairs = read_g2p()
    assert len(pairs) > 100_000
    for p in pairs[::97]:
        assert re.fullmatch(r"[a-z]{2,20}", p.source)
        assert re.fullmatch(r"[A-Z]+( [A-Z]+)*", p.target), p
    by_word = {p.source: p.target for p in pairs}
    assert by_word["cat"] == "K AE T"
    corpus = load_task("g2p", seed=2, size=500)
    assert (len(corpus.train), len(corpus.dev), len(corpus.test)) == (500, 1000, 2000)
    assert (tasks.get(corpus.task).source_kind, tasks.get(corpus.task).target_kind) == ("char", "word")
    full = load_task("g2p", seed=2)
    words = [{p.source for p in part} for part in (full.train, full.dev, full.test)]
    assert not (words[0] & words[1] or words[0] & words[2] or words[1] & words[2])


# ---------------------------------------------------------------- tsv


def test_tsv_rejects_bad_lines_with_line_numbers():
    data = (
        b"hello\tworld\n"
        b"no tab here\n"
        b"\tonly target\n"
        b"only source\t  \n"
        b"bad \xff\xfe utf8\tx\n"
        b"nul\x00byte\tx\n"
        b"a\tb\tc\n"
        b"\n"
        b"   \n" + b"x" * 1001 + b"\tlong\n"
        b"gr\xc3\xbc\xc3\x9fe\tgreetings\n"
    )
    pairs, rejected = read_tsv(data)
    assert [(p.source, p.target) for p in pairs] == [("hello", "world"), ("grüße", "greetings")]
    assert {r.line: r.reason for r in rejected} == {
        2: "no tab",
        3: "empty source",
        4: "empty target",
        5: "not UTF-8",
        6: "contains NUL byte",
        7: "more than one tab",
        10: "line longer than 1000 characters",
    }


def test_tsv_crlf_and_bom():
    pairs, rejected = read_tsv(b"\xef\xbb\xbfeins\tone\r\nzwei\ttwo\r\n")
    assert [(p.source, p.target) for p in pairs] == [("eins", "one"), ("zwei", "two")]
    assert rejected == []


def test_tsv_one_column_csv_is_no_tab_everywhere():
    with pytest.raises(DataError, match="line 1: no tab; line 2: no tab") as info:
        read_tsv(b"source,target\nhello,world\nfoo,bar\n")
    assert "\n" not in str(info.value)


def test_tsv_limits_and_empty_input():
    with pytest.raises(DataError, match="MB"):
        read_tsv(b"a\tb\n" * 100, max_bytes=100)
    with pytest.raises(DataError, match="No usable lines"):
        read_tsv(b"")
    pairs, rejected = read_tsv(b"a\tb\n" + b"y" * 11 + b"\tz\n", max_line_chars=10)
    assert len(pairs) == 1 and rejected[0].reason == "line longer than 10 characters"


def test_load_task_tsv(tmp_path):
    path = tmp_path / "pairs.tsv"
    lines = [f"src {i}\ttgt {i}" for i in range(30)] + ["broken"]
    path.write_bytes("\n".join(lines).encode())
    corpus = load_task("tsv", path=str(path), seed=1)
    assert corpus.accepted_lines == 30
    assert [(r.line, r.reason) for r in corpus.rejected] == [(31, "no tab")]
    assert (len(corpus.train), len(corpus.dev), len(corpus.test)) == (24, 3, 3)
    assert (tasks.get(corpus.task).source_kind, tasks.get(corpus.task).target_kind) == ("unigram", "unigram")
    with pytest.raises(DataError, match="path"):
        load_task("tsv")
    with pytest.raises(DataError, match="check the path"):
        load_task("tsv", path=str(tmp_path / "missing.tsv"))


def test_unknown_task_lists_the_options():
    with pytest.raises(DataError) as info:
        load_task("french")
    assert all(t.name in str(info.value) for t in tasks.all_tasks())


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
def test_tsv_in_utf16_or_utf32_names_the_encoding(encoding):
    """Saved as Windows' "Unicode" the file is text with NUL bytes between its letters, not binary."""
    data = "eins\tone\nzwei\ttwo\n".encode(encoding)
    wide = "UTF-32" if "32" in encoding else "UTF-16"
    with pytest.raises(DataError, match=f"looks like {wide} text: save it as UTF-8"):
        read_tsv(data)
    assert wide_encoding(b"eins\tone\n") is None
    assert wide_encoding(b"nul\x00byte\tx\n" * 5) is None  # one NUL is a bad line, not UTF-16
