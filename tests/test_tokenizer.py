"""Tests for attnviz.tokenizer: pieces, character spans, labels, save/load and reproducible training."""

from __future__ import annotations

import pytest

from attnviz.tokenizer import BOS, EOS, PAD, UNK, WORD_START, Tokenizer

CHAR_LINES = ["hello world", "Übung macht den Meister", "straße", "the cat sat on the mat"]
UNIGRAM_LINES = [
    "the cat sat on the mat",
    "the cats sat",
    "a dog barked",
    "catalog of cats",
    "dogs and cats",
] * 20
PHONEME_LINES = ["HH AH L OW", "W ER L D", "K AE T", "D AO G", "HH AE T"]


@pytest.fixture(scope="module")
def char_tok() -> Tokenizer:
    return Tokenizer.train(CHAR_LINES, "char", 100)


@pytest.fixture(scope="module")
def unigram_tok() -> Tokenizer:
    return Tokenizer.train(UNIGRAM_LINES, "unigram", 25)


@pytest.fixture(scope="module")
def word_tok() -> Tokenizer:
    return Tokenizer.train(PHONEME_LINES, "word", 100)


# --- char ---------------------------------------------------------------------------------------


def test_special_ids_and_labels(char_tok: Tokenizer) -> None:
    assert (PAD, UNK, BOS, EOS) == (0, 1, 2, 3)
    assert char_tok.labels([PAD, UNK, BOS, EOS]) == ["<pad>", "<unk>", "<s>", "</s>"]


def test_char_model_has_no_dummy_prefix(char_tok: Tokenizer) -> None:
    encoded = char_tok.tokenize("hello")
    assert encoded.pieces == tuple("hello")
    assert WORD_START not in "".join(encoded.pieces)


def test_char_vocab_covers_every_training_character(char_tok: Tokenizer) -> None:
    for ch in set("".join(CHAR_LINES)) - {" "}:
        (idx,) = char_tok.tokenize(ch).ids
        assert idx > EOS and char_tok.labels([idx])[0] == ch


def test_char_space_label_is_open_box(char_tok: Tokenizer) -> None:
    encoded = char_tok.tokenize("a b")
    assert encoded.pieces == ("a", WORD_START, "b")
    assert char_tok.labels(encoded.ids) == ["a", "\u2423", "b"]


@pytest.mark.parametrize("text", ["Übung ß", "straße", "hello world", "the mat"])
def test_char_spans_are_character_offsets(char_tok: Tokenizer, text: str) -> None:
    encoded = char_tok.tokenize(text)
    assert len(encoded.ids) == len(encoded.pieces) == len(encoded.spans) == len(text)
    assert encoded.spans == tuple((i, i + 1) for i in range(len(text)))
    for (start, end), idx in zip(encoded.spans, encoded.ids, strict=True):
        assert char_tok.labels([idx])[0] == ("\u2423" if text[start:end] == " " else text[start:end])


def test_spans_after_multibyte_characters(char_tok: Tokenizer) -> None:
    # "ß" and "Ü" are two UTF-8 bytes each: byte offsets would drift by one per character.
    text = "ßßÜ mat"
    encoded = char_tok.tokenize(text)
    assert encoded.spans[-1] == (6, 7)
    assert [text[a:b] for a, b in encoded.spans] == list(text)


def test_decomposed_character_span_covers_both_code_points(char_tok: Tokenizer) -> None:
    # NFKC turns "U" + combining diaeresis into one "Ü"; its span still points into the original text.
    text = "U\u0308bung"
    encoded = char_tok.tokenize(text)
    assert char_tok.labels(encoded.ids) == list("Übung")
    assert encoded.spans[0] == (0, 2)
    assert encoded.spans[1] == (2, 3)


def test_unknown_character_is_unk_with_its_span(char_tok: Tokenizer) -> None:
    text = "the 文 cat"
    encoded = char_tok.tokenize(text)
    position = text.index("文")
    unk = [i for i, idx in enumerate(encoded.ids) if idx == UNK]
    assert len(unk) == 1
    assert encoded.spans[unk[0]] == (position, position + 1)
    assert char_tok.labels([encoded.ids[unk[0]]])[0] == "<unk>"


def test_emoji_is_one_unknown_character(char_tok: Tokenizer) -> None:
    encoded = char_tok.tokenize("a🙂b")  # four UTF-8 bytes, one character
    assert encoded.ids[1] == UNK
    assert encoded.spans == ((0, 1), (1, 2), (2, 3))


