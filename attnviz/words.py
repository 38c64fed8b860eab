"""Words from pieces: one decoded sentence's attention map merged from subword pieces to whole words.

The pieces are read through their labels (tokenizer.py): a piece that continues a word starts with "·";
"␣" is SentencePiece's word-start marker "▁" standing alone, or, in a character tokenizer, a space.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from attnviz.i18n import N_
from attnviz.trace import Trace

CONTINUES = "\u00b7"  # "·": this piece attaches to the piece on its left
SPACE = "\u2423"  # "␣": a word starts here (a bare "▁" piece, or a space between characters)
CONTROL = frozenset({"<pad>", "<s>", "</s>"})  # never part of a word, each one its own column or row

# The key to the piece labels, shown under a map.
PIECE_KEY = N_(
    "How to read the pieces: a piece that starts with · continues the word on its left (Schul ·en = "
    "Schulen); ␣ marks a word boundary (a space: the word starts there); <unk> is text the model's "
    "vocabulary does not have; </s> ends the sentence."
)


@dataclass(frozen=True, eq=False)
class WordMap:
    """An attention map over words. S_w source words, T_w target words."""

    source_words: tuple[str, ...]  # (S_w,) each word's pieces joined, marks removed
    target_words: tuple[str, ...]  # (T_w,)
    source_groups: tuple[tuple[int, ...], ...]  # (S_w,) the source piece positions of each word
    target_groups: tuple[tuple[int, ...], ...]  # (T_w,) the decoder steps (0-based) of each word
    weights: np.ndarray  # (T_w, S_w) each row sums to 1, as the piece map's rows do


def is_char(labels: tuple[str, ...] | list[str]) -> bool:
    """A guess from the labels alone: a character tokenizer's labels are single characters with "␣" for
    a space and no "·" marks. (Without a space the guess is "pieces", each character then a word.)"""
    plain = [label for label in labels if label not in CONTROL and label != "<unk>"]
    return (
        SPACE in plain
        and all(len(label) == 1 for label in plain)
        and not any(label.startswith(CONTINUES) for label in plain)
    )


def groups(labels: tuple[str, ...] | list[str], kind: str | None = None) -> list[list[int]]:
    """Positions of `labels` cut into words. kind: the tokenizer's ("char", "word", "unigram", "bpe");
    None guesses it with is_char.

    Pieces: a word starts at every piece not marked "·" (an <unk> always starts one: its mark is lost).
    Characters: a word starts at each "␣" and takes the characters after it, as SentencePiece's "▁"
    belongs to the piece after it; the space's attention so goes to the word it starts.
    """
    char = is_char(labels) if kind is None else kind == "char"
    out: list[list[int]] = []
    for i, label in enumerate(labels):
        after_control = bool(out) and labels[out[-1][-1]] in CONTROL
        if char:
            starts = label == SPACE
        else:
            starts = not label.startswith(CONTINUES) or label == "<unk>"
        if not out or starts or after_control or label in CONTROL:
            out.append([i])
        else:
            out[-1].append(i)
    return out


def _word(labels: tuple[str, ...] | list[str], group: list[int]) -> str:
    text = "".join(labels[i].removeprefix(CONTINUES) for i in group if labels[i] != SPACE)
    return text or SPACE


def merge(trace: Trace, source_kind: str | None = None, target_kind: str | None = None) -> WordMap:
    """The trace's (T, S) attention weights as a (T_w, S_w) map over words.

    Source side: a word's column is the SUM of its pieces' columns (the attention the word received).
    Target side: a word's row is the MEAN of its pieces' rows, the steps that wrote it. Both keep every
    row a probability distribution: each row still sums to 1. The kinds name the tokenizers
    (bundle.src.kind, bundle.tgt.kind); None guesses from the labels (is_char).
    """
    src = groups(trace.source_pieces, source_kind)
    tgt = groups(trace.target_pieces, target_kind)
    w = trace.weights  # (T, S)
    columns = np.stack([w[:, g].sum(axis=1) for g in src], axis=1) if src else w[:, :0]  # (T, S_w)
    rows = np.stack([columns[g].mean(axis=0) for g in tgt]) if tgt else columns[:0]  # (T_w, S_w)
    return WordMap(
        source_words=tuple(_word(trace.source_pieces, g) for g in src),
        target_words=tuple(_word(trace.target_pieces, g) for g in tgt),
        source_groups=tuple(tuple(g) for g in src),
        target_groups=tuple(tuple(g) for g in tgt),
        weights=rows,
    )
