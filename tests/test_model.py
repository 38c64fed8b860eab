"""Tests for attnviz.model: shapes, packing and masking, "none" attention, teacher forcing = stepping."""

from __future__ import annotations

import pytest
import torch
from torch.testing import assert_close

from attnviz.config import ATTENTIONS
from attnviz.model import DecoderOutput, Memory, Seq2Seq
from attnviz.tokenizer import BOS, PAD

KINDS = ATTENTIONS  # the four scoring functions and "none"
H = 16


def _batch(model: Seq2Seq, lengths: list[int], T: int, seed: int = 0):
    """Random source ids padded to the longest, and a random target prefix (BOS first)."""
    g = torch.Generator().manual_seed(seed)
    src = torch.full((len(lengths), max(lengths)), PAD, dtype=torch.long)
    for i, n in enumerate(lengths):
        src[i, :n] = torch.randint(4, model.config.src_vocab, (n,), generator=g)
    prev = torch.randint(4, model.config.tgt_vocab, (len(lengths), T), generator=g)
    prev[:, 0] = BOS
    return src, torch.tensor(lengths), prev  # (B, S), (B,), (B, T)


@pytest.mark.parametrize("kind", KINDS)
def test_forward_shapes(tiny_model, kind: str) -> None:
    model = tiny_model(kind)
    src, lengths, prev = _batch(model, [7, 4, 2], T=5)
    with torch.no_grad():
        out = model(src, lengths, prev)
    V = model.config.tgt_vocab
    assert isinstance(out, DecoderOutput)
    assert out.logits.shape == (3, 5, V)
    for name in ("hidden", "context", "attentional"):
        assert getattr(out, name).shape == (3, 5, H), name
    if kind == "none":
        assert out.weights is None and out.scores is None
    else:
        assert out.weights.shape == (3, 5, 7) and out.scores.shape == (3, 5, 7)


def test_logits_for_kept_positions_train_exactly_as_the_full_grid(tiny_model) -> None:
    """Training asks for logits at the real target pieces only; with dropout on, loss and gradients must
    be those of the full (B, T, V) grid with padding ignored."""
    model = tiny_model("dot", dropout=0.3).train()
    src, lengths, prev = _batch(model, [7, 4, 2], T=5)
    gold = torch.randint(4, model.config.tgt_vocab, prev.shape)
    gold[1, 3:] = PAD
    gold[2, 2:] = PAD
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=PAD, label_smoothing=0.1)
    results = []
    for keep in (None, gold != PAD):
        model.zero_grad()
        torch.manual_seed(3)  # the same dropout masks both times
        logits = model(src, lengths, prev, keep=keep).logits
        if keep is None:
            loss = loss_fn(logits.reshape(-1, logits.size(-1)), gold.reshape(-1))
        else:
            assert logits.shape == (int(keep.sum()), model.config.tgt_vocab)
            loss = loss_fn(logits, gold[keep])
        loss.backward()
        results.append((loss.detach(), [p.grad.clone() for p in model.parameters()]))
    (full, full_grads), (kept, kept_grads) = results
    assert_close(kept, full)
    for a, b in zip(kept_grads, full_grads, strict=True):
        assert_close(a, b)


@pytest.mark.parametrize("kind", KINDS)
def test_encode_memory(tiny_model, kind: str) -> None:
    model = tiny_model(kind)
    src, lengths, _ = _batch(model, [6, 3], T=1)
    with torch.no_grad():
        memory = model.encode(src, lengths)
    assert isinstance(memory, Memory)
    assert memory.states.shape == (2, 6, H)
    assert memory.latent.shape == (2, H)
    assert memory.mask.tolist() == [[True] * 6, [True] * 3 + [False] * 3]
    assert (memory.projected is None) == (kind == "none")
    # Packing leaves padded encoder states at exactly zero.
    assert bool((memory.states[1, 3:] == 0.0).all())
    assert bool((memory.latent.abs() <= 1.0).all())  # s_0 = tanh(...)


def test_encoder_final_is_last_forward_and_first_backward_state(tiny_model) -> None:
    model = tiny_model("dot")
    src, lengths, _ = _batch(model, [6, 3, 1], T=1)
    with torch.no_grad():
        states, final = model.encoder(src, lengths)
    half = H // 2
    for b, n in enumerate(lengths.tolist()):
        assert_close(final[b, :half], states[b, n - 1, :half])  # forward direction at h_S
        assert_close(final[b, half:], states[b, 0, half:])  # backward direction at h_1


