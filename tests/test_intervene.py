"""What-if interventions on the attention: each kind does what it says to the weights, the context is
formed from the changed weights, steps before the change are untouched, and the Trace records it."""

from __future__ import annotations

import numpy as np
import pytest

from attnviz import search
from attnviz.intervene import Intervention, InterventionError
from attnviz.trace import Trace

TEXT = "hello world"


@pytest.fixture
def bundle(tiny_bundle):
    return tiny_bundle("general")


def test_a_forced_step_is_one_hot_and_its_context_is_that_encoder_state(bundle):
    base = search.translate(bundle, TEXT)
    trace = search.translate(bundle, TEXT, intervention=Intervention("force", step=2, piece=3))
    np.testing.assert_array_equal(trace.weights[1], np.eye(len(trace.source_pieces))[2])
    np.testing.assert_allclose(trace.context[1], trace.encoder_states[2], atol=1e-6)
    # Step 1 is untouched: the same numbers as without the intervention.
    np.testing.assert_allclose(trace.weights[0], base.weights[0], atol=1e-6)
    np.testing.assert_allclose(trace.hidden[0], base.hidden[0], atol=1e-6)
    assert trace.target_ids[0] == base.target_ids[0]
    # The scores stay the model's own: their softmax is the weights it would have used.
    np.testing.assert_allclose(trace.own_weights()[1], base.weights[1], atol=1e-5)
    assert trace.intervention == {"kind": "force", "step": 2, "piece": 3, "weights": [], "seed": 0}


def test_masking_gives_the_piece_zero_weight_at_every_step_and_renormalises_the_rest(bundle):
    trace = search.translate(bundle, TEXT, intervention=Intervention("mask", piece=1))
    assert (trace.weights[:, 0] == 0).all()
    np.testing.assert_allclose(trace.weights.sum(axis=1), 1.0, atol=1e-5)
    own = trace.own_weights()
    for t in range(trace.num_steps):  # the rest keep their proportions
        expected = own[t, 1:] / own[t, 1:].sum()
        np.testing.assert_allclose(trace.weights[t, 1:], expected, atol=1e-5)
    np.testing.assert_allclose(trace.context, trace.weights @ trace.encoder_states, atol=1e-5)


def test_uniform_permuted_hard_and_edited_attention(bundle):
    S = len(search.translate(bundle, TEXT).source_pieces)
    uniform = search.translate(bundle, TEXT, intervention=Intervention("uniform"))
    np.testing.assert_allclose(uniform.weights, 1.0 / S, atol=1e-6)
    hard = search.translate(bundle, TEXT, intervention=Intervention("hard"))
    own = hard.own_weights()
    np.testing.assert_array_equal(hard.weights, np.eye(S)[own.argmax(axis=1)])
    permuted = search.translate(bundle, TEXT, intervention=Intervention("permute", seed=3))
    np.testing.assert_allclose(
        np.sort(permuted.weights, axis=1), np.sort(permuted.own_weights(), axis=1), atol=1e-5
    )
    assert not np.allclose(permuted.weights, permuted.own_weights())
    again = search.translate(bundle, TEXT, intervention=Intervention("permute", seed=3))
    np.testing.assert_array_equal(again.weights, permuted.weights)  # seeded
    wanted = tuple(float(i + 1) for i in range(S))
    edited = search.translate(bundle, TEXT, intervention=Intervention("edit", step=1, weights=wanted))
    np.testing.assert_allclose(edited.weights[0], np.array(wanted) / sum(wanted), atol=1e-6)


def test_a_batch_changes_each_sentence_within_its_own_length(bundle):
    texts = ["hi", "hello world"]
    ids = [list(search.read_source(bundle, t).tokens.ids) for t in texts]
    paths = search.greedy_paths(bundle.model, ids, 12, intervention=Intervention("uniform"))
    for path, source in zip(paths, ids, strict=True):
        np.testing.assert_allclose(path.arrays["weights"], 1.0 / len(source), atol=1e-6)


def test_beam_search_takes_an_intervention_too(bundle):
    trace = search.translate(bundle, TEXT, beam=3, intervention=Intervention("force", step=1, piece=2))
    for hyp in trace.hypotheses:
        assert hyp.weights[0, 1] == 1.0 and hyp.intervention["kind"] == "force"


def test_the_trace_round_trips_with_its_intervention(bundle):
    trace = search.translate(bundle, TEXT, intervention=Intervention("mask", step=1, piece=2))
    back = Trace.from_json(trace.to_json())
    assert back.intervention == trace.intervention
    np.testing.assert_array_equal(back.weights, trace.weights)


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda: Intervention("blur"), "unknown intervention"),
        (lambda: Intervention("force", step=0, piece=1), "step must be"),
        (lambda: Intervention("force", step=1), "needs a source piece"),
        (lambda: Intervention("uniform", piece=2), "takes no source piece"),
        (lambda: Intervention("edit", weights=(0.0, 0.0)), "not all zero"),
        (lambda: Intervention("edit", weights=(1.0, float("nan"))), "one number per source piece"),
        (lambda: Intervention.from_dict({"kind": "mask", "piece": 1, "evil": 1}), "an intervention is"),
    ],
)
def test_bad_interventions_say_why(make, said):
    with pytest.raises(InterventionError, match=said):
        make()


def test_an_intervention_must_fit_the_sentence_and_the_model(bundle, tiny_bundle):
    with pytest.raises(InterventionError, match="no source piece 99"):
        search.translate(bundle, TEXT, intervention=Intervention("force", step=1, piece=99))
    with pytest.raises(InterventionError, match="3 weights given"):
        search.translate(bundle, TEXT, intervention=Intervention("edit", weights=(1.0, 1.0, 1.0)))
    with pytest.raises(InterventionError, match="no attention"):
        search.translate(tiny_bundle("none"), TEXT, intervention=Intervention("uniform"))
