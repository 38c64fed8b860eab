"""The test split one sentence at a time: how good each translation is, how cleanly its attention aligns,
and where the attention covers the source badly - the rows of the Corpus explorer, worst first.

Coverage follows the NMT coverage literature (Tu et al. 2016): the total attention a source piece gets
over all decoder steps is about 1 when each piece is translated once; a piece no step attends to may have
been dropped, and one attended far more than once may have been translated twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from attnviz import align, explain, metrics, search, tasks
from attnviz.bundle import Bundle
from attnviz.evaluate import GoldSplit
from attnviz.tasks import Pair
from attnviz.trace import Trace

# Coverage of source piece i: the sum of its weights over all steps (explain.coverage).
UNATTENDED = 0.1  # coverage under this: never attended
OVERATTENDED = 3.0  # coverage over this: attended far more than once (a word may have 2 or 3 translations)


@dataclass(frozen=True)
class Row:
    """One test sentence: its translation, its scores and its attention's coverage."""

    index: int  # 1-based, its place in the test split
    source: str
    reference: str
    output: str
    score: float  # sentence BLEU, or 100/0 exact match for a task judged by exact match
    chrf: float
    aer: float | None  # the attention's AER against gold (the decoder fed the reference); None: no gold
    entropy: float  # mean attention entropy per step of the model's own decoding, in bits
    unattended: tuple[str, ...]  # source pieces never attended (UNATTENDED)
    overattended: tuple[str, ...]  # source pieces attended far more than once (OVERATTENDED)


def flags(trace: Trace) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The source pieces never attended and those attended far more than once (explain.coverage: the
    total over all steps, as the Translate page draws it), as labels in order; each label carries its
    1-based position ("Haus@3"), so that a repeated piece is told apart."""
    if trace.weights.size == 0:
        return (), ()
    total = explain.coverage(trace)
    pieces = trace.source_pieces
    never = tuple(f"{p}@{i + 1}" for i, p in enumerate(pieces) if total[i] < UNATTENDED)
    again = tuple(f"{p}@{i + 1}" for i, p in enumerate(pieces) if total[i] > OVERATTENDED)
    return never, again


def rows(bundle: Bundle, pairs: Sequence[Pair], gold: GoldSplit | None = None, beam: int = 1) -> list[Row]:
    """A Row for each test pair, decoded with `beam`; `gold` (evaluate.gold_split) gives the AER of each
    pair that has gold links."""
    task = tasks.find(bundle.train_config.task) if bundle.train_config else None
    exact = task is not None and task.metric == "exact_match"
    traces = search.translate_batch(bundle, [p.source for p in pairs], beam=beam)
    aers: dict[tuple[str, str], float] = {}
    if gold is not None:
        how = align.Extraction()
        for i, p in enumerate(gold.pairs):
            found = metrics.alignment_scores([gold.attention(how, i)], [gold.sure[i]], [gold.possible[i]])
            aers[(p.source, p.target)] = found["aer"]
    out = []
    for k, (pair, trace) in enumerate(zip(pairs, traces, strict=True), 1):
        hyp = trace.translation
        score = (
            100.0 * (hyp.strip() == pair.target.strip()) if exact else metrics.sentence_bleu(hyp, pair.target)
        )
        never, again = flags(trace)
        out.append(
            Row(
                index=k,
                source=pair.source,
                reference=pair.target,
                output=hyp,
                score=score,
                chrf=metrics.sentence_chrf(hyp, pair.target),
                aer=aers.get((pair.source, pair.target)),
                entropy=float(explain.entropy(trace).mean()) if trace.weights.size else 0.0,
                unattended=never,
                overattended=again,
            )
        )
    return out
