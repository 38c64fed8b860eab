"""The grc-en task: verses and manual links read from the installed bible-alignments package."""

from __future__ import annotations

import json

import pytest

from attnviz import tasks
from attnviz.tasks import DataError, bible
from tests.conftest import require_or_skip

SOURCE = """id\taltId\ttext\tstrongs
n40001001001\tΒίβλος-1\tΒίβλος\tG0976
n40001001002\tγενέσεως-1\tγενέσεως\tG1078
n40001002001\tἈβραὰμ-1\tἈβραὰμ\tG0011
n40001002002\tἐγέννησεν-1\tἐγέννησεν\tG1080
n40001003001\tκαὶ-1\tκαὶ\tG2532
"""
TARGET = """id\tsource_verse\ttext\tskip_space_after\texclude\tid_range_end\tsource_verse_range_end
40001001001\t40001001\tThe\t\t\t\t
40001001002\t40001001\tbook\ty\t\t\t
40001001003\t40001001\t,\t\ty\t\t
40001001004\t40001001\tgenealogy\ty\t\t\t
40001001005\t40001001\t.\t\ty\t\t
40001002001\t40001002\tAbraham\t\t\t\t
40001002002\t40001002\tbegat\t\t\t\t
40001003001\t40001003\tand\t\t\t\t40001004
"""
RECORDS = [
    {"source": ["n40001001001"], "target": ["40001001001", "40001001002"], "meta": {"id": "40001001.001"}},
    {"source": ["n40001001002"], "target": ["40001001004"], "meta": {"id": "40001001.002"}},
    {"source": ["n40001002001", "n40001002002"], "target": ["40001002002"], "meta": {"id": "40001002.001"}},
    {"source": ["n40001003001"], "target": ["40001003001"], "meta": {"id": "40001003.001"}},
]


@pytest.fixture
def package(tmp_path, monkeypatch):
    paths = {"source": tmp_path / "s.tsv", "target": tmp_path / "t.tsv", "alignment": tmp_path / "a.json"}
    paths["source"].write_text(SOURCE, encoding="utf-8")
    paths["target"].write_text(TARGET, encoding="utf-8")
    paths["alignment"].write_text(json.dumps({"records": RECORDS}), encoding="utf-8")
    monkeypatch.setattr(bible, "data_paths", lambda: paths)
    return paths


def _links(pair):
    return {(pair.source[a:b], pair.target[c:d], sure) for a, b, c, d, sure in pair.links}


def test_verses_join_their_words_and_keep_every_manual_link_as_sure(package):
    first, second = bible.read_verses()  # the third verse's English spans two Greek verses: left out
    assert first.source == "Βίβλος γενέσεως" and first.target == "The book, genealogy."
    assert _links(first) == {
        ("Βίβλος", "The", True),
        ("Βίβλος", "book", True),
        ("γενέσεως", "genealogy", True),
    }
    assert _links(second) == {("Ἀβραὰμ", "begat", True), ("ἐγέννησεν", "begat", True)}


def test_long_verses_are_left_out(package, monkeypatch):
    monkeypatch.setattr(bible, "MAX_WORDS", 1)
    assert bible.read_verses() == []


def test_a_damaged_file_names_the_package_and_the_reinstall_command(package):
    package["alignment"].write_text("{not json", encoding="utf-8")
    with pytest.raises(DataError, match="bible-alignments.*pip install --no-deps bible-alignments"):
        bible.read_verses()


def test_without_the_package_the_task_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(bible, "data_paths", lambda: None)
    said = tasks.missing_data("grc-en")
    assert "bible-alignments" in said and bible.INSTALL in said
    with pytest.raises(DataError, match="pip install --no-deps bible-alignments==0.4.2"):
        tasks.load_task("grc-en")


def test_the_installed_package_gives_the_new_testament_with_gold():
    require_or_skip(bible.data_paths() is not None, f"the Python package {bible.PACKAGE} is not installed")
    corpus = tasks.load_task("grc-en")
    assert (len(corpus.dev), len(corpus.test)) == (300, 500) and 6500 < len(corpus.train) < 7500
    assert all(p.links for p in corpus.test)
    john = next(p for p in bible.read_verses() if p.source.startswith("Ἐν ἀρχῇ ἦν ὁ λόγος"))
    assert ("λόγος", "Word", True) in _links(john) and ("ἀρχῇ", "beginning", True) in _links(john)
    assert tasks.load_task("grc-en").test == corpus.test  # the same seed, the same split
