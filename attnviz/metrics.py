"""Translation and alignment metrics: BLEU (Papineni et al. 2002) and chrF (Popovic 2015) via
sacrebleu, exact match, phoneme error rate, and attention-vs-gold alignment (AER, Och & Ney 2003).

Pure functions over strings and numpy arrays; alignment pairs are always (t, s) = (target, source).
"""

from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet

import numpy as np
import sacrebleu

# Source length in whitespace words; (name, lowest, highest), both ends inclusive.
LENGTH_BUCKETS: tuple[tuple[str, int, int], ...] = (
    ("<=5", 0, 5),
    ("6-10", 6, 10),
    ("11-15", 11, 15),
    ("16-20", 16, 20),
    (">20", 21, 10**9),
)

# Fewer sentences than this get no bootstrap interval: resampling one sentence gives [x, x], which
# would look certain when it says nothing.
MIN_INTERVAL_SENTENCES = 10

Pair = tuple[int, int]  # (t, s): target position, source position


def _check_parallel(hypotheses: Sequence, references: Sequence) -> None:
    # A silent zip() over corpora of different sizes would score the wrong sentence pairs.
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} references")
    if not hypotheses:
        raise ValueError("nothing to score: the corpus is empty")


def bleu(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Corpus BLEU (0-100) on detokenized text with sacrebleu's default 13a tokenizer.

    A corpus with no 4-grams at all (e.g. only 1-3 word outputs) scores 0 even when identical.
    """
    _check_parallel(hypotheses, references)
    return float(sacrebleu.corpus_bleu(list(hypotheses), [list(references)]).score)


def chrf(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Corpus chrF (0-100), character n-gram F-score; kinder than BLEU to short outputs."""
    _check_parallel(hypotheses, references)
    return float(sacrebleu.corpus_chrf(list(hypotheses), [list(references)]).score)


def exact_match(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Percent (0-100) of hypotheses equal to their reference after stripping outer whitespace."""
    _check_parallel(hypotheses, references)
    hits = sum(h.strip() == r.strip() for h, r in zip(hypotheses, references, strict=True))
    return 100.0 * hits / len(hypotheses)


def word_accuracy(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Percent of words transcribed exactly (grapheme-to-phoneme word accuracy = exact match)."""
    return exact_match(hypotheses, references)


def _resampled_bleu(
    systems: Sequence[Sequence[str]], references: Sequence[str], resamples: int, seed: int
) -> np.ndarray:
    """(systems, resamples) corpus BLEU of each system on the same bootstrap resamples of the sentences.

    Uses sacrebleu's per-sentence statistics, the same two calls its own bootstrap
    (sacrebleu.significance) makes, so each resample is scored exactly as `bleu` scores a corpus.
    """
    for hypotheses in systems:
        _check_parallel(hypotheses, references)
    metric = sacrebleu.metrics.BLEU()
    picks = np.random.default_rng(seed).integers(0, len(references), size=(resamples, len(references)))
    scores = []
    for hypotheses in systems:
        sentences = metric._extract_corpus_statistics(list(hypotheses), [list(references)])
        stats = np.asarray(sentences, dtype=float)  # (sentences, matches and totals per n-gram order, ...)
        scores.append([metric._compute_score_from_stats(stats[rows].sum(axis=0)).score for rows in picks])
    return np.asarray(scores)


def bleu_interval(
    hypotheses: Sequence[str], references: Sequence[str], *, resamples: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """A 95% bootstrap interval for corpus BLEU (Koehn 2004): resample the sentences with replacement,
    rescore, take the 2.5th and 97.5th percentiles. Seeded, so `attnviz evaluate` reproduces it."""
    low, high = np.percentile(_resampled_bleu([hypotheses], references, resamples, seed)[0], [2.5, 97.5])
    return float(low), float(high)


def bleu_gap_interval(
    first: Sequence[str],
    second: Sequence[str],
    references: Sequence[str],
    *,
    resamples: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """A 95% paired bootstrap interval for BLEU(first) - BLEU(second) on the same sentences: both
    systems are rescored on the same resamples, so what the sentences share cancels (Koehn 2004). An
    interval above 0 says the first system is better on this test set."""
    first_scores, second_scores = _resampled_bleu([first, second], references, resamples, seed)
    low, high = np.percentile(first_scores - second_scores, [2.5, 97.5])
    return float(low), float(high)


def length_buckets(sources: Sequence[str]) -> dict[str, list[int]]:
    """The positions of the sources in each LENGTH_BUCKETS bucket (source length in whitespace words)."""
    return {
        name: [i for i, src in enumerate(sources) if low <= len(src.split()) <= high]
        for name, low, high in LENGTH_BUCKETS
    }


def bleu_by_length(
    sources: Sequence[str], hypotheses: Sequence[str], references: Sequence[str]
) -> dict[str, dict[str, float | int | list[float] | None]]:
    """BLEU and chrF per source-length bucket, to show where attention helps long sentences.

    Returns {bucket: {"bleu": .., "bleu_ci": [low, high], "chrf": .., "n": count}} for every bucket in
    LENGTH_BUCKETS (bleu_ci: see bleu_interval; None under MIN_INTERVAL_SENTENCES sentences); an empty
    bucket has n=0 and None for the scores (JSON-friendly, unlike nan).
    """
    _check_parallel(hypotheses, references)
    _check_parallel(sources, references)
    result: dict[str, dict[str, float | int | list[float] | None]] = {}
    for name, idx in length_buckets(sources).items():
        hyps = [hypotheses[i] for i in idx]
        refs = [references[i] for i in idx]
        result[name] = {
            "bleu": bleu(hyps, refs) if idx else None,
            "bleu_ci": list(bleu_interval(hyps, refs)) if len(idx) >= MIN_INTERVAL_SENTENCES else None,
            "chrf": chrf(hyps, refs) if idx else None,
            "n": len(idx),
        }
    return result


def edit_distance(a: Sequence, b: Sequence) -> int:
    """Levenshtein distance: fewest insertions, deletions and substitutions turning a into b."""
    previous = list(range(len(b) + 1))  # distance from a[:0] to every prefix of b
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def phoneme_error_rate(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Percent: total edit distance over space-separated phonemes / total reference phonemes."""
    _check_parallel(hypotheses, references)
    errors = sum(edit_distance(h.split(), r.split()) for h, r in zip(hypotheses, references, strict=True))
    total = sum(len(r.split()) for r in references)
    if total == 0:
        raise ValueError("nothing to score: the references have no phonemes")
    return 100.0 * errors / total


def _overlaps(piece: tuple[int, int], start: int, end: int) -> bool:
    # Half-open spans; an empty span (e.g. a sentencepiece "▁" with no characters) overlaps nothing,
    # which the bare interval test would get wrong for an empty span strictly inside another.
    lo, hi = piece
    return lo < hi and start < end and lo < end and start < hi


def project_links(
    links: Iterable[tuple[int, int, int, int, bool]],
    src_spans: Sequence[tuple[int, int]],
    tgt_spans: Sequence[tuple[int, int]],
) -> tuple[frozenset[Pair], frozenset[Pair]]:
    """Project character-level gold links onto (t, s) piece pairs.

    links: (src_start, src_end, tgt_start, tgt_end, sure) character offsets, end exclusive.
    src_spans / tgt_spans: the (start, end) character span of each source / target piece.
    Piece t and piece s are linked when their spans overlap the link's target and source spans.
    Returns (sure, possible); sure is a subset of possible, as AER requires.
    """
    sure: set[Pair] = set()
    possible: set[Pair] = set()
    for src_start, src_end, tgt_start, tgt_end, is_sure in links:
        ts = [t for t, span in enumerate(tgt_spans) if _overlaps(span, tgt_start, tgt_end)]
        ss = [s for s, span in enumerate(src_spans) if _overlaps(span, src_start, src_end)]
        pairs = {(t, s) for t in ts for s in ss}
        possible |= pairs
        if is_sure:
            sure |= pairs
    return frozenset(sure), frozenset(possible)


def argmax_links(weights: np.ndarray) -> frozenset[Pair]:
    """Hard alignment from attention: each target row t links to its most-attended source s.

    weights: (T, S); ties go to the first source position (np.argmax).
    """
    if weights.ndim != 2:
        raise ValueError(f"weights must be (T, S), got shape {weights.shape}")
    return frozenset((t, int(s)) for t, s in enumerate(weights.argmax(axis=1)))


def alignment_accuracy(weights: Sequence[np.ndarray], possible: Sequence[AbstractSet[Pair]]) -> float:
    """Percent (0-100) of gold-linked target rows whose argmax source position is a possible link.

    weights[i]: (T, S) attention for sentence i. Only rows t < T with at least one gold link count:
    eos / separator rows and rows the gold does not cover are skipped, not scored as wrong.
    Raises ValueError when no row can be scored.
    """
    _check_parallel(weights, possible)
    hits = rows = 0
    for w, gold in zip(weights, possible, strict=True):
        gold_rows = {t for t, _ in gold}
        for t, s in argmax_links(w):
            if t in gold_rows:
                rows += 1
                hits += (t, s) in gold
    if rows == 0:
        raise ValueError("nothing to score: no attention row has a gold link")
    return 100.0 * hits / rows


def aer(
    alignments: Sequence[AbstractSet[Pair]],
    sure: Sequence[AbstractSet[Pair]],
    possible: Sequence[AbstractSet[Pair]],
) -> float:
    """Corpus alignment error rate (Och & Ney 2003), percent 0-100; lower is better.

    AER = 1 - (|A∩S| + |A∩P|) / (|A| + |S|), each count summed over sentences.
    Links in A on target rows with no gold link (eos, separators) are dropped before counting,
    because the gold cannot say where such rows should attend and they would only inflate |A|.
    """
    _check_parallel(alignments, sure)
    _check_parallel(alignments, possible)
    a_and_s = a_and_p = n_a = n_s = 0
    for a, s, p in zip(alignments, sure, possible, strict=True):
        gold_rows = {t for t, _ in p} | {t for t, _ in s}
        a = {pair for pair in a if pair[0] in gold_rows}
        a_and_s += len(a & s)
        a_and_p += len(a & (p | s))  # S ⊆ P by definition; union guards against gold that omits it
        n_a += len(a)
        n_s += len(s)
    if n_a + n_s == 0:
        raise ValueError("nothing to score: no alignment links and no sure gold links")
    return 100.0 * (1.0 - (a_and_s + a_and_p) / (n_a + n_s))
