"""attnviz.align: links read off attention maps, and the statistical aligners on corpora whose alignment
is known by construction; metrics.alignment_scores on hand-counted links."""

from __future__ import annotations

import json
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


def test_pieces_merge_to_the_words_they_lie_in():
    text = "Das Haus ist"
    words = align.word_spans(text)
    assert words == [(0, 3), (4, 8), (9, 12)]
    # pieces "Da", "s", " " (a space piece of a character tokenizer), "Haus", "is", "t"
    pieces = [(0, 2), (2, 3), (3, 4), (4, 8), (9, 11), (11, 12)]
    assert align.piece_words(pieces, words) == [0, 0, None, 1, 2, 2]
    src, tgt = [0, 0, None, 1, 2, 2], [0, 1, 1]
    links = frozenset({(0, 0), (0, 1), (1, 3), (2, 4), (2, 2), (9, 0)})  # (2, 2): the space; (9, 0): beyond
    assert align.to_words(links, src, tgt) == {(0, 0), (1, 1), (1, 2)}
    assert align.word_spans("  \t ") == []


SHAPES = [(2, 3), (1, 2)]  # (target units, source units) of two sentences


def test_a_pharaoh_upload_reads_one_line_per_sentence():
    links = align.read_upload(b"0-0 2-1\n1-0\n\n", "mine.txt", SHAPES, align.Extraction())
    assert links == [frozenset({(0, 0), (1, 2)}), frozenset({(0, 1)})]


@pytest.mark.parametrize(
    ("data", "name", "said"),
    [
        (b"0-0\n", "a.txt", "the file has 1 lines; the test split has 2 sentences"),
        (b"0-0\n0-x\n", "a.txt", "line 2: '0-x' is not source-target"),
        (b"0-0\n2-0\n", "a.txt", "line 2: link 2-0 is outside the sentence"),
        (b"0-0\n\xff\xfe-0\n", "a.txt", "line 2: not UTF-8"),
        (b"\x00\x01binary", "a.txt", "not text"),
        (b"[[[1, 0, 0], [0, 1, 0]]", "a.json", "line 1: not JSON"),
        (b'{"rows": 1}', "a.json", "expected a list of matrices"),
        (
            b"[[[1, 0, 0], [0, 1, 0]], [[1, 0, 0]]]",
            "a.json",
            "sentence 2: 1 x 3, but the sentence has 1 target and 2 source",
        ),
        (b"[[[1, 0, 0], [0, 1, 0]], [[1, -1]]]", "a.json", "sentence 2: weights must be finite"),
        (b'[[[1, 0, 0], [0, 1, 0]], [[1, "a"]]]', "a.json", "sentence 2: not a matrix of numbers"),
        (b"s,t,x,w\n", "a.csv", "line 1: the header must be"),
        (b"sentence,target,source,weight\n1,0,0,1\n1,0\n", "a.csv", "line 3: 2 cells"),
        (b"sentence,target,source,weight\n3,0,0,1\n", "a.csv", "line 2: sentence 3, but"),
        (b"sentence,target,source,weight\n1,0,3,1\n", "a.csv", "line 2: position target 0, source 3"),
        (b"sentence,target,source,weight\n1,0,0,nan\n", "a.csv", "line 2: weight nan"),
        (b"sentence,target,source,weight\n1,a,0,1\n", "a.csv", "line 2: "),
    ],
)
def test_a_bad_upload_names_its_line(data, name, said):
    with pytest.raises(align.UploadError) as err:
        align.read_upload(data, name, SHAPES, align.Extraction())
    assert said in str(err.value)


def test_a_huge_upload_is_refused_before_reading(monkeypatch):
    monkeypatch.setattr(align, "MAX_UPLOAD_BYTES", 10)
    with pytest.raises(align.UploadError, match="at most 10 are read"):
        align.read_upload(b"0-0\n" * 5, "a.txt", SHAPES, align.Extraction())


def test_uploaded_matrices_are_read_with_the_chosen_rule():
    matrices = [[[0.7, 0.2, 0.1], [0.1, 0.45, 0.45]], [[0.5, 0.5]]]
    as_json = json.dumps({"matrices": matrices}).encode()
    argmax = align.read_upload(as_json, "m.json", SHAPES, align.Extraction())
    assert argmax == [frozenset({(0, 0), (1, 1)}), frozenset({(0, 0)})]
    rows = ["sentence,target,source,weight"] + [
        f"{i},{t},{s},{w}"
        for i, m in enumerate(matrices, 1)
        for t, row in enumerate(m)
        for s, w in enumerate(row)
    ]
    lenient = align.Extraction("threshold", 0.4, shift=True)  # shift does not apply to a file's rows
    from_csv = align.read_upload("\n".join(rows).encode(), "m.CSV", SHAPES, lenient)
    assert from_csv == [frozenset({(0, 0), (1, 1), (1, 2)}), frozenset({(0, 0), (0, 1)})]
