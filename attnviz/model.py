"""The RNN encoder-decoder with attention (Luong et al. 2015, without input feeding).

Shape legend: B batch, S source length, T target length, E embedding, H hidden, V target vocab.
The encoder is a bidirectional GRU whose two directions together give H-dim states h_1..h_S; its final
states, through a small bridge, become the decoder's first state - the "latent vector" of plain seq2seq.
The decoder state s_t depends only on s_{t-1} and the previous word, so in training the decoder GRU runs
over the whole target in one call and attention is computed for all steps at once.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from attnviz.attention import Attention, Edit
from attnviz.config import ModelConfig
from attnviz.tokenizer import PAD


class Memory(NamedTuple):
    """What the decoder reads from the encoder, for a batch of source sentences."""

    states: Tensor  # (B, S, H)  encoder states h_1..h_S
    projected: Tensor | None  # (B, S, H)  the step-independent part of the scores
    mask: Tensor  # (B, S)  True at real source positions
    latent: Tensor  # (B, H)  the decoder's first state s_0, the whole sentence in one vector


class DecoderOutput(NamedTuple):
    """Every number of one or more decoder steps; for "none" attention, weights/scores are None."""

    logits: Tensor  # (B, T, V); (N, V) when only some positions were asked for (Decoder.read_out)
    hidden: Tensor  # (B, T, H)  decoder states s_t
    context: Tensor  # (B, T, H)  c_t
    attentional: Tensor  # (B, T, H)  tanh(W_c [c_t; s_t])
    weights: Tensor | None  # (B, T, S)
    scores: Tensor | None  # (B, T, S)


class Encoder(nn.Module):
    """Embeddings and a bidirectional GRU: one state per source piece."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.embed = nn.Embedding(config.src_vocab, config.emb, padding_idx=PAD)
        self.rnn = nn.GRU(config.emb, config.hidden // 2, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, src: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """src (B, S) ids; lengths (B,). Returns states (B, S, H) and final (B, H)."""
        x = self.dropout(self.embed(src))  # (B, S, E)
        if bool((lengths == src.size(1)).all()):
            states, h_n = self.rnn(x)  # no padding, so no packing (the common batch-of-one case)
        else:
            packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
            out, h_n = self.rnn(packed)
            states, _ = pad_packed_sequence(out, batch_first=True, total_length=src.size(1))
        # states (B, S, H); h_n (2, B, H/2): forward direction's last, backward direction's first
        final = torch.cat([h_n[0], h_n[1]], dim=-1)  # (B, H)
        return states, final


class Decoder(nn.Module):
    """A GRU over target pieces, attention over the encoder states, and the output layer."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        H = config.hidden
        self.embed = nn.Embedding(config.tgt_vocab, config.emb, padding_idx=PAD)
        if config.tie_output:  # N(0, 1) rows would start the logits at a spread of about 10
            with torch.no_grad():
                nn.init.normal_(self.embed.weight, std=H**-0.5)[PAD].zero_()
        self.rnn = nn.GRU(config.emb, H, batch_first=True)
        self.bridge = nn.Linear(H, H)
        self.attention = None if config.attention == "none" else Attention(config.attention, H)
        self.combine = nn.Linear(2 * H, H)  # W_c
        self.out = OutputLayer(H, config.tgt_vocab, self.embed if config.tie_output else None)
        self.dropout = nn.Dropout(config.dropout)

    def init_state(self, final: Tensor) -> Tensor:
        """s_0 = tanh(W_b [h_S->; h_1<-]): the encoder's summary becomes the decoder's first state."""
        return torch.tanh(self.bridge(final))  # (B, H)

    def forward(
        self, prev: Tensor, memory: Memory, state: Tensor, keep: Tensor | None = None
    ) -> DecoderOutput:
        """All steps at once (teacher forcing): prev (B, T) previous pieces, BOS first; state (B, H).
        keep (B, T), if given, marks each row's real pieces (a prefix): the GRU runs over those only
        (padded states come back as zeros) and logits come back for those only, see read_out."""
        x = self.dropout(self.embed(prev))  # (B, T, E)
        if keep is None or bool(keep.all()):
            hidden, _ = self.rnn(x, state.unsqueeze(0))  # (B, T, H)
        else:
            packed = pack_padded_sequence(x, keep.sum(1).cpu(), batch_first=True, enforce_sorted=False)
            out, _ = self.rnn(packed, state.unsqueeze(0))
            hidden, _ = pad_packed_sequence(out, batch_first=True, total_length=prev.size(1))
        return self.read_out(hidden, memory, keep)

    def step(self, prev: Tensor, memory: Memory, state: Tensor, edit: Edit | None = None) -> DecoderOutput:
        """One step: prev (B,) the previous piece, state (B, H) s_{t-1}. Same math as forward with T = 1,
        calling the GRU cell directly: nn.GRU's per-call overhead is a third of a step's time. edit: a
        change to the step's attention weights (attnviz.intervene), or None."""
        x = self.dropout(self.embed(prev))  # (B, E)
        rnn = self.rnn
        hidden = torch.gru_cell(x, state, rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0)
        return self.read_out(hidden.unsqueeze(1), memory, edit=edit)  # hidden (B, 1, H)

    def read_out(
        self, hidden: Tensor, memory: Memory, keep: Tensor | None = None, edit: Edit | None = None
    ) -> DecoderOutput:
        """From decoder states s_t (B, T, H): attention, the attentional vector, and the logits.

        With keep (B, T), logits are (N, V) for the N kept positions only. Training keeps the real target
        pieces: about 40% of a de-en batch's target positions are padding, and the output layer is the
        largest matrix product. Dropout still runs over every position (the same random masks), so the
        kept logits are the same values as the full grid's, up to rounding."""
        if self.attention is None:
            # Without attention the context is the same fixed latent vector at every step.
            context = memory.latent.unsqueeze(1).expand_as(hidden)  # (B, T, H)
            weights = scores = None
        else:
            context, weights, scores = self.attention(
                hidden, memory.states, memory.projected, memory.mask, edit
            )
        # 4) attentional = tanh(W_c [c_t; s_t]), then a linear layer to the vocabulary
        attentional = torch.tanh(self.combine(torch.cat([context, hidden], dim=-1)))  # (B, T, H)
        dropped = self.dropout(attentional)  # (B, T, H)
        logits = self.out(dropped if keep is None else dropped[keep])  # (B, T, V) or (N, V)
        return DecoderOutput(logits, hidden, context, attentional, weights, scores)


class OutputLayer(nn.Module):
    """logits = attentional @ W_out + b, with W_out stored (H, V) rather than nn.Linear's (V, H).

    One decoding step multiplies a single vector by W_out; on a CPU that reads the (H, V) layout
    about 1.5x faster, and this layer is the largest part of a step (bench/trace_latency.py).
    Tied (ModelConfig.tie_output), W_out is the target embedding matrix transposed, and only b is this
    layer's own: the embedding is kept out of this module's parameters so that it is saved once. That
    W_out is a view of (V, H) storage; a tied de-en trace measured no slower than with a contiguous copy.
    """

    def __init__(self, hidden: int, vocab: int, tied: nn.Embedding | None = None) -> None:
        super().__init__()
        bound = 1.0 / hidden**0.5  # nn.Linear's default initialisation
        self.tied = (tied,) if tied is not None else ()  # a tuple hides it from nn.Module's registry
        if tied is None:
            self.weight = nn.Parameter(torch.empty(hidden, vocab).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(vocab).uniform_(-bound, bound))

    def matrix(self) -> Tensor:
        """W_out (H, V)."""
        return self.tied[0].weight.t() if self.tied else self.weight

    def forward(self, attentional: Tensor) -> Tensor:
        return attentional @ self.matrix() + self.bias  # (B, T, H) @ (H, V) -> (B, T, V)


class Seq2Seq(nn.Module):
    """Encoder + decoder. `forward` is teacher-forced training; search.py decodes step by step."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = Encoder(config)
        self.decoder = Decoder(config)

    def parameter_count(self) -> int:
        """Trainable numbers in the model (a tied output layer's matrix is counted once)."""
        return sum(p.numel() for p in self.parameters())

    def encode(self, src: Tensor, lengths: Tensor) -> Memory:
        """src (B, S) padded ids, lengths (B,) -> the decoder's view of the source."""
        states, final = self.encoder(src, lengths)  # (B, S, H), (B, H)
        mask = torch.arange(src.size(1), device=src.device)[None, :] < lengths[:, None]  # (B, S)
        attention = self.decoder.attention
        projected = None if attention is None else attention.project_keys(states)
        return Memory(states, projected, mask, self.decoder.init_state(final))

    def forward(
        self, src: Tensor, lengths: Tensor, prev: Tensor, keep: Tensor | None = None
    ) -> DecoderOutput:
        """Teacher forcing: prev (B, T) is the target shifted right (BOS first); keep (B, T) as in
        Decoder.read_out."""
        memory = self.encode(src, lengths)
        return self.decoder(prev, memory, memory.latent, keep)
