"""Pieces merged into words: columns summed, rows averaged, every row still a distribution."""

import dataclasses

import numpy as np
import pytest

from attnviz import search, words


def with_map(trace, source, target, weights):
    """The same trace with hand-made pieces and weights (merge reads only these three)."""
    return dataclasses.replace(
        trace, source_pieces=tuple(source), target_pieces=tuple(target), weights=np.asarray(weights)
    )


@pytest.fixture
def trace(tiny_bundle):
    return search.translate(tiny_bundle("dot"), "abc")


def test_a_hand_made_example(trace):
    source = ["Die", "Schul", "·en", "␣", "·ter", "·r", "."]
    target = ["The", "school", "·s", "</s>"]
    w = np.array(
        [
            [0.7, 0.1, 0.1, 0.0, 0.0, 0.0, 0.1],
            [0.0, 0.5, 0.3, 0.1, 0.1, 0.0, 0.0],
            [0.0, 0.1, 0.7, 0.0, 0.0, 0.2, 0.0],
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0],
        ]
    )
    merged = words.merge(with_map(trace, source, target, w), "unigram", "unigram")
    assert merged.source_words == ("Die", "Schulen", "terr", ".")
    assert merged.source_groups == ((0,), (1, 2), (3, 4, 5), (6,))
    assert merged.target_words == ("The", "schools", "</s>")
    assert merged.target_groups == ((0,), (1, 2), (3,))
    expected = np.array(
        [
            [0.7, 0.2, 0.0, 0.1],
            [0.0, (0.8 + 0.8) / 2, (0.2 + 0.2) / 2, 0.0],  # "school ·s": the mean of its two rows
            [0.0, 0.0, 0.0, 1.0],
        ]
    )
    np.testing.assert_allclose(merged.weights, expected)


def test_characters_merge_at_spaces(trace):
    source = ["2", "6", "␣", "n", "o", "v"]
    target = ["1", "1", "</s>"]
    w = np.full((3, 6), 1 / 6)
    merged = words.merge(with_map(trace, source, target, w), "char", "char")
    assert merged.source_words == ("26", "nov")  # the space goes with the word it starts
    assert merged.source_groups == ((0, 1), (2, 3, 4, 5))
    assert merged.target_words == ("11", "</s>")
    np.testing.assert_allclose(merged.weights, [[2 / 6, 4 / 6], [2 / 6, 4 / 6]])
    # Without the kind, the labels tell: single characters with a "␣" and no "·".
    assert words.merge(with_map(trace, source, target, w)).source_groups == merged.source_groups


def test_a_leading_continuation_and_unknown_pieces_start_words():
    assert words.groups(["·a", "·b", "c"], "bpe") == [[0, 1], [2]]
    assert words.groups(["Ha", "<unk>", "·x"], "unigram") == [[0], [1, 2]]
    assert words.groups(["a", "<unk>", "␣", "b"], "char") == [[0, 1], [2, 3]]  # an unknown character
    assert words.groups(["x", "</s>", "·y"], "unigram") == [[0], [1], [2]]


@pytest.mark.parametrize("sentence", ["hello world", "the cat sat", "abc def"])
def test_merged_rows_sum_to_one_and_equal_the_piece_sums_and_means(tiny_bundle, sentence):
    trace = search.translate(tiny_bundle("general"), sentence)
    merged = words.merge(trace, "char", "char")
    assert merged.weights.shape == (len(merged.target_words), len(merged.source_words))
    np.testing.assert_allclose(merged.weights.sum(axis=1), 1.0, rtol=1e-5)
    for i, rows in enumerate(merged.target_groups):
        for j, columns in enumerate(merged.source_groups):
            block = trace.weights[np.ix_(rows, columns)]  # (pieces of target word i, of source word j)
            assert merged.weights[i, j] == pytest.approx(block.sum(axis=1).mean())
    assert sorted(sum(merged.source_groups, ())) == list(range(len(trace.source_pieces)))
    assert sorted(sum(merged.target_groups, ())) == list(range(trace.num_steps))


def test_a_map_without_attention_merges_to_no_columns(trace):
    merged = words.merge(with_map(trace, [], ["a", "</s>"], np.zeros((2, 0))), "char", "char")
    assert merged.weights.shape == (2, 0) and merged.source_words == ()
