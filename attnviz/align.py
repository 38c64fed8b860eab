"""Word alignments two ways: read off a model's attention, and from statistical aligners trained on the
same corpus - eflomal (Östling & Tiedemann 2016), fast_align (Dyer et al. 2013) and HMM (Vogel et al.
1996), all three from Thot (PyPI `sil-thot`), each run in both directions and symmetrised with
grow-diag-final-and (Koehn et al. 2005).

Everything works on the model's own pieces, so that attention, aligners and gold (projected onto the
pieces by metrics.project_links) are scored on the same units. Links are (t, s) = (target position,
source position), as everywhere in attnviz. The aligners are unsupervised: they see sentence pairs and
no links, so they may read the test pairs too, as is usual for them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from attnviz.i18n import _
from attnviz.metrics import PieceLink

Links = frozenset[PieceLink]
Pieces = Sequence[str]

RULES = ("argmax", "threshold")
ALIGNERS = ("eflomal", "fast_align", "hmm")


@dataclass(frozen=True)
class Extraction:
    """How links are read off an attention map.

    rule "argmax": each target piece links to its most-attended source piece; "threshold": to every
    source piece whose weight is at least `threshold`. shift=True reads target piece t's links from the
    attention of the step after it (t + 1): Koehn & Knowles (2017) found attention often one word off
    in that direction, the decoder attending to what it needs for the next word.
    """

    rule: str = "argmax"
    threshold: float = 0.3
    shift: bool = False

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ValueError(f"rule must be one of {RULES}, got {self.rule!r}")
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {self.threshold}")


def from_attention(weights: np.ndarray, targets: int, how: Extraction = Extraction()) -> Links:
    """Links from one attention map: weights (steps, S), one row per decoder step, at least `targets`
    rows (`targets` + 1 with shift, the last being the step that emits </s>); the links cover target
    pieces 0 .. targets-1."""
    rows = weights[1:] if how.shift else weights
    if weights.ndim != 2 or len(rows) < targets:
        raise ValueError(f"{targets} target pieces need more attention rows than shape {weights.shape}")
    rows = rows[:targets]
    if how.rule == "argmax":
        return frozenset((t, int(s)) for t, s in enumerate(rows.argmax(axis=1)))
    ts, ss = np.nonzero(rows >= how.threshold)
    return frozenset(zip(ts.tolist(), ss.tolist(), strict=True))


def word_spans(text: str) -> list[tuple[int, int]]:
    """The character span of each whitespace-separated word of `text`: the units a word-level alignment
    (and a Pharaoh file of another toolkit, for untokenised text) counts."""
    return [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]


def piece_words(pieces: Sequence[tuple[int, int]], words: Sequence[tuple[int, int]]) -> list[int | None]:
    """For each piece span, the index of the word it lies in (None for a piece of whitespace only)."""
    out: list[int | None] = []
    for start, end in pieces:
        out.append(next((w for w, (a, b) in enumerate(words) if start < b and a < end), None))
    return out


def to_words(links: Links, src_words: Sequence[int | None], tgt_words: Sequence[int | None]) -> Links:
    """Piece links merged to word links: words t and s are linked when any of their pieces are."""
    return frozenset(
        (tgt_words[t], src_words[s])
        for t, s in links
        if t < len(tgt_words) and s < len(src_words) and tgt_words[t] is not None and src_words[s] is not None
    )


def aligner_words(tokens: Pieces) -> list[str]:
    """The pieces as whitespace-free words for an aligner (a character tokenizer has a space piece)."""
    return ["".join(c if not c.isspace() else f"<{ord(c):x}>" for c in p) or "<empty>" for p in tokens]


def statistical(
    name: str, pairs: Sequence[tuple[Pieces, Pieces]], seed: int = 1, iterations: int = 5
) -> list[Links]:
    """Aligner `name`'s links for each (source pieces, target pieces) pair, trained on these pairs in both
    directions and symmetrised with grow-diag-final-and (Thot's SymmetrizedAligner).

    "eflomal" is Thot's implementation of eflomal (Bayesian IBM 1 -> HMM -> fertility, its own
    corpus-scaled schedule), seeded and deterministic, so the same pairs give the same links: PyPI's
    eflomal 2.0.0 seeds its sampler from /dev/urandom with no way to set it (bench/eflomal_check.py
    measures how much its links vary). "fast_align" runs `iterations` rounds; "hmm" `iterations` of
    IBM 1, then `iterations` of the HMM.
    """
    import thot.alignment as ta

    if name not in ALIGNERS:
        raise ValueError(f"unknown aligner {name!r}; one of {ALIGNERS}")

    def trained(swap: bool) -> ta.AlignmentModel:
        if name == "eflomal":
            model = ta.EflomalAlignmentModel()
            model.seed = seed
            model.deterministic = True
            models, rounds = [model], None  # None: eflomal's own schedule
        elif name == "fast_align":
            models, rounds = [ta.FastAlignModel()], iterations
        else:
            ibm1 = ta.Ibm1AlignmentModel()
            models, rounds = [ibm1, ta.HmmAlignmentModel(ibm1)], iterations
        for s, t in pairs:
            a, b = (t, s) if swap else (s, t)
            models[-1].add_sentence_pair(aligner_words(a), aligner_words(b), 1)
        for model in models:
            model.start_training()
            for _ in range(model.scheduled_iterations if rounds is None else rounds):
                model.train()
            model.end_training()
        return models[-1]

    aligner = ta.SymmetrizedAligner(trained(False), trained(True))
    aligner.heuristic = ta.SymmetrizationHeuristic.GROW_DIAG_FINAL_AND
    out = []
    for s, t in pairs:
        _, matrix = aligner.get_best_alignment(aligner_words(s), aligner_words(t))
        ss, ts = np.nonzero(np.asarray(matrix.to_numpy()))  # (source, target), nonzero where linked
        out.append(frozenset(zip(ts.tolist(), ss.tolist(), strict=True)))
    return out


def parse_pharaoh(line: object) -> Links:
    """One Pharaoh line, "s-t s-t ..." (source position first, 0-based), as (t, s) links. Raises
    ValueError naming the first item that is not such a pair."""
    if not isinstance(line, str):
        raise ValueError(_("not a line of text: {line}").format(line=repr(str(line)[:40])))
    links = set()
    for item in line.split():
        s, dash, t = item.partition("-")
        if not dash or not (s + t).isascii() or not s.isdigit() or not t.isdigit() or len(s + t) > 12:
            raise ValueError(_("{item} is not source-target, two whole numbers").format(item=repr(item[:40])))
        links.add((int(t), int(s)))
    return frozenset(links)


MAX_UPLOAD_BYTES = 20 * 1024 * 1024
UPLOAD_KINDS = {".json": "matrices", ".csv": "matrices"}  # any other name: Pharaoh lines


class UploadError(ValueError):
    """An uploaded alignment that cannot be read; str() names the line (or sentence) and what is wrong."""


def read_upload(data: bytes, name: str, shapes: Sequence[tuple[int, int]], how: Extraction) -> list[Links]:
    """An alignment of the test sentences from another tool, as links per sentence: a Pharaoh file (one
    "s-t s-t ..." line per sentence, 0-based positions), or attention matrices - JSON, a list with one
    [[row of source weights] per target unit] per sentence; or CSV with the header
    sentence,target,source,weight (sentence from 1, positions from 0) - read with `how`'s rule (a file's
    rows are taken as given: `how.shift` does not apply). shapes[i] = (target units, source units) of
    sentence i, the units the file counts. Raises UploadError naming the first bad line."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(
            _("the file has {n:,} bytes; at most {most:,} are read").format(
                n=len(data), most=MAX_UPLOAD_BYTES
            )
        )
    if b"\x00" in data[:8192]:
        raise UploadError(_("the file is not text (it holds NUL bytes): upload a Pharaoh, JSON or CSV file"))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise UploadError(_("line {line}: not UTF-8 text").format(line=line)) from err
    kind = next((k for ext, k in UPLOAD_KINDS.items() if name.lower().endswith(ext)), "pharaoh")
    if kind == "pharaoh":
        return _pharaoh_file(text, shapes)
    matrices = _json_matrices(text, shapes) if name.lower().endswith(".json") else _csv_matrices(text, shapes)
    return [from_attention(m, len(m), Extraction(how.rule, how.threshold)) for m in matrices]


