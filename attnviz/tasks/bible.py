"""grc-en: Koine Greek -> English verses of the New Testament with human word alignments (PyPI
`bible-alignments`: the SBL Greek New Testament, the Berean Standard Bible and Biblica's manual alignment
of the two, CC BY 4.0; read where the package installs it, never copied into this repository).

A verse is one pair. The Greek has no punctuation; the English keeps its own, unaligned. Every manual
link is sure (the alignment marks no "possible" links): a record links each of its Greek words to each
of its English words. Verses longer than MAX_WORDS words on either side are left out, and so are the
few whose English spans two Greek verses.
"""

from __future__ import annotations

import csv
import functools
import importlib.metadata
import json
import os
import unicodedata
from collections import defaultdict
from pathlib import Path

from attnviz.i18n import N_, _
from attnviz.tasks.base import Corpus, DataError, Pair, SpanLink, Task, split

PACKAGE = "bible-alignments"
INSTALL = "pip install --no-deps bible-alignments==0.4.2"  # its declared dependencies are not needed
FILES = {
    "source": "data/sources/SBLGNT.tsv",
    "target": "data/eng/targets/BSB/nt_BSB.tsv",
    "alignment": "data/eng/alignments/BSB/SBLGNT-BSB-manual.json",
}
MAX_WORDS = 40  # a verse's words on either side; longer verses are rare and make long, slow batches


def data_paths() -> dict[str, Path] | None:
    """Where the installed package keeps its three files, or None when it is not installed (or lacks one)."""
    try:
        dist = importlib.metadata.distribution(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return None
    paths = {key: Path(str(dist.locate_file(name))) for key, name in FILES.items()}
    return paths if all(p.is_file() for p in paths.values()) else None


def missing() -> str | None:
    if data_paths() is not None:
        return None
    return _(
        "The Greek-English verses are not installed (Python package {package}): install them with "
        "`{command}`, then choose the task again."
    ).format(package=PACKAGE, command=INSTALL)


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def _verse_text(words: list[tuple[str, str, bool]]) -> tuple[str, dict[str, tuple[int, int]]]:
    """Words (id, text, space after) joined into a verse, with each id's character span."""
    text, spans = "", {}
    for word_id, word, space in words:
        spans[word_id] = (len(text), len(text) + len(word))
        text += word + (" " if space else "")
    return text.rstrip(), spans


@functools.lru_cache(maxsize=2)
def _read_cached(source: str, target: str, alignment: str, stamp: tuple[float, ...]) -> tuple[Pair, ...]:
    greek: dict[str, list[tuple[str, str, bool]]] = defaultdict(list)
    for row in _rows(Path(source)):
        word = unicodedata.normalize("NFC", row["text"])
        greek[row["id"][1:9]].append((row["id"], word, True))
    english: dict[str, list[tuple[str, str, bool]]] = defaultdict(list)
    spanning = set()
    for row in _rows(Path(target)):
        english[row["source_verse"]].append((row["id"], row["text"], not row["skip_space_after"]))
        if row["source_verse_range_end"] or row["id_range_end"]:
            spanning.add(row["source_verse"])
    links: dict[str, list[tuple[list[str], list[str]]]] = defaultdict(list)
    with open(alignment, encoding="utf-8") as f:
        for record in json.load(f)["records"]:
            links[record["meta"]["id"].split(".")[0]].append((record["source"], record["target"]))
    pairs = []
    for verse, words in greek.items():
        if verse in spanning or verse not in english or verse not in links:
            continue
        if len(words) > MAX_WORDS or len(english[verse]) > MAX_WORDS + 10:  # + its punctuation
            continue
        src, src_spans = _verse_text(words)
        tgt, tgt_spans = _verse_text(english[verse])
        found: set[SpanLink] = set()
        for sources, targets in links[verse]:
            for s in sources:
                for t in targets:
                    if s in src_spans and t in tgt_spans:
                        found.add((*src_spans[s], *tgt_spans[t], True))
        pairs.append(Pair(src, tgt, tuple(sorted(found))))
    return tuple(pairs)


def read_verses() -> list[Pair]:
    """Every verse pair the package holds (within MAX_WORDS), in canonical order, with its gold links."""
    paths = data_paths()
    if paths is None:
        raise DataError(missing() or PACKAGE)
    try:
        stamp = tuple(os.stat(p).st_mtime for p in paths.values())
        return list(_read_cached(*(str(p) for p in paths.values()), stamp))
    except (OSError, KeyError, ValueError, UnicodeDecodeError) as e:
        said = _(
            "The files of the Python package {package} are damaged ({error}): reinstall it with `{command}`."
        )
        raise DataError(said.format(package=PACKAGE, error=e, command=INSTALL)) from e


def load(seed: int, path: str | None, size: int | None) -> Corpus:
    train, dev, test = split(read_verses(), test=500, dev=300, seed=seed)
    return Corpus("grc-en", train[:size], dev, test)


TASK = Task(
    name="grc-en",
    title=N_("Greek→English (New Testament)"),
    use=N_("translates verses of the Greek New Testament into English"),
    data=N_(
        "the verses of the SBL Greek New Testament and the Berean Standard Bible, with Biblica's manual word "
        "alignment of the two (PyPI package bible-alignments, CC BY 4.0)"
    ),
    load=load,
    examples=(
        "Ἐν ἀρχῇ ἦν ὁ λόγος",
        "καὶ εἶπεν αὐτοῖς ὁ Ἰησοῦς",
        "ἐγώ εἰμι τὸ φῶς τοῦ κόσμου",
        "Μακάριοι οἱ πτωχοὶ τῷ πνεύματι",
    ),
    gold=N_("made by hand: Biblica's alignment of the SBLGNT and the BSB, every link sure"),
    script="Greek",
    missing=missing,
)
