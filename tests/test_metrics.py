"""Tests for attnviz.metrics: corpus scores, length buckets, edit distance and alignment metrics."""

import numpy as np
import pytest
import sacrebleu

from attnviz.metrics import (
    LENGTH_BUCKETS,
    aer,
    alignment_accuracy,
    argmax_links,
    bleu,
    bleu_by_length,
    bleu_gap_interval,
    bleu_interval,
    chrf,
    edit_distance,
    exact_match,
    phoneme_error_rate,
    project_links,
    word_accuracy,
)

HYPS = ["the cat sat on the mat .", "a dog barked loudly at night", "hello world"]
REFS = ["the cat sat on the mat .", "the dog barked loudly all night", "hello , world"]


# --- corpus scores ---------------------------------------------------------------------------


def test_bleu_identical_corpus_is_100() -> None:
    assert bleu(REFS, REFS) == pytest.approx(100.0)


def test_bleu_disjoint_corpus_is_zero() -> None:
    assert bleu(["aaa bbb ccc ddd"], ["www xxx yyy zzz"]) == pytest.approx(0.0, abs=1e-9)


def test_bleu_matches_direct_sacrebleu_call() -> None:
    expected = sacrebleu.corpus_bleu(HYPS, [REFS]).score
    got = bleu(HYPS, REFS)
    assert got == pytest.approx(expected)
    assert 0.0 < got < 100.0
    assert isinstance(got, float)


def test_bleu_without_any_4grams_is_zero_even_when_identical() -> None:
    # sacrebleu's corpus BLEU needs 4-grams; chrF is the score to read for very short outputs
    assert bleu(["a b c"], ["a b c"]) == 0.0
    assert chrf(["a b c"], ["a b c"]) == pytest.approx(100.0)


def test_chrf_identical_disjoint_and_direct_call() -> None:
    assert chrf(REFS, REFS) == pytest.approx(100.0)
    assert chrf(["aaa"], ["zzz"]) == pytest.approx(0.0, abs=1e-9)
    assert chrf(HYPS, REFS) == pytest.approx(sacrebleu.corpus_chrf(HYPS, [REFS]).score)


def test_corpus_scores_reject_mismatched_or_empty_corpora() -> None:
    with pytest.raises(ValueError, match="2 hypotheses but 1 references"):
        bleu(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="empty"):
        chrf([], [])


def test_exact_match_percent_strips_whitespace() -> None:
    hyps = ["a b", " c d ", "e f", "g"]
    refs = ["a b", "c d", "e F", "h"]
    assert exact_match(hyps, refs) == pytest.approx(50.0)
    assert word_accuracy(hyps, refs) == pytest.approx(50.0)


# --- length buckets --------------------------------------------------------------------------


def _words(n: int) -> str:
    return " ".join(f"w{i}" for i in range(n))


def test_bleu_by_length_assigns_by_source_word_count() -> None:
    sources = [_words(5), _words(6), _words(10), _words(21), _words(0)]
    # four or more words each, so every bucket has 4-grams and identical text scores 100
    hyps = ["x y z a", "p q r s", "p q r s t", "u v w x y", "m n o p"]
    refs = list(hyps)
    result = bleu_by_length(sources, hyps, refs)
    assert list(result) == [name for name, _, _ in LENGTH_BUCKETS]
    assert {name: row["n"] for name, row in result.items()} == {
        "<=5": 2,
        "6-10": 2,
        "11-15": 0,
        "16-20": 0,
        ">20": 1,
    }
    assert result["<=5"]["bleu"] == pytest.approx(100.0)
    assert result["<=5"]["bleu_ci"] is None  # two sentences: too few for an interval
    many = bleu_by_length([_words(3)] * 10, hyps[:1] * 10, refs[:1] * 10)
    assert many["<=5"]["bleu_ci"] == pytest.approx([100.0, 100.0])
    assert result[">20"]["chrf"] == pytest.approx(100.0)
    assert result["11-15"] == {"bleu": None, "bleu_ci": None, "chrf": None, "n": 0}
    assert result["16-20"]["bleu"] is None


