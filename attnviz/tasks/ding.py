"""de-en: German -> English example sentences of the Ding dictionary (Debian package trans-de-en)."""

from __future__ import annotations

import functools
import os
import re

from attnviz.i18n import N_, _
from attnviz.tasks.base import Corpus, DataError, Pair, Task, split

DING_PATH = "/usr/share/trans/de-en"
_MARKUP = re.compile(r"\{[^}]*\}|\[[^\]]*\]")
_SPACE_BEFORE_PUNCT = re.compile(r" ([.!?,])")
_SENTENCE_END = (".", "!", "?")
_HAS_END = re.compile(r"[.!?]")


def _is_sentence(text: str) -> bool:
    return (
        text[:1].isupper()
        and text.endswith(_SENTENCE_END)
        and 3 <= len(text.split()) <= 25
        and " / " not in text
        and "..." not in text
        and "…" not in text
    )


def _variants(sub_entry: str) -> list[str]:
    variants = [" ".join(v.split()) for v in _MARKUP.sub(" ", sub_entry).split("; ")]
    # Markup before the full stop ("gesagt [ugs.].") would leave "gesagt ." behind.
    return [_SPACE_BEFORE_PUNCT.sub(r"\1", v) for v in variants]


@functools.lru_cache(maxsize=4)
def _read_ding_cached(path: str, mtime: float) -> tuple[Pair, ...]:
    pairs: dict[str, Pair] = {}  # keyed by German: keep the first English for each source
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("#") or " :: " not in line:
                continue
            de_side, en_side = line.rstrip("\n").split(" :: ", 1)
            de_subs, en_subs = de_side.split(" | "), en_side.split(" | ")
            if len(de_subs) != len(en_subs):  # sub-entries no longer line up one to one
                continue
            for de_sub, en_sub in zip(de_subs, en_subs, strict=True):
                if not (_HAS_END.search(de_sub) and _HAS_END.search(en_sub)):
                    continue  # most entries are single words: skip them before any regex work
                de, en = _variants(de_sub), _variants(en_sub)
                if len(de) != len(en):
                    de, en = de[:1], en[:1]
                for source, target in zip(de, en, strict=True):
                    target = target.replace("\u2019", "'")
                    if _is_sentence(source) and _is_sentence(target):
                        pairs.setdefault(source, Pair(source, target))
    return tuple(pairs.values())


def read_ding(path: str) -> list[Pair]:
    """German->English example sentences from a Ding dictionary file (`de | de :: en | en`)."""
    try:
        mtime = os.stat(path).st_mtime
        return list(_read_ding_cached(path, mtime))
    except OSError as e:
        said = _(
            "German-English sentences not found at {path}: install them with `apt-get install trans-de-en`"
        )
        raise DataError(said.format(path=path)) from e


def missing() -> str | None:
    if os.path.isfile(DING_PATH):
        return None
    return _(
        "The German-English sentences are not installed ({path} is missing): install them with "
        "`sudo apt-get install trans-de-en`, then choose the task again."
    ).format(path=DING_PATH)


def load(seed: int, path: str | None, size: int | None) -> Corpus:
    train, dev, test = split(read_ding(path or DING_PATH), test=1000, dev=500, seed=seed)
    return Corpus("de-en", train[:size], dev, test)


TASK = Task(
    name="de-en",
    title=N_("German→English"),
    use=N_("translates German sentences into English"),
    data=N_("German -> English example sentences of the Ding dictionary (Debian package trans-de-en)"),
    load=load,
    examples=(
        "Ich habe keine Zeit.",
        "Das Wetter ist heute schön.",
        "Wo ist der Bahnhof?",
        "Er hat das Buch gestern gelesen.",
    ),
    script="Latin",
    missing=missing,
)