def _count(lines: int, shapes: Sequence[tuple[int, int]], what: str) -> None:
    """`what`: the message, with {found} and {n}."""
    if lines != len(shapes):
        raise UploadError(what.format(found=lines, n=len(shapes)))


def _pharaoh_file(text: str, shapes: Sequence[tuple[int, int]]) -> list[Links]:
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    _count(len(lines), shapes, _("the file has {found} lines; the test split has {n} sentences"))
    out = []
    for k, (line, (targets, sources)) in enumerate(zip(lines, shapes, strict=True), 1):
        try:
            links = parse_pharaoh(line)
        except ValueError as err:
            raise UploadError(_("line {line}: {error}").format(line=k, error=err)) from err
        for t, s in sorted(links):
            if s >= sources or t >= targets:
                raise UploadError(
                    _(
                        "line {line}: link {s}-{t} is outside the sentence ({sources} source and {targets} "
                        "target units, counted from 0)"
                    ).format(line=k, s=s, t=t, sources=sources, targets=targets)
                )
        out.append(links)
    return out


def _checked(matrix: object, k: int, shape: tuple[int, int]) -> np.ndarray:
    try:
        m = np.asarray(matrix, dtype=float)
    except (TypeError, ValueError) as err:
        raise UploadError(_("sentence {k}: not a matrix of numbers").format(k=k)) from err
    if m.shape != shape:
        raise UploadError(
            _(
                "sentence {k}: {rows} x {columns}, but the sentence has {targets} target and {sources} "
                "source units (rows x columns)"
            ).format(
                k=k,
                rows=m.shape[0] if m.ndim else 0,
                columns=m.shape[1] if m.ndim == 2 else "?",
                targets=shape[0],
                sources=shape[1],
            )
        )
    if not np.isfinite(m).all() or (m < 0).any():
        raise UploadError(_("sentence {k}: weights must be finite and not negative").format(k=k))
    return m


