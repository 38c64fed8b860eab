"""SentencePiece tokenization (Kudo & Richardson 2018): word pieces for sentences, characters for
character tasks. A tokenizer is trained by our own code on the training split and saved with the model.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import sentencepiece as spm

PAD, UNK, BOS, EOS = 0, 1, 2, 3
WORD_START = "\u2581"  # SentencePiece's word-boundary marker "▁"


@dataclass(frozen=True)
class Tokens:
    """One string cut into pieces; spans are character offsets into the original string."""

    ids: tuple[int, ...]
    pieces: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]


class Tokenizer:
    """A SentencePiece model plus its kind ("char", "word", "unigram" or "bpe")."""

    def __init__(self, proto: bytes, kind: str) -> None:
        self.proto = proto
        self.kind = kind
        self.sp = spm.SentencePieceProcessor(model_proto=proto)
        self.vocab_size: int = self.sp.vocab_size()
        self._labels = tuple(self._make_label(i) for i in range(self.vocab_size))

    @classmethod
    def train(cls, lines: Iterable[str], kind: str, vocab_size: int) -> Tokenizer:
        """Train on `lines`. For "char" and "word", vocab_size is only an upper bound; for a corpus too
        small to fill it (an upload of a few hundred lines), the largest vocabulary it allows is used."""
        lines = list(lines)
        try:
            return cls._train(lines, kind, vocab_size)
        except RuntimeError as err:
            # "Vocabulary size too high (4000). Please set it to a value <= 1594."
            largest = re.search(r"(?:<=|≤)\s*(\d+)", str(err))
            if largest is None or int(largest.group(1)) >= vocab_size:
                raise
            return cls._train(lines, kind, int(largest.group(1)))

    @classmethod
    def _train(cls, lines: list[str], kind: str, vocab_size: int) -> Tokenizer:
        buf = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(lines),
            model_writer=buf,
            model_type=kind,
            vocab_size=vocab_size,
            hard_vocab_limit=kind not in ("char", "word"),
            character_coverage=1.0,
            # Characters carry no word boundary of their own; a leading "▁" would be noise.
            add_dummy_prefix=kind != "char",
            pad_id=PAD,
            unk_id=UNK,
            bos_id=BOS,
            eos_id=EOS,
            num_threads=1,  # one thread keeps training byte-for-byte reproducible
            minloglevel=2,
        )
        return cls(buf.getvalue(), kind)

    def save(self, path: Path) -> None:
        path.write_bytes(self.proto)

    @classmethod
    def load(cls, path: Path, kind: str) -> Tokenizer:
        return cls(path.read_bytes(), kind)

    def tokenize(self, text: str) -> Tokens:
        """Pieces of `text` (no BOS/EOS), each with its character span in `text`."""
        proto = self.sp.encode(text, return_type="proto")
        # SentencePiece reports byte offsets; users and gold links think in characters.
        char_at = _byte_to_char(text)
        ids, pieces, spans = [], [], []
        for p in proto.pieces:
            ids.append(p.id)
            pieces.append(p.piece)
            spans.append((char_at[p.begin], char_at[p.end]))
        return Tokens(tuple(ids), tuple(pieces), tuple(spans))

    def decode(self, ids: Iterable[int]) -> str:
        return self.sp.decode([i for i in ids if i > EOS])

    def labels(self, ids: Iterable[int]) -> list[str]:
        """Readable labels of pieces, for axes and tables."""
        return [self._labels[i] for i in ids]

    def _make_label(self, idx: int) -> str:
        if self.sp.is_control(idx):
            return self.sp.id_to_piece(idx)  # <pad>, <s>, </s>
        if self.sp.is_unknown(idx):
            return "<unk>"
        piece = self.sp.id_to_piece(idx)
        if self.kind == "char":
            return "\u2423" if piece == WORD_START else piece  # "␣" shows a space
        # A word-initial piece reads as the word; a continuation shows it attaches to the left.
        if piece.startswith(WORD_START):
            return piece[1:] or "\u2423"
        return "\u00b7" + piece


def _byte_to_char(text: str) -> list[int]:
    """Map each UTF-8 byte offset of `text` (and the end) to its character offset."""
    out = []
    for i, ch in enumerate(text):
        out.extend([i] * len(ch.encode("utf-8")))
    out.append(len(text))
    return out