def test_bleu_by_length_scores_only_the_bucket_sentences() -> None:
    sources = [_words(3), _words(3), _words(12)]
    result = bleu_by_length(sources, HYPS, REFS)
    assert result["<=5"]["bleu"] == pytest.approx(bleu(HYPS[:2], REFS[:2]))
    assert result["11-15"]["chrf"] == pytest.approx(chrf(HYPS[2:], REFS[2:]))


def test_bleu_interval_brackets_the_corpus_score_and_narrows_with_more_sentences() -> None:
    rng = np.random.default_rng(0)
    vocab = [f"w{i}" for i in range(30)]
    refs = [" ".join(rng.choice(vocab, size=8)) for _ in range(400)]
    # each hypothesis keeps about two thirds of its reference's words
    hyps = [" ".join(w if rng.random() < 0.67 else "x" for w in r.split()) for r in refs]
    low, high = bleu_interval(hyps, refs)
    assert low < bleu(hyps, refs) < high
    assert bleu_interval(hyps, refs) == (low, high)  # seeded: evaluate reproduces it
    small_low, small_high = bleu_interval(hyps[:25], refs[:25])
    assert small_high - small_low > 2 * (high - low)  # 25 sentences say much less than 400
    same = bleu_interval(refs[:50], refs[:50])
    assert same == pytest.approx((100.0, 100.0))  # every resample of perfect output is perfect


def test_bleu_gap_interval_is_paired() -> None:
    rng = np.random.default_rng(1)
    vocab = [f"w{i}" for i in range(30)]
    refs = [" ".join(rng.choice(vocab, size=8)) for _ in range(200)]
    first = [" ".join(w if rng.random() < 0.7 else "x" for w in r.split()) for r in refs]
    # the second system: the first with one more word wrong in every fifth sentence
    second = [h if i % 5 else "y " + " ".join(h.split()[1:]) for i, h in enumerate(first)]
    assert bleu_gap_interval(first, first, refs) == (0.0, 0.0)
    low, high = bleu_gap_interval(first, second, refs)
    assert 0 < low < bleu(first, refs) - bleu(second, refs) < high
    # Each system's own interval overlaps the other's: only the paired test sees the difference.
    assert bleu_interval(second, refs)[1] > bleu_interval(first, refs)[0]


# Short of the reference (brevity penalty) and no 4-gram in common (smoothing decides the score).
SHORT_HYP = "the cat sat quietly on mat"
SHORT_REF = "the cat sat on the mat today ."


def test_bleu_interval_rescores_like_bleu() -> None:
    """Every resample of ten copies of one sentence is the corpus itself: exactly bleu()'s score, so the
    resampling route applies the same brevity penalty and "exp" smoothing as corpus_bleu."""
    hyps, refs = [SHORT_HYP] * 10, [SHORT_REF] * 10
    expected = bleu(hyps, refs)
    assert 0.0 < expected < 100.0
    assert bleu_interval(hyps, refs) == (expected, expected)
    gap = expected - bleu(refs, refs)  # perfect output scores 100 only up to rounding
    assert bleu_gap_interval(hyps, refs, refs) == (gap, gap)


def test_bleu_interval_is_percentiles_of_corpus_bleu_on_seeded_resamples() -> None:
    """The documented recipe, spelled out with sacrebleu's own corpus_bleu: the shipped metrics.json
    intervals reproduce only while the seed, the draw and the scoring all stay the same."""
    rng = np.random.default_rng(2)
    vocab = [f"w{i}" for i in range(12)]
    refs = [" ".join(rng.choice(vocab, size=int(rng.integers(3, 9)))) for _ in range(20)]
    hyps = [" ".join(w for w in r.split() if rng.random() < 0.8) for r in refs]
    picks = np.random.default_rng(5).integers(0, 20, size=(40, 20))
    scores = [
        sacrebleu.corpus_bleu([hyps[i] for i in rows], [[refs[i] for i in rows]]).score for rows in picks
    ]
    low, high = np.percentile(scores, [2.5, 97.5])
    assert bleu_interval(hyps, refs, resamples=40, seed=5) == (low, high)


