"""Translation and alignment metrics: BLEU (Papineni et al. 2002) and chrF (Popovic 2015) via
sacrebleu, exact match, phoneme error rate, and attention-vs-gold alignment (AER, Och & Ney 2003).

Pure functions over strings and numpy arrays; alignment links are always (t, s) = (target, source).
"""

from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet

import numpy as np
import sacrebleu
from rapidfuzz.distance import Levenshtein

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

PieceLink = tuple[int, int]  # (t, s): target piece position, source piece position


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


def sentence_bleu(hypothesis: str, reference: str) -> float:
    """One sentence's BLEU (0-100), with effective n-gram order (sacrebleu.sentence_bleu): a short sentence
    without 4-grams is not 0 for that alone. For ranking sentences; a corpus is scored with `bleu`."""
    return float(sacrebleu.sentence_bleu(hypothesis, [reference]).score)


def sentence_chrf(hypothesis: str, reference: str) -> float:
    """One sentence's chrF (0-100)."""
    return float(sacrebleu.sentence_chrf(hypothesis, [reference]).score)


def exact_match(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Percent (0-100) of hypotheses equal to their reference after stripping outer whitespace."""
    _check_parallel(hypotheses, references)
    hits = sum(h.strip() == r.strip() for h, r in zip(hypotheses, references, strict=True))
    return 100.0 * hits / len(hypotheses)


def word_accuracy(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Percent of words transcribed exactly (grapheme-to-phoneme word accuracy = exact match)."""
    return exact_match(hypotheses, references)


def _sentence_statistics(hypotheses: Sequence[str], references: Sequence[str]) -> np.ndarray:
    """Each sentence's BLEU sufficient statistics, from sacrebleu's public per-sentence score.

    Returns (sentences, 2 + 2 * 4) ints: hypothesis length, reference length, then the matched and the
    total n-gram counts for n = 1..4. Summed over any set of sentences, they are the statistics corpus
    BLEU of that set is computed from, so each sentence is tokenized once however often it is resampled.
    """
    # effective_order changes only the sentence's own score, which is not used here; with it off,
    # sacrebleu would log a warning for every sentence.
    metric = sacrebleu.BLEU(effective_order=True)
    rows = []
    for hypothesis, reference in zip(hypotheses, references, strict=True):
        score = metric.sentence_score(hypothesis, [reference])
        rows.append([score.sys_len, score.ref_len, *score.counts, *score.totals])
    return np.asarray(rows, dtype=np.int64)


def _bleu_from_statistics(statistics: np.ndarray) -> float:
    """Corpus BLEU (0-100) from summed sentence statistics, with the settings `bleu` uses.

    statistics: (2 + 2 * 4,) as _sentence_statistics lays out one row. "exp" smoothing is
    sacrebleu.BLEU()'s default (compute_bleu's own default is "none", which scores differently).
    """
    sys_len, ref_len, *counts = statistics.tolist()
    order = len(counts) // 2
    return sacrebleu.BLEU.compute_bleu(
        counts[:order], counts[order:], sys_len, ref_len, smooth_method="exp", max_ngram_order=order
    ).score


def _resampled_bleu(
    systems: Sequence[Sequence[str]], references: Sequence[str], resamples: int, seed: int
) -> np.ndarray:
    """(systems, resamples) corpus BLEU of each system on the same bootstrap resamples of the sentences.

    Each resample is scored from the sum of its sentences' statistics, which is how sacrebleu's own
    corpus_bleu and bootstrap (sacrebleu.significance) score a corpus: the same numbers as `bleu`.
    """
    for hypotheses in systems:
        _check_parallel(hypotheses, references)
    picks = np.random.default_rng(seed).integers(0, len(references), size=(resamples, len(references)))
    scores = []
    for hypotheses in systems:
        statistics = _sentence_statistics(hypotheses, references)  # (sentences, 10)
        scores.append([_bleu_from_statistics(statistics[rows].sum(axis=0)) for rows in picks])
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
    """Levenshtein distance: fewest insertions, deletions and substitutions turning a into b.

    Items are compared whole, so for lists of phonemes "AH0" -> "AH1" is one substitution.
    """
    return Levenshtein.distance(a, b)


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
) -> tuple[frozenset[PieceLink], frozenset[PieceLink]]:
    """Project character-level gold links onto (t, s) piece links.

    links: (src_start, src_end, tgt_start, tgt_end, sure) character offsets, end exclusive.
    src_spans / tgt_spans: the (start, end) character span of each source / target piece.
    Piece t and piece s are linked when their spans overlap the link's target and source spans.
    Returns (sure, possible); sure is a subset of possible, as AER requires.
    """
    sure: set[PieceLink] = set()
    possible: set[PieceLink] = set()
    for src_start, src_end, tgt_start, tgt_end, is_sure in links:
        ts = [t for t, span in enumerate(tgt_spans) if _overlaps(span, tgt_start, tgt_end)]
        ss = [s for s, span in enumerate(src_spans) if _overlaps(span, src_start, src_end)]
        pieces = {(t, s) for t in ts for s in ss}
        possible |= pieces
        if is_sure:
            sure |= pieces
    return frozenset(sure), frozenset(possible)


