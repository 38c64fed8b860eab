"""Greedy and beam decoding that record every number of every decoder step into a Trace.

Shape legend: B batch (or beam), S source length, T steps, H hidden, V target vocab, K top-k.
Greedy decoding is batched (evaluation decodes many sentences at once); the single-sentence trace is
the same code with B = 1, so the two agree by construction and by test.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from attnviz import checks
from attnviz.attention import Edit
from attnviz.bundle import Bundle
from attnviz.intervene import Intervention, InterventionError
from attnviz.model import DecoderOutput, Memory, Seq2Seq
from attnviz.tokenizer import BOS, EOS, PAD, Tokens
from attnviz.trace import Trace

MAX_INPUT_CHARS = 2000
TOP_K = 10


class InputError(ValueError):
    """Input that cannot be translated; the message is meant for the user."""


def check_sentence(text: str) -> str:
    """Return `text` tidied for the model, or raise InputError saying what is wrong with it."""
    if not isinstance(text, str):
        raise InputError("input must be text")
    try:
        text.encode("utf-8")  # lone surrogates: what undecodable bytes become under surrogateescape
    except UnicodeEncodeError:
        raise InputError("input is not valid UTF-8 text") from None
    if "\x00" in text or "\ufffd" in text:
        raise InputError("input looks binary or is not valid UTF-8 text")
    controls = sum(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in text)
    if controls > 0:
        raise InputError(f"input contains {controls} control character(s); is it binary?")
    text = " ".join(text.split())  # newlines and runs of spaces become single spaces
    if not text:
        raise InputError("input is empty: type a sentence")
    if len(text) > MAX_INPUT_CHARS:
        raise InputError(
            f"input is {len(text):,} characters long; the limit is {MAX_INPUT_CHARS:,} characters"
        )
    return text


@dataclass(frozen=True)
class Source:
    """A checked sentence cut into at most max_src_len pieces."""

    text: str
    tokens: Tokens
    cut: int  # pieces dropped from the end


def read_source(bundle: Bundle, text: str) -> Source:
    """`text` checked (search.check_sentence), read as the model's task reads it, and tokenized."""
    text = checks.normalise(bundle, check_sentence(text))  # caseless tasks fold case first
    tokens = bundle.src.tokenize(text)
    if not tokens.ids:  # e.g. only zero-width or direction marks, which normalisation removes
        raise InputError("input has no characters the model can read: type a sentence")
    limit = bundle.config.max_src_len
    cut = max(0, len(tokens.ids) - limit)
    if cut:
        end = tokens.spans[limit - 1][1]
        tokens = Tokens(tokens.ids[:limit], tokens.pieces[:limit], tokens.spans[:limit])
        text = text[:end].rstrip()
    return Source(text, tokens, cut)


def _batch(sources: list[list[int]]) -> tuple[Tensor, Tensor]:
    lengths = torch.tensor([len(s) for s in sources])
    src = torch.full((len(sources), int(lengths.max())), PAD, dtype=torch.long)
    for i, ids in enumerate(sources):
        src[i, : len(ids)] = torch.tensor(ids)
    return src, lengths  # (B, S), (B,)


@dataclass
class _Path:
    """One decoded hypothesis as stacked step arrays (internal; becomes a Trace)."""

    tokens: list[int]  # (T,) emitted pieces
    arrays: dict[str, np.ndarray]  # hidden, context, attentional (T, H); weights, scores (T, S)
    topk_ids: np.ndarray  # (T, K)
    topk_log_probs: np.ndarray  # (T, K)
    log_probs: np.ndarray  # (T,) of the emitted pieces
    finished: bool  # ended with </s>
    encoder_states: np.ndarray  # (S, H)
    latent: np.ndarray  # (H,)
    keys: np.ndarray  # (S, H) the encoder side of the score (Memory.projected); (0, 0) without attention


def _keys(memory: Memory, b: int, S: int) -> np.ndarray:
    return np.zeros((0, 0), np.float32) if memory.projected is None else memory.projected[b, :S].numpy()


_VECTORS = ("hidden", "context", "attentional", "weights", "scores")


def _step_arrays(out: DecoderOutput) -> dict[str, Tensor]:
    """The last step of a decoder output, per row: (B, H) vectors and (B, S) weights and scores."""
    B = out.hidden.size(0)
    return {
        name: torch.zeros(B, 0) if getattr(out, name) is None else getattr(out, name)[:, -1]
        for name in _VECTORS
    }