@pytest.mark.parametrize("text", CHAR_LINES)
def test_char_encode_decode_round_trip(char_tok: Tokenizer, text: str) -> None:
    assert char_tok.decode(char_tok.tokenize(text).ids) == text


def test_decode_skips_special_ids(char_tok: Tokenizer) -> None:
    ids = char_tok.tokenize("the cat").ids
    assert char_tok.decode([BOS, *ids, EOS, PAD, PAD]) == "the cat"


def test_save_load_gives_identical_ids(char_tok: Tokenizer, unigram_tok: Tokenizer, tmp_path) -> None:
    for name, tok, text in [("c.spm", char_tok, "Übung macht 文"), ("u.spm", unigram_tok, "the cats barked")]:
        tok.save(tmp_path / name)
        loaded = Tokenizer.load(tmp_path / name, tok.kind)
        assert loaded.proto == tok.proto
        assert loaded.vocab_size == tok.vocab_size
        assert loaded.tokenize(text) == tok.tokenize(text)
        assert loaded.labels(range(tok.vocab_size)) == tok.labels(range(tok.vocab_size))


@pytest.mark.parametrize(
    ("kind", "lines", "size"), [("char", CHAR_LINES, 100), ("unigram", UNIGRAM_LINES, 25)]
)
def test_training_is_deterministic(kind: str, lines: list[str], size: int) -> None:
    first = Tokenizer.train(lines, kind, size)
    second = Tokenizer.train(iter(lines), kind, size)  # any iterable, including a one-shot iterator
    assert first.proto == second.proto


# --- unigram ------------------------------------------------------------------------------------


def test_unigram_has_dummy_prefix(unigram_tok: Tokenizer) -> None:
    assert unigram_tok.tokenize("cats").pieces[0].startswith(WORD_START)


def test_unigram_labels_word_initial_bare_continuation_dotted(unigram_tok: Tokenizer) -> None:
    initial = continuation = 0
    for idx in range(EOS + 1, unigram_tok.vocab_size):
        piece, label = unigram_tok.sp.id_to_piece(idx), unigram_tok.labels([idx])[0]
        if piece == WORD_START:
            assert label == "\u2423"
        elif piece.startswith(WORD_START):
            assert label == piece[1:]
            initial += 1
        else:
            assert label == "\u00b7" + piece
            continuation += 1
    assert initial > 0 and continuation > 0  # both kinds were actually checked


def test_unigram_encoding_labels(unigram_tok: Tokenizer) -> None:
    encoded = unigram_tok.tokenize("catalog cats")
    labels = unigram_tok.labels(encoded.ids)
    assert labels[0] == "cat" and labels[1] == "\u00b7a"
    assert "cats" in labels
    assert unigram_tok.decode(encoded.ids) == "catalog cats"
    # Spans of word pieces still cover the text, in order, without overlaps.
    ends = [end for _, end in encoded.spans]
    assert ends == sorted(ends) and ends[-1] == len("catalog cats")


# --- word ---------------------------------------------------------------------------------------


def test_word_kind_gives_one_piece_per_phoneme(word_tok: Tokenizer) -> None:
    text = "HH AH L OW"
    encoded = word_tok.tokenize(text)
    assert word_tok.labels(encoded.ids) == ["HH", "AH", "L", "OW"]
    assert UNK not in encoded.ids
    # A word piece's span includes the space it stands for; the phoneme itself is what remains.
    assert [text[a:b].strip() for a, b in encoded.spans] == ["HH", "AH", "L", "OW"]
    assert word_tok.decode(encoded.ids) == text


def test_word_kind_unknown_phoneme_is_unk(word_tok: Tokenizer) -> None:
    encoded = word_tok.tokenize("HH ZH OW")
    assert word_tok.labels(encoded.ids) == ["HH", "<unk>", "OW"]


def test_a_small_corpus_gets_the_largest_vocabulary_it_allows():
    words = [f"w{i} x{i % 7} y{i % 13}" for i in range(60)]
    tok = Tokenizer.train(words, "unigram", 4000)  # SentencePiece alone refuses: "set it to <= N"
    assert 10 < tok.vocab_size < 4000
    assert tok.decode(tok.tokenize("w3 x3 y3").ids) == "w3 x3 y3"