def argmax_links(weights: np.ndarray) -> frozenset[PieceLink]:
    """Hard alignment from attention: each target row t links to its most-attended source s.

    weights: (T, S); ties go to the first source position (np.argmax).
    """
    if weights.ndim != 2:
        raise ValueError(f"weights must be (T, S), got shape {weights.shape}")
    return frozenset((t, int(s)) for t, s in enumerate(weights.argmax(axis=1)))


def alignment_accuracy(weights: Sequence[np.ndarray], possible: Sequence[AbstractSet[PieceLink]]) -> float:
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


def _link_counts(
    alignments: Sequence[AbstractSet[PieceLink]],
    sure: Sequence[AbstractSet[PieceLink]],
    possible: Sequence[AbstractSet[PieceLink]],
) -> tuple[int, int, int, int]:
    """|A∩S|, |A∩P|, |A|, |S| summed over sentences, after dropping links of A on target rows that have
    no gold link (eos, separators: the gold cannot say where such rows should attend)."""
    _check_parallel(alignments, sure)
    _check_parallel(alignments, possible)
    a_and_s = a_and_p = n_a = n_s = 0
    for a, s, p in zip(alignments, sure, possible, strict=True):
        gold_rows = {t for t, _ in p} | {t for t, _ in s}
        a = {link for link in a if link[0] in gold_rows}
        a_and_s += len(a & s)
        a_and_p += len(a & (p | s))  # S ⊆ P by definition; union guards against gold that omits it
        n_a += len(a)
        n_s += len(s)
    return a_and_s, a_and_p, n_a, n_s


def aer(
    alignments: Sequence[AbstractSet[PieceLink]],
    sure: Sequence[AbstractSet[PieceLink]],
    possible: Sequence[AbstractSet[PieceLink]],
) -> float:
    """Corpus alignment error rate (Och & Ney 2003), percent 0-100; lower is better.

    AER = 1 - (|A∩S| + |A∩P|) / (|A| + |S|), each count summed over sentences.
    Links in A on target rows with no gold link (eos, separators) are dropped before counting,
    because the gold cannot say where such rows should attend and they would only inflate |A|.
    """
    a_and_s, a_and_p, n_a, n_s = _link_counts(alignments, sure, possible)
    if n_a + n_s == 0:
        raise ValueError("nothing to score: no alignment links and no sure gold links")
    return 100.0 * (1.0 - (a_and_s + a_and_p) / (n_a + n_s))


def alignment_scores(
    alignments: Sequence[AbstractSet[PieceLink]],
    sure: Sequence[AbstractSet[PieceLink]],
    possible: Sequence[AbstractSet[PieceLink]],
) -> dict[str, float]:
    """Corpus precision |A∩P|/|A|, recall |A∩S|/|S| and AER (aer above), percent 0-100, counted as aer
    counts them: links on target rows with no gold link are dropped first."""
    a_and_s, a_and_p, n_a, n_s = _link_counts(alignments, sure, possible)
    return {
        "precision": 100.0 * a_and_p / n_a if n_a else 0.0,
        "recall": 100.0 * a_and_s / n_s if n_s else 0.0,
        "aer": aer(alignments, sure, possible),
    }