# --- edit distance / PER ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("kitten", "sitting", 3),
        ("flaw", "lawn", 2),
        ("", "abc", 3),
        ("abc", "", 3),
        ("same", "same", 0),
        (["HH", "AH0", "L", "OW1"], ["HH", "EH0", "L", "OW1", "Z"], 2),
        (["AH0"], ["AH1"], 1),  # list items compare whole: one substitution, not a character edit
        (["K", "AE1"], ["KAE1"], 2),
        ([], ["HH", "AH0"], 2),
    ],
)
def test_edit_distance_known_values(a, b, expected: int) -> None:
    assert edit_distance(a, b) == expected
    assert edit_distance(b, a) == expected  # symmetric


def test_phoneme_error_rate_golden_value() -> None:
    hyps = ["HH AH0 L OW1", "K AE1 T S", "D AO1"]
    refs = ["HH AH0 L OW1", "K AE1 T", "D AO1 G"]
    # errors: 0 + 1 insertion + 1 deletion = 2 over 4 + 3 + 3 = 10 reference phonemes
    assert phoneme_error_rate(hyps, refs) == pytest.approx(20.0)
    assert phoneme_error_rate(refs, refs) == 0.0
    # an empty hypothesis: both reference phonemes deleted; then one substitution; 3 errors of 3
    assert phoneme_error_rate(["", "K"], ["K AE1", "T"]) == pytest.approx(100.0)
    assert word_accuracy(hyps, refs) == pytest.approx(100.0 / 3)
    with pytest.raises(ValueError, match="no phonemes"):
        phoneme_error_rate(["K"], [" "])


# --- gold link projection --------------------------------------------------------------------

# source "the black cat", pieces ▁the | ▁bl | ack | ▁cat | (empty) | </s>
SRC_SPANS = [(0, 3), (4, 6), (6, 9), (10, 13), (5, 5), (13, 13)]
# target "le chat noir", pieces ▁le | ▁chat | ▁noir | </s>
TGT_SPANS = [(0, 2), (3, 7), (8, 12), (12, 12)]
LINKS = [
    (0, 3, 0, 2, True),  # the - le
    (4, 9, 8, 12, True),  # black - noir: one target piece, two source pieces
    (10, 13, 3, 7, False),  # cat - chat, possible only
    (13, 13, 12, 12, True),  # empty link span: links nothing
]


def test_project_links_multi_character_pieces_and_empty_spans() -> None:
    sure, possible = project_links(LINKS, SRC_SPANS, TGT_SPANS)
    # the empty piece s=4, (5, 5), lies inside "black" but overlaps nothing; eos pieces stay unlinked
    assert sure == {(0, 0), (2, 1), (2, 2)}
    assert possible == {(0, 0), (2, 1), (2, 2), (1, 3)}
    assert isinstance(sure, frozenset) and isinstance(possible, frozenset)


def test_project_links_partial_overlap_links_a_piece() -> None:
    # a link covering only "bla" still reaches piece "ack" through the shared character "a"
    sure, possible = project_links([(4, 7, 0, 1, True)], SRC_SPANS, TGT_SPANS)
    assert sure == possible == {(0, 1), (0, 2)}


# --- attention-vs-gold alignment -------------------------------------------------------------


def test_argmax_links_picks_most_attended_source_per_row() -> None:
    weights = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.4, 0.4, 0.2]])
    assert argmax_links(weights) == {(0, 0), (1, 2), (2, 0)}  # a tie goes to the first source
    with pytest.raises(ValueError, match=r"\(T, S\)"):
        argmax_links(np.zeros(3))


