"""explore: each test sentence's scores, AER and coverage flags, recomputed from the model's own numbers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from attnviz import align, evaluate, explain, explore, metrics, search
from attnviz.config import TrainConfig
from attnviz.evaluate import _gold, load_corpus
from attnviz.intervene import Intervention
from attnviz.tasks import Pair


@pytest.fixture
def bundle(tiny_bundle):
    return dataclasses.replace(tiny_bundle("dot"), train_config=TrainConfig(task="reverse", data_size=200))


def test_each_row_is_recomputed_from_its_own_translation(bundle):
    pairs = list(load_corpus(bundle).test)
    gold = _gold(bundle, pairs)
    rows = explore.rows(bundle, pairs, gold)
    assert [r.index for r in rows] == list(range(1, len(pairs) + 1))
    for row, pair in zip(rows, pairs, strict=True):
        trace = search.translate(bundle, pair.source)
        assert row.output == trace.translation and row.source == pair.source
        assert row.score == (100.0 if trace.translation == pair.target else 0.0)  # reverse: exact match
        assert row.chrf == pytest.approx(metrics.sentence_chrf(trace.translation, pair.target))
        assert row.entropy == pytest.approx(float(explain.entropy(trace).mean()), abs=1e-6)
        k = gold.pairs.index(pair)
        aer = metrics.alignment_scores(
            [gold.attention(align.Extraction(), k)], [gold.sure[k]], [gold.possible[k]]
        )
        assert row.aer == pytest.approx(aer["aer"])
        total = explain.coverage(trace)
        assert len(row.unattended) == int((total < explore.UNATTENDED).sum())
        assert len(row.overattended) == int((total > explore.OVERATTENDED).sum())


def test_without_gold_there_is_no_aer(bundle):
    rows = explore.rows(bundle, [Pair("abc", "cba")])
    assert rows[0].aer is None


def test_flags_name_the_pieces_with_their_positions(bundle):
    trace = search.translate(bundle, "abca")
    weights = np.zeros_like(trace.weights)
    weights[:, 0] = 1.0  # every step on the first piece: the rest never attended
    flagged = dataclasses.replace(trace, weights=weights)
    never, again = explore.flags(flagged)
    pieces = trace.source_pieces
    assert never == tuple(f"{p}@{i + 1}" for i, p in enumerate(pieces) if i > 0)
    assert again == ((f"{pieces[0]}@1",) if len(weights) > explore.OVERATTENDED else ())


def test_sentence_bleu_is_sacrebleu_s_sentence_score():
    assert metrics.sentence_bleu("the cat sat", "the cat sat") == pytest.approx(100.0)
    assert 0.0 < metrics.sentence_bleu("the cat sat down", "the cat sat") < 100.0


def test_faithfulness_scores_the_split_under_each_changed_attention(bundle):
    pairs = list(load_corpus(bundle).test)[:8]
    found = evaluate.faithfulness(bundle, pairs)
    assert list(found) == list(evaluate.FAITHFULNESS)
    refs = [p.target for p in pairs]
    own = [t.translation for t in search.translate_batch(bundle, [p.source for p in pairs])]
    assert found["attention"]["exact_match"] == metrics.exact_match(own, refs)
    uniform = search.translate_batch(bundle, [p.source for p in pairs], intervention=Intervention("uniform"))
    for trace in uniform:
        np.testing.assert_allclose(trace.weights, 1.0 / len(trace.source_pieces), atol=1e-6)
        assert trace.intervention["kind"] == "uniform"
    assert found["uniform"]["chrf"] == metrics.chrf([t.translation for t in uniform], refs)