def _edit(intervention: Intervention | None, t: int) -> Edit | None:
    """Step t's (0-based) change to the attention weights, or None where the step is left alone."""
    if intervention is None or not intervention.acts_at(t):
        return None
    return lambda weights, mask: intervention.apply(weights, mask, t)


@torch.inference_mode()
def greedy_paths(
    model: Seq2Seq,
    sources: list[list[int]],
    max_len: int,
    forced: list[int] | None = None,
    intervention: Intervention | None = None,
) -> list[_Path]:
    """Greedy decoding of a batch; each sentence stops at its own </s>.

    forced (one sentence only): feed these target pieces, then </s>, instead of the model's choices -
    forced decoding, which shows the attention and the probabilities the model gives a known answer.
    intervention: change the attention at its step(s) and decode on from there (attnviz.intervene)."""
    src, lengths = _batch(sources)
    memory = model.encode(src, lengths)
    B = src.size(0)
    if forced is not None:
        assert B == 1, "forced decoding is one sentence at a time"
        max_len = len(forced) + 1
    state = memory.latent  # (B, H)
    prev = torch.full((B,), BOS, dtype=torch.long)
    steps: list[dict[str, Tensor]] = []
    log_probs: list[Tensor] = []
    chosen: list[Tensor] = []
    done = torch.zeros(B, dtype=torch.bool)
    for t in range(max_len):
        out = model.decoder.step(prev, memory, state, _edit(intervention, t))
        state = out.hidden[:, -1]  # (B, H)
        logp = torch.log_softmax(out.logits[:, -1], dim=-1)  # (B, V)
        if forced is None:
            prev = logp.argmax(dim=-1)  # (B,) the most probable piece
        else:
            prev = torch.tensor([forced[t] if t < len(forced) else EOS])  # (1,) the given piece
        steps.append(_step_arrays(out))
        log_probs.append(logp)
        chosen.append(prev)
        done |= prev == EOS
        if bool(done.all()):
            break
    stacked = {n: torch.stack([s[n] for s in steps], dim=1).numpy() for n in _VECTORS}  # (B, T, .)
    logp_all = torch.stack(log_probs, dim=1)  # (B, T, V)
    top_logp, top_ids = logp_all.topk(min(TOP_K, logp_all.size(-1)), dim=-1)  # (B, T, K)
    tokens = torch.stack(chosen, dim=1)  # (B, T) the pieces actually fed back
    chosen_logp = logp_all.gather(2, tokens.unsqueeze(-1)).squeeze(-1).numpy()  # (B, T)
    tokens, top_logp, top_ids = tokens.numpy(), top_logp.numpy(), top_ids.numpy()
    paths = []
    for b in range(B):
        eos = np.flatnonzero(tokens[b] == EOS)
        T = int(eos[0]) + 1 if eos.size else tokens.shape[1]
        S = int(lengths[b])
        arrays = {n: v[b, :T] for n, v in stacked.items()}
        arrays["weights"], arrays["scores"] = arrays["weights"][:, :S], arrays["scores"][:, :S]
        paths.append(
            _Path(
                tokens[b, :T].tolist(),
                arrays,
                top_ids[b, :T],
                top_logp[b, :T],
                chosen_logp[b, :T],
                bool(eos.size),
                memory.states[b, :S].numpy(),
                memory.latent[b].numpy(),
                _keys(memory, b, S),
            )
        )
    return paths


