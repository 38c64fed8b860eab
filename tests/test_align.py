"""attnviz.align: links read off attention maps, and the statistical aligners on corpora whose alignment
is known by construction; metrics.alignment_scores on hand-counted links."""

from __future__ import annotations

import random

import numpy as np
import pytest

from attnviz import align, metrics

WEIGHTS = np.array(
    [
        [0.7, 0.2, 0.1],  # step 1 emits target piece 0
        [0.1, 0.5, 0.4],
        [0.0, 0.1, 0.9],
        [0.2, 0.2, 0.6],  # the step that emits </s>
    ]
)


def test_argmax_threshold_and_the_next_step() -> None:
    assert align.from_attention(WEIGHTS, 3) == {(0, 0), (1, 1), (2, 2)}
    assert align.from_attention(WEIGHTS, 3, align.Extraction("threshold", 0.4)) == {
        (0, 0),
        (1, 1),
        (1, 2),
        (2, 2),
    }
    # Target piece t read from step t + 1, the last one from the </s> step.
    assert align.from_attention(WEIGHTS, 3, align.Extraction(shift=True)) == {(0, 1), (1, 2), (2, 2)}
    with pytest.raises(ValueError, match="more attention rows"):
        align.from_attention(WEIGHTS, 4, align.Extraction(shift=True))
    with pytest.raises(ValueError, match="rule"):
        align.Extraction("mean")
    with pytest.raises(ValueError, match="threshold"):
        align.Extraction("threshold", 0.0)


def test_scores_count_as_och_and_ney() -> None:
    sure = [frozenset({(0, 0), (1, 1)})]
    possible = [frozenset({(0, 0), (1, 1), (1, 2)})]
    found = [frozenset({(0, 0), (1, 2), (2, 0)})]  # row 2 has no gold link: dropped, not counted wrong
    scores = metrics.alignment_scores(found, sure, possible)
    # A = {(0,0), (1,2)}: both possible (P = 100), one of the two sure links (R = 50);
    # AER = 1 - (|A∩S| + |A∩P|) / (|A| + |S|) = 1 - (1 + 2) / (2 + 2).
    assert scores == pytest.approx({"precision": 100.0, "recall": 50.0, "aer": 25.0})


def corpus(n: int, reverse: bool, seed: int = 0) -> tuple[list, list]:
    """Sentences of 3-6 distinct words from a 30-word lexicon and their word-by-word translations, the
    target in the same or the reverse order; returns (pairs, gold links of each pair)."""
    rng = random.Random(seed)
    words = [f"q{i}" for i in range(30)]
    pairs, gold = [], []
    for _ in range(n):
        source = rng.sample(words, rng.randint(3, 6))
        target = [w.upper() for w in (reversed(source) if reverse else source)]
        pairs.append((source, target))
        S = len(source)
        gold.append(frozenset((t, S - 1 - t if reverse else t) for t in range(S)))
    return pairs, gold


@pytest.mark.parametrize("name", align.ALIGNERS)
def test_each_aligner_finds_a_known_alignment_the_same_way_twice(name) -> None:
    pairs, gold = corpus(600, reverse=False)
    links = align.statistical(name, pairs)
    assert len(links) == len(pairs)
    assert metrics.aer(links, gold, gold) < 10.0
    assert align.statistical(name, pairs) == links  # seeded: the same pairs give the same links


def test_hmm_and_eflomal_follow_a_reversed_order() -> None:
    pairs, gold = corpus(600, reverse=True)
    for name in ("hmm", "eflomal"):
        assert metrics.aer(align.statistical(name, pairs), gold, gold) < 10.0, name


def test_pieces_with_spaces_are_words_to_an_aligner() -> None:
    """A character tokenizer has a space piece; an aligner reads whitespace-separated words, so each
    piece must stay one word of its own: positions are the pieces' positions."""
    words, gold = corpus(600, reverse=False)
    pairs = [(_spaced(s), _spaced(t)) for s, t in words]
    links = align.statistical("hmm", pairs)
    spaced_gold = [frozenset((2 * t, 2 * s) for t, s in g) for g in gold]
    assert all(
        t < len(tg) and s < len(sr) for (sr, tg), one in zip(pairs, links, strict=True) for t, s in one
    )
    assert metrics.alignment_scores(links, spaced_gold, spaced_gold)["recall"] > 90.0


def _spaced(words: list[str]) -> list[str]:
    out = []
    for w in words:
        out += [w, " "]
    return out[:-1]


def test_an_unknown_aligner_is_said() -> None:
    with pytest.raises(ValueError, match="unknown aligner 'giza'"):
        align.statistical("giza", [(["a"], ["b"])])


@pytest.mark.parametrize(
    ("line", "said"), [("0-0 1", "'1' is not"), ("0-a", "'0-a'"), ("²-1", "'²-1'"), (3, "not a line")]
)
def test_pharaoh_lines_are_parsed_or_said(line, said) -> None:
    assert align.parse_pharaoh("0-1 2-0") == {(1, 0), (0, 2)}
    with pytest.raises(ValueError, match=said):
        align.parse_pharaoh(line)