def _json_matrices(text: str, shapes: Sequence[tuple[int, int]]) -> list[np.ndarray]:
    import json

    try:
        found = json.loads(text)
    except json.JSONDecodeError as err:
        raise UploadError(
            _("line {line}: not JSON ({error})").format(line=err.lineno, error=err.msg)
        ) from err
    if isinstance(found, dict):
        found = found.get("matrices", found.get("attention"))
    if not isinstance(found, list):
        raise UploadError(
            _('expected a list of matrices (or {{"matrices": [...]}}), one per sentence').format()
        )
    _count(len(found), shapes, _("the file has {found} matrices; the test split has {n} sentences"))
    return [_checked(m, k, shape) for k, (m, shape) in enumerate(zip(found, shapes, strict=True), 1)]


def _csv_matrices(text: str, shapes: Sequence[tuple[int, int]]) -> list[np.ndarray]:
    import csv

    rows = csv.reader(text.splitlines())
    header = [h.strip().lower() for h in next(rows, [])]
    if header != ["sentence", "target", "source", "weight"]:
        raise UploadError(_("line 1: the header must be sentence,target,source,weight"))
    matrices = [np.zeros(shape) for shape in shapes]
    for k, row in enumerate(rows, 2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != 4:
            raise UploadError(
                _("line {line}: {n} cells, not 4 (sentence,target,source,weight)").format(line=k, n=len(row))
            )
        try:
            i, t, s, w = int(row[0]), int(row[1]), int(row[2]), float(row[3])
        except ValueError as err:
            raise UploadError(
                _("line {line}: {row} is not three whole numbers and a weight").format(
                    line=k, row=",".join(row)[:60]
                )
            ) from err
        if not 1 <= i <= len(shapes):
            raise UploadError(
                _("line {line}: sentence {i}, but the test split has sentences 1 to {n}").format(
                    line=k, i=i, n=len(shapes)
                )
            )
        targets, sources = shapes[i - 1]
        if not (0 <= t < targets and 0 <= s < sources):
            raise UploadError(
                _(
                    "line {line}: position target {t}, source {s} is outside sentence {i} ({targets} target "
                    "and {sources} source units, counted from 0)"
                ).format(line=k, t=t, s=s, i=i, targets=targets, sources=sources)
            )
        if not np.isfinite(w) or w < 0:
            raise UploadError(
                _("line {line}: weight {w} must be finite and not negative").format(line=k, w=w)
            )
        matrices[i - 1][t, s] = w
    return matrices