def test_alignment_accuracy_two_of_three_rows_right() -> None:
    weights = np.array(
        [
            [0.8, 0.1, 0.1],  # t=0 -> s=0, gold: right
            [0.6, 0.3, 0.1],  # t=1 -> s=0, gold says s=1: wrong
            [0.1, 0.2, 0.7],  # t=2 -> s=2, gold allows s=1 or s=2: right
            [0.1, 0.1, 0.8],  # t=3 (eos): no gold link, skipped
        ]
    )
    possible = frozenset({(0, 0), (1, 1), (2, 1), (2, 2)})
    assert alignment_accuracy([weights], [possible]) == pytest.approx(200.0 / 3)


def test_alignment_accuracy_pools_rows_over_sentences_and_skips_uncovered_gold() -> None:
    w1 = np.eye(2)
    w2 = np.array([[0.0, 1.0]])  # one row; the gold link on t=1 lies beyond the matrix
    possible = [frozenset({(0, 0), (1, 1)}), frozenset({(0, 0), (1, 0)})]
    assert alignment_accuracy([w1, w2], possible) == pytest.approx(200.0 / 3)


def test_alignment_accuracy_with_nothing_to_score_raises() -> None:
    with pytest.raises(ValueError, match="nothing to score"):
        alignment_accuracy([np.eye(2)], [frozenset()])


def test_aer_perfect_alignment_is_zero() -> None:
    sure = [frozenset({(0, 0), (1, 1)})]
    possible = [frozenset({(0, 0), (1, 1), (1, 2)})]
    assert aer(sure, sure, possible) == pytest.approx(0.0)
    assert aer(sure, sure, sure) == pytest.approx(0.0)  # A = S = P
    # a possible-only link in A costs nothing either
    assert aer([frozenset({(0, 0), (1, 1), (1, 2)})], sure, possible) == pytest.approx(0.0)


def test_aer_hand_computed_and_ignores_rows_without_gold() -> None:
    sure = [frozenset({(0, 0)})]
    possible = [frozenset({(0, 0), (1, 1), (1, 2)})]
    # row 2 (eos) has no gold, so (2, 0) is dropped: A = {(0,0), (1,0)}
    alignment = [frozenset({(0, 0), (1, 0), (2, 0)})]
    # |A∩S| = 1, |A∩P| = 1, |A| = 2, |S| = 1  ->  1 - 2/3
    assert aer(alignment, sure, possible) == pytest.approx(100.0 / 3)


def test_aer_is_corpus_level_not_a_mean_of_sentences() -> None:
    sure = [frozenset({(0, 0)}), frozenset({(0, 0), (1, 1), (2, 2)})]
    alignment = [frozenset({(0, 1)}), frozenset({(0, 0), (1, 1), (2, 2)})]
    # pooled: |A∩S| = 3, |A∩P| = 3, |A| = 4, |S| = 4 -> 1 - 6/8 = 25%; sentence mean would be 50%
    assert aer(alignment, sure, sure) == pytest.approx(25.0)


def test_aer_of_argmax_links_from_projected_gold() -> None:
    sure, possible = project_links(LINKS, SRC_SPANS, TGT_SPANS)
    weights = np.full((4, 6), 0.01)
    weights[0, 0] = weights[1, 3] = weights[2, 2] = weights[3, 5] = 1.0
    # rows 0-2 hit gold; row 3 (eos) has none and is ignored
    assert alignment_accuracy([weights], [possible]) == pytest.approx(100.0)
    # A = {(0,0), (1,3), (2,2)}: |A∩S| = 2, |A∩P| = 3, |A| = 3, |S| = 3 -> 1 - 5/6
    assert aer([argmax_links(weights)], [sure], [possible]) == pytest.approx(100.0 / 6)
