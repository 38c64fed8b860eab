"""What every task is made of: the Task record, a corpus of sentence pairs and its split.

Gold links are character spans marked sure or possible, after Och & Ney (2003), "S/P" alignments.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from attnviz.i18n import ngettext

SpanLink = tuple[int, int, int, int, bool]  # (src_start, src_end, tgt_start, tgt_end, sure)


class DataError(Exception):
    """A user-facing problem with data (missing file, bad upload).

    str() is a one-line message that says what to do.
    """


@dataclass(frozen=True)
class Pair:
    """One source sentence and its target."""

    source: str
    target: str
    # Gold alignment at the character level, or None where unknown: each link is
    # (src_start, src_end, tgt_start, tgt_end, sure) with character offsets into source/target
    # (end exclusive). sure=False marks a "possible" link (Och & Ney 2003 S/P links).
    links: tuple[SpanLink, ...] | None = None


@dataclass(frozen=True)
class Rejected:
    line: int  # 1-based line number in the file
    reason: str  # short human reason, e.g. "no tab", "not UTF-8"


@dataclass(frozen=True)
class Corpus:
    task: str
    train: tuple[Pair, ...]
    dev: tuple[Pair, ...]
    test: tuple[Pair, ...]
    rejected: tuple[Rejected, ...] = ()
    accepted_lines: int = 0  # for a file of the user's own: how many lines were accepted


# A loader: (seed of the split and of any generation, path of the data file or None, size or None) ->
# Corpus; `size` sets the synthetic count or caps the training pairs.
Loader = Callable[[int, "str | None", "int | None"], Corpus]


def _available() -> str | None:
    return None


@dataclass(frozen=True)
class Task:
    """Everything attnviz knows about one task, in one place: the registry (attnviz.tasks) holds one per
    module of this package, and the rest of the code reads tasks only through it."""

    name: str  # as in config.json, the CLI's --task and the URL
    title: str  # for a picker: "German→English"
    use: str  # what a model of it does, for the first line of its card ("translates German ...")
    data: str  # where its pairs come from
    load: Loader
    source_kind: str = "unigram"  # tokenizer model types (tokenizer.py); a config may override them
    target_kind: str = "unigram"
    metric: str = "bleu"  # what the dev set is judged by while training: "bleu" or "exact_match"
    extra_metrics: tuple[str, ...] = ()  # more test metrics (attnviz.evaluate.MEASURES names)
    examples: tuple[str, ...] = ()  # inputs for the app's example picker, everyday cases first
    defaults: Mapping[str, Any] = field(default_factory=dict)  # TrainConfig settings unless told otherwise
    gold: str | None = None  # what its gold alignments are, where its pairs carry them
    caseless: bool = False  # case carries no meaning for it: input is case-folded before the model
    script: str | None = None  # the one script every training source is written in (checks.py)
    domain: tuple[str, Callable[[str], bool]] | None = None  # (what input must be, the test)
    # The words of a sentence outside the task's fixed lexicon (checks.py): for a generated task whose
    # pieces are syllables, where an unseen word of seen syllables is no <unk> and would pass unnoticed.
    unknown_words: Callable[[str], tuple[str, ...]] | None = None
    from_file: bool = False  # the pairs are the user's own file (data_path), not built in
    missing: Callable[[], str | None] = _available  # why it cannot be trained here, or None


def split(
    pairs: Sequence[Pair], *, test: int, dev: int, seed: int
) -> tuple[tuple[Pair, ...], tuple[Pair, ...], tuple[Pair, ...]]:
    """A seeded shuffle cut into (train, dev, test); the same seed always gives the same cut."""
    if len(pairs) <= test + dev:
        said = ngettext(
            "Only {n} pair: need more than {needed} to hold out {dev} for dev and {test} for test and still "
            "train.",
            "Only {n} pairs: need more than {needed} to hold out {dev} for dev and {test} for test and still "
            "train.",
            len(pairs),
        )
        raise DataError(said.format(n=len(pairs), needed=test + dev, dev=dev, test=test))
    shuffled = list(pairs)
    random.Random(seed).shuffle(shuffled)
    return tuple(shuffled[test + dev :]), tuple(shuffled[test : test + dev]), tuple(shuffled[:test])


def held_out(n: int, cap: int) -> int:
    """10% of n, at least 1 and at most cap: small corpora still get a dev and a test set."""
    return max(1, min(cap, n // 10))


def generated(name: str, generate: Callable[[int, int], list[Pair]], seed: int, size: int | None) -> Corpus:
    """A synthetic task's corpus: `size` pairs (20,000 unless set) from generate(n, seed), 10% of them
    (at most 1,000) held out for test and 5% (at most 500) for dev."""
    n = 20_000 if size is None else size
    train, dev, test = split(generate(n, seed), test=held_out(n, 1000), dev=held_out(n // 2, 500), seed=seed)
    return Corpus(name, train, dev, test)