@torch.inference_mode()
def beam_paths(
    model: Seq2Seq,
    source: list[int],
    k: int,
    max_len: int,
    alpha: float,
    intervention: Intervention | None = None,
) -> list[_Path]:
    """Beam search for one sentence (Graves 2012; length-normalized scores score / T**alpha).

    Returns up to k hypotheses, best normalized score first.
    """
    src, lengths = _batch([source])
    memory = model.encode(src, lengths)
    live_memory = memory
    scores = torch.zeros(1)  # (n,) running log-prob of each live hypothesis
    state = memory.latent  # (n, H)
    prev = torch.full((1,), BOS, dtype=torch.long)
    history: list[tuple[dict[str, Tensor], Tensor]] = []  # per step: live rows' arrays, log-probs
    origins: list[tuple[list[int], list[int]]] = [([], [])]  # per step: live rows' parent, token
    finished: list[tuple[float, int, int, int]] = []  # (normalized score, step, row, token)
    for t in range(max_len):
        out = model.decoder.step(prev, live_memory, state, _edit(intervention, t))
        logp = torch.log_softmax(out.logits[:, -1], dim=-1)  # (n, V)
        history.append((_step_arrays(out), logp))
        V = logp.size(1)
        total = (scores[:, None] + logp).reshape(-1)  # (n * V,)
        best, flat = total.topk(min(2 * k, total.numel()))
        keep: list[tuple[float, int, int]] = []
        for rank, (score, index) in enumerate(zip(best.tolist(), flat.tolist(), strict=True)):
            row, token = divmod(index, V)
            if token == EOS or t == max_len - 1:
                # Only an ending among the k best candidates counts (as in fairseq); the rest of the
                # 2k are there to refill the beam, and their endings are mostly noise.
                if rank < k:
                    finished.append((score / (t + 1) ** alpha, t, row, token))
            elif len(keep) < k:
                keep.append((score, row, token))
        finished = sorted(finished, key=lambda f: -f[0])[:k]
        # Stop when k hypotheses are finished and the best live one already scores below them all.
        if not keep or (len(finished) == k and keep[0][0] / (t + 1) ** alpha < finished[-1][0]):
            break
        scores = torch.tensor([s for s, _, _ in keep])
        parents = [r for _, r, _ in keep]
        origins.append((parents, [tok for _, _, tok in keep]))
        state = out.hidden[:, -1][parents]  # (n, H)
        prev = torch.tensor([tok for _, _, tok in keep])  # (n,)
        if live_memory.states.size(0) != len(keep):
            live_memory = Memory(*(None if m is None else m.expand(len(keep), *m.shape[1:]) for m in memory))
    return [_backtrack(history, origins, memory, t, row, token) for _, t, row, token in finished[:k]]


def _backtrack(history, origins, memory: Memory, t: int, row: int, token: int) -> _Path:
    """Follow parent rows back from (step t, row) to rebuild one hypothesis's steps."""
    steps = [(t, row, token)]
    while t > 0:
        parents, tokens = origins[t]  # live row `row` at step t extended row parents[row] at t-1
        steps.append((t - 1, parents[row], tokens[row]))
        row = parents[row]
        t -= 1
    steps.reverse()
    arrays = {n: np.stack([history[s][0][n][r].numpy() for s, r, _ in steps]) for n in _VECTORS}
    logp = torch.stack([history[s][1][r] for s, r, _ in steps])  # (T, V)
    top_logp, top_ids = logp.topk(min(TOP_K, logp.size(-1)), dim=-1)  # (T, K)
    tokens = [tok for _, _, tok in steps]
    chosen = logp.gather(1, torch.tensor(tokens)[:, None])[:, 0]  # (T,)
    return _Path(
        tokens,
        arrays,
        top_ids.numpy(),
        top_logp.numpy(),
        chosen.numpy(),
        tokens[-1] == EOS,
        memory.states[0].numpy(),
        memory.latent[0].numpy(),
        _keys(memory, 0, memory.states.size(1)),
    )


@torch.inference_mode()
def _score_parts(model: Seq2Seq, hidden: np.ndarray) -> dict:
    """The decoder side of the score for every step (attention.ScoreParts), computed by the model's
    own attention module from the recorded states s_t."""
    attention = model.decoder.attention
    if attention is None:
        return {"score_queries": np.zeros((len(hidden), 0), np.float32)}
    parts = attention.parts(torch.from_numpy(hidden)[None])  # queries (1, T, H)
    return {
        "score_queries": parts.queries[0].numpy(),
        "score_v": parts.v.numpy().copy(),
        "score_scale": float(parts.scale),
    }


