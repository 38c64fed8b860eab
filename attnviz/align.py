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

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

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
        raise ValueError(f"not a line of text: {str(line)[:40]!r}")
    links = set()
    for item in line.split():
        s, dash, t = item.partition("-")
        if not dash or not (s + t).isascii() or not s.isdigit() or not t.isdigit() or len(s + t) > 12:
            raise ValueError(f"{item[:40]!r} is not source-target, two whole numbers")
        links.add((int(t), int(s)))
    return frozenset(links)