@pytest.mark.parametrize("kind", KINDS)
def test_padding_does_not_change_a_sentence(tiny_model, kind: str) -> None:
    model = tiny_model(kind)
    src, lengths, prev = _batch(model, [8, 3], T=4)
    with torch.no_grad():
        batch = model(src, lengths, prev)
        alone = model(src[1:, :3], lengths[1:], prev[1:])  # no padding, so no packing
        memory_batch = model.encode(src, lengths)
        memory_alone = model.encode(src[1:, :3], lengths[1:])
    assert_close(memory_batch.states[1, :3], memory_alone.states[0])
    assert_close(memory_batch.latent[1], memory_alone.latent[0])
    assert_close(batch.logits[1], alone.logits[0])
    assert_close(batch.hidden[1], alone.hidden[0])
    assert_close(batch.context[1], alone.context[0])
    if kind != "none":
        assert_close(batch.weights[1, :, :3], alone.weights[0])
        assert_close(batch.scores[1, :, :3], alone.scores[0])
        assert bool((batch.weights[1, :, 3:] == 0.0).all())


def test_none_attention_context_is_the_latent_vector(tiny_model) -> None:
    model = tiny_model("none")
    assert model.decoder.attention is None
    src, lengths, prev = _batch(model, [5, 2], T=6)
    with torch.no_grad():
        memory = model.encode(src, lengths)
        out = model.decoder(prev, memory, memory.latent)
    assert out.weights is None and out.scores is None
    for t in range(6):
        assert torch.equal(out.context[:, t], memory.latent)


@pytest.mark.parametrize("kind", KINDS)
def test_teacher_forcing_equals_stepping(tiny_model, kind: str) -> None:
    model = tiny_model(kind)
    src, lengths, prev = _batch(model, [6, 4], T=5)
    with torch.no_grad():
        memory = model.encode(src, lengths)
        full = model.decoder(prev, memory, memory.latent)
        assert_close(model(src, lengths, prev).logits, full.logits)
        # Both ways of taking one step: forward with T = 1, and step (the GRU cell search.py uses).
        for one_step in (
            lambda t, state: model.decoder(prev[:, t : t + 1], memory, state),
            lambda t, state: model.decoder.step(prev[:, t], memory, state),
        ):
            state = memory.latent  # (B, H) s_0
            for t in range(prev.size(1)):
                step = one_step(t, state)
                state = step.hidden[:, -1]  # carried to the next step
                assert step.logits.shape == (2, 1, model.config.tgt_vocab)
                assert_close(step.logits[:, 0], full.logits[:, t])
                assert_close(step.hidden[:, 0], full.hidden[:, t])
                assert_close(step.context[:, 0], full.context[:, t])
                assert_close(step.attentional[:, 0], full.attentional[:, t])
                if kind != "none":
                    assert_close(step.weights[:, 0], full.weights[:, t])
                    assert_close(step.scores[:, 0], full.scores[:, t])


@pytest.mark.parametrize("kind", ["dot", "concat"])
def test_attentional_vector_is_tanh_of_combined(tiny_model, kind: str) -> None:
    model = tiny_model(kind)
    src, lengths, prev = _batch(model, [4, 4], T=3)
    with torch.no_grad():
        out = model(src, lengths, prev)
        W_c = model.decoder.combine
        expected = torch.tanh(torch.cat([out.context, out.hidden], dim=-1) @ W_c.weight.T + W_c.bias)
        assert_close(out.attentional, expected)
        assert_close(out.logits, model.decoder.out(out.attentional))


def test_eval_mode_is_deterministic_and_train_mode_uses_dropout(tiny_model) -> None:
    model = tiny_model("dot", dropout=0.5)
    src, lengths, prev = _batch(model, [5, 5], T=4)
    with torch.no_grad():
        first, second = model(src, lengths, prev).logits, model(src, lengths, prev).logits
        assert torch.equal(first, second)
        model.train()
        torch.manual_seed(1)
        dropped = model(src, lengths, prev).logits
        model.eval()
    assert not torch.allclose(first, dropped)


def test_same_seed_same_weights(tiny_model) -> None:
    a, b, c = tiny_model("general", seed=3), tiny_model("general", seed=3), tiny_model("general", seed=4)
    for name, tensor in a.state_dict().items():
        assert torch.equal(tensor, b.state_dict()[name]), name
    assert not all(torch.equal(t, c.state_dict()[n]) for n, t in a.state_dict().items())


def test_tied_output_layer_is_the_target_embedding_matrix(tiny_model) -> None:
    untied, tied = tiny_model("dot"), tiny_model("dot", tie_output=True)
    embed = tied.decoder.embed
    assert tied.decoder.out.matrix().data_ptr() == embed.weight.data_ptr()  # shared, not copied
    V, H = embed.weight.shape
    assert sum(p.numel() for p in untied.parameters()) - sum(p.numel() for p in tied.parameters()) == V * H
    assert "decoder.out.weight" not in tied.state_dict() and "decoder.out.weight" in untied.state_dict()
    src, lengths, prev = _batch(tied, [4, 3], T=3)
    out = tied(src, lengths, prev)
    assert_close(out.logits, out.attentional @ embed.weight.T + tied.decoder.out.bias)
    # The output layer's gradient reaches the embedding rows of pieces never fed to the decoder.
    out.logits.sum().backward()
    unseen = sorted(set(range(4, V)) - set(prev.flatten().tolist()))
    assert unseen and bool((embed.weight.grad[unseen].abs().sum(1) > 0).all())