def _to_trace(
    bundle: Bundle, source: Source, path: _Path, alpha: float, intervention: dict | None = None
) -> Trace:
    tgt = bundle.tgt
    score = float(path.log_probs.sum())
    T = len(path.tokens)
    return Trace(
        model=bundle.name,
        attention=bundle.config.attention,
        source=source.text,
        source_pieces=tuple(bundle.src.labels(source.tokens.ids)),
        source_ids=np.asarray(source.tokens.ids, dtype=np.int64),
        target_pieces=tuple(tgt.labels(path.tokens)),
        target_ids=np.asarray(path.tokens, dtype=np.int64),
        translation=tgt.decode(path.tokens),
        encoder_states=path.encoder_states,
        latent=path.latent,
        log_probs=path.log_probs.astype(np.float32),
        topk_ids=path.topk_ids.astype(np.int64),
        topk_pieces=tuple(tuple(tgt.labels(row)) for row in path.topk_ids.tolist()),
        topk_probs=np.exp(path.topk_log_probs).astype(np.float32),
        score=score,
        normalized_score=score / T**alpha,
        finished=path.finished,
        cut=source.cut,
        intervention=intervention,
        score_keys=path.keys,
        **_score_parts(bundle.model, path.arrays["hidden"]),
        **path.arrays,
    )


def translate(
    bundle: Bundle,
    text: str,
    *,
    beam: int = 1,
    alpha: float = 1.0,
    intervention: Intervention | None = None,
) -> Trace:
    """Translate one sentence into a full Trace; with beam > 1 it also holds every hypothesis. With an
    intervention, the attention is changed as it says and the model decodes on; the Trace records it."""
    source = read_source(bundle, text)
    if intervention is not None:
        if bundle.config.attention == "none":
            raise InterventionError("this model has no attention to change")
        intervention.check(len(source.tokens.ids))
    return _translate(bundle, source, beam, alpha, intervention)


def _translate(
    bundle: Bundle, source: Source, beam: int, alpha: float, intervention: Intervention | None = None
) -> Trace:
    max_len = bundle.config.max_tgt_len
    said = intervention.to_dict() if intervention is not None else None
    if beam <= 1:
        (path,) = greedy_paths(bundle.model, [list(source.tokens.ids)], max_len, intervention=intervention)
        return _to_trace(bundle, source, path, alpha, said)
    paths = beam_paths(bundle.model, list(source.tokens.ids), beam, max_len, alpha, intervention)
    traces = tuple(_to_trace(bundle, source, p, alpha, said) for p in paths)
    return dataclasses.replace(traces[0], hypotheses=traces)


def force(bundle: Bundle, text: str, reference: str) -> Trace:
    """Forced decoding: the Trace of the model producing `reference` for `text`, piece by piece.

    At each step the decoder is fed the reference's previous piece (not its own choice), so the weights
    are the attention the model would use to write that translation, and log_probs[t] is log p of the
    reference's piece t (the last step: of </s>). The top-k still lists what the model itself preferred.
    evaluate.forced_weights gets the same weights for a whole corpus from one batched teacher-forced
    forward pass; this is the one-sentence path that records every number, step by step.
    """
    source = read_source(bundle, text)
    try:
        reference = check_sentence(reference)
    except InputError as err:
        raise InputError(f"the reference: {err}") from None
    ids = bundle.tgt.tokenize(reference).ids
    if not ids:
        raise InputError("the reference has no characters the model can write")
    ids = list(ids[: bundle.config.max_tgt_len - 1])
    (path,) = greedy_paths(bundle.model, [list(source.tokens.ids)], bundle.config.max_tgt_len, forced=ids)
    return _to_trace(bundle, source, path, alpha=1.0)


def translate_batch(
    bundle: Bundle,
    texts: list[str],
    *,
    beam: int = 1,
    alpha: float = 1.0,
    batch_size: int = 64,
    intervention: Intervention | None = None,
) -> list[Trace]:
    """Translate many sentences (greedy in length-sorted batches; beam one at a time), each with the
    attention changed as `intervention` says if one is given (one that names no piece or weights: it
    must fit every sentence)."""
    sources = [read_source(bundle, text) for text in texts]
    if intervention is not None:
        if bundle.config.attention == "none":
            raise InterventionError("this model has no attention to change")
        for source in sources:
            intervention.check(len(source.tokens.ids))
    said = intervention.to_dict() if intervention is not None else None
    if beam > 1:
        return [_translate(bundle, source, beam, alpha, intervention) for source in sources]
    order = sorted(range(len(sources)), key=lambda i: len(sources[i].tokens.ids))
    traces: list[Trace | None] = [None] * len(sources)
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        ids = [list(sources[i].tokens.ids) for i in chunk]
        paths = greedy_paths(bundle.model, ids, bundle.config.max_tgt_len, intervention=intervention)
        for i, path in zip(chunk, paths, strict=True):
            traces[i] = _to_trace(bundle, sources[i], path, alpha, said)
    return traces  # type: ignore[return-value]
