"""Shared fixtures: tiny char tokenizers and tiny seeded models, untrained or briefly trained to reverse.

Sizes are tiny (emb 16, hidden 16) so the whole engine suite runs in seconds on a small CPU.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable

import pytest
import torch
from torch import nn

from attnviz.bundle import Bundle
from attnviz.config import ModelConfig
from attnviz.model import Seq2Seq
from attnviz.tokenizer import PAD, Tokenizer
from attnviz.train import collate

# Models trained by the tests (the Train page's) go to a scratch folder, not the developer's user_models/.
os.environ["ATTNVIZ_USER_MODELS"] = tempfile.mkdtemp(prefix="attnviz-user-models-")

# Tiny models gain nothing from threads, and on a busy 2-core machine spinning threads cost seconds.
torch.set_num_threads(1)

LINES = [
    "hello world",
    "the cat sat",
    "abc def",
    "good morning",
    "a dog",
    "mat",
    "cats and dogs",
    "be",
    "Übung straße",
]


OUTCOME = pytest.StashKey()  # the report of a test's body, for fixtures that act on failure


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[OUTCOME] = report
    return report


def require_or_skip(condition: bool, reason: str) -> None:
    """Skip when a system resource (a Debian package) is absent, unless ATTNVIZ_REQUIRE_ALL=1 (CI)
    demands it: there a skip would hide a missing install step, so it fails instead."""
    if condition:
        return
    if os.environ.get("ATTNVIZ_REQUIRE_ALL") == "1":
        pytest.fail(f"{reason} (required: ATTNVIZ_REQUIRE_ALL=1)")
    pytest.skip(reason)


def make_model(src: Tokenizer, tgt: Tokenizer, attention: str, seed: int = 0, **overrides) -> Seq2Seq:
    """A tiny untrained model in eval mode, seeded."""
    torch.manual_seed(seed)
    config = ModelConfig(
        src_vocab=src.vocab_size,
        tgt_vocab=tgt.vocab_size,
        attention=attention,
        emb=16,
        hidden=16,
        max_tgt_len=12,
        **overrides,
    )
    return Seq2Seq(config).eval()


def _fit_reverse(model: Seq2Seq, src: Tokenizer, tgt: Tokenizer, steps: int = 40) -> Seq2Seq:
    """A few Adam steps on "reverse the string", so that decoding stops at </s> at varied lengths."""
    pairs = [(list(src.tokenize(line).ids), list(tgt.tokenize(line[::-1]).ids)) for line in LINES]
    source, lengths, prev, gold = collate(pairs)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-2)
    loss_fn = nn.CrossEntropyLoss(ignore_index=PAD)
    model.train()
    for _ in range(steps):
        logits = model(source, lengths, prev).logits  # (B, T, V)
        loss = loss_fn(logits.reshape(-1, logits.size(-1)), gold.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


@pytest.fixture(scope="session")
def src_tok() -> Tokenizer:
    return Tokenizer.train(LINES, "char", 100)


@pytest.fixture(scope="session")
def tgt_tok() -> Tokenizer:
    return Tokenizer.train([line[::-1] for line in LINES], "char", 100)


@pytest.fixture(scope="session")
def tiny_model(src_tok: Tokenizer, tgt_tok: Tokenizer) -> Callable[..., Seq2Seq]:
    """Factory: tiny_model(attention, seed=0, **config overrides) -> untrained eval-mode Seq2Seq."""

    def make(attention: str, seed: int = 0, **overrides) -> Seq2Seq:
        return make_model(src_tok, tgt_tok, attention, seed, **overrides)

    return make


@pytest.fixture(scope="session")
def tiny_bundle(src_tok: Tokenizer, tgt_tok: Tokenizer) -> Callable[[str], Bundle]:
    """Factory: tiny_bundle(attention) -> a Bundle briefly trained to reverse strings (cached; read-only)."""
    cache: dict[str, Bundle] = {}

    def make(attention: str) -> Bundle:
        if attention not in cache:
            model = _fit_reverse(make_model(src_tok, tgt_tok, attention, dropout=0.0), src_tok, tgt_tok)
            cache[attention] = Bundle(f"tiny-{attention}", model, src_tok, tgt_tok)
        return cache[attention]

    return make
