"""Evaluate a model on its task's held-out test split and write metrics.json.

Translation quality (BLEU/chrF or exact match, BLEU by source length), phoneme error rate for g2p, and,
where the task has gold alignments, how well attention aligns: argmax accuracy and AER (Och & Ney 2003),
read from attention under forced decoding of the reference. The test pairs are written next to
metrics.json (test_split.tsv), so that a machine without the corpus (de-en: a Debian package) can still
recompute from the very sentences the metrics came from.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from attnviz import align, metrics, search, tasks
from attnviz.bundle import Bundle
from attnviz.checkpoint import METRICS
from attnviz.config import save_json
from attnviz.i18n import N_, _
from attnviz.intervene import Intervention
from attnviz.recipes import NOTES, RECIPES
from attnviz.tasks import Corpus, DataError, Pair, Task, load_task
from attnviz.tasks.tsv import read_tsv
from attnviz.train import collate


def load_corpus(bundle: Bundle) -> Corpus:
    """The corpus the model was trained on, split exactly as it was in training."""
    cfg = bundle.train_config
    if cfg is None:
        raise ValueError(f"model {bundle.name} records no training config, so its test split is unknown")
    return load_task(cfg.task, seed=cfg.data_seed, path=cfg.data_path, size=cfg.data_size)


TEST_SPLIT = "test_split.tsv"  # next to metrics.json: the source<TAB>reference pairs it was computed on


def write_test_split(path: Path, pairs: Sequence[Pair]) -> None:
    """One `source<TAB>reference` line per test pair, in the split's order."""
    for p in pairs:
        if "\t" in p.source + p.target or "\n" in p.source + p.target:
            raise ValueError(f"a test pair holds a tab or a newline and cannot go into {TEST_SPLIT}: {p}")
    path.write_text("".join(f"{p.source}\t{p.target}\n" for p in pairs), encoding="utf-8")


def read_test_split(path: Path) -> list[Pair]:
    """The pairs of a test_split.tsv file; any line that is not `source<TAB>reference` is an error."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise DataError(f"Cannot read {path} ({e.strerror}).") from e
    pairs, rejected = read_tsv(data)
    if rejected:
        raise DataError(
            f"{path} line {rejected[0].line}: {rejected[0].reason}; run `attnviz evaluate` again."
        )
    return pairs


def load_test_split(bundle: Bundle) -> list[Pair]:
    """The model's test pairs: from its corpus, or, where the corpus is not on this machine, from the
    test_split.tsv that `attnviz evaluate` wrote next to its metrics.json."""
    try:
        return list(load_corpus(bundle).test)
    except DataError:
        shipped = bundle.path / TEST_SPLIT if bundle.path is not None else None
        if shipped is None or not shipped.is_file():
            raise
    pairs = read_test_split(shipped)
    if bundle.metrics.get("pairs", len(pairs)) != len(pairs):
        raise DataError(
            f"{shipped} holds {len(pairs)} pairs but metrics.json was computed on {bundle.metrics['pairs']}: "
            f"run `attnviz evaluate --model {bundle.path}` again."
        )
    return pairs


@dataclass(frozen=True)
class Measure:
    """A test metric a task may ask for (Task.extra_metrics): how it is computed and shown in a card."""

    score: Callable[[Sequence[str], Sequence[str]], float]  # (hypotheses, references) -> a percentage
    column: str  # its column in the card's table
    cell: str  # how a value is written there


MEASURES = {
    "phoneme_error_rate": Measure(metrics.phoneme_error_rate, N_("PER"), "{:.2f}%"),
    "word_accuracy": Measure(metrics.word_accuracy, N_("word acc."), "{:.1f}%"),
}


def quality(task: str, pairs: Sequence[Pair], hyps: Sequence[str]) -> dict[str, Any]:
    refs = [p.target for p in pairs]
    out: dict[str, Any] = {
        "bleu": metrics.bleu(hyps, refs),
        "chrf": metrics.chrf(hyps, refs),
        "exact_match": metrics.exact_match(hyps, refs),
    }
    found = tasks.get(task)
    if found.metric == "bleu":
        out["by_length"] = metrics.bleu_by_length([p.source for p in pairs], hyps, refs)
    for name in found.extra_metrics:
        out[name] = MEASURES[name].score(hyps, refs)
    return out


@torch.inference_mode()
def forced_weights(
    bundle: Bundle, ids: Sequence[tuple[Sequence[int], Sequence[int]]], batch_size: int = 64
) -> list[np.ndarray]:
    """Attention weights (T, S) of each (source ids, reference ids) while the decoder is fed the
    reference, in batches (T includes </s>)."""
    cfg = bundle.config
    examples = [(list(s[: cfg.max_src_len]), list(t[: cfg.max_tgt_len - 1])) for s, t in ids]
    out = []
    for start in range(0, len(examples), batch_size):
        batch = examples[start : start + batch_size]
        src, lengths, prev, _ = collate(batch)
        weights = bundle.model(src, lengths, prev).weights  # (B, T, S)
        for (s, t), w in zip(batch, weights, strict=True):
            out.append(w[: len(t) + 1, : len(s)].numpy())
    return out


# How links are read off the attention, under their names in metrics.json.
ATTENTION_WAYS = {
    "attention": align.Extraction(),  # argmax of the step that emits the piece
    "attention_next_step": align.Extraction(shift=True),  # argmax of the step after it
}


def _attended(bundle: Bundle, pairs: Sequence[Pair]) -> tuple[list[tuple[Any, Any]], list[np.ndarray]]:
    """Each pair's (source, target) pieces and its attention map with the decoder fed the reference."""
    encoded = [(bundle.src.tokenize(p.source), bundle.tgt.tokenize(p.target)) for p in pairs]
    return encoded, forced_weights(bundle, [(s.ids, t.ids) for s, t in encoded])


def _read(weights: np.ndarray, target: Any, how: align.Extraction) -> align.Links:
    """Links read off one attention map, over the pieces of `target` that it covers."""
    return align.from_attention(weights, min(len(target.ids), len(weights) - 1), how)


def _aligned(
    bundle: Bundle, corpus: Corpus, encoded: Sequence[tuple[Any, Any]], aligners: Sequence[str]
) -> dict[str, list[align.Links]]:
    """Each aligner's links for the `encoded` pairs, trained on the training pairs and them (the aligners
    are unsupervised: they see no links)."""
    if not aligners:
        return {}
    train = [
        (bundle.src.tokenize(p.source).pieces, bundle.tgt.tokenize(p.target).pieces) for p in corpus.train
    ]
    everything = train + [(s.pieces, t.pieces) for s, t in encoded]
    seed = bundle.train_config.seed if bundle.train_config else 1
    return {name: align.statistical(name, everything, seed=seed)[len(train) :] for name in aligners}


@dataclass(frozen=True)
class GoldSplit:
    """A test split's pairs that have gold links, with what scoring an attention reading needs: their
    pieces, their attention maps with the decoder fed the reference, the gold projected onto the pieces,
    and the same at the level of whitespace-separated words (each piece's word, the gold on the words)."""

    pairs: list[Pair]
    encoded: list[tuple[Any, Any]]  # (source Tokens, target Tokens)
    weights: list[np.ndarray]  # (T+1, S): one row per target piece, then the </s> step
    sure: list[frozenset[metrics.PieceLink]]
    possible: list[frozenset[metrics.PieceLink]]
    words: list[tuple[list[int | None], list[int | None]]]  # (source, target) piece -> word index
    word_sure: list[frozenset[metrics.PieceLink]]
    word_possible: list[frozenset[metrics.PieceLink]]

    def attention(self, how: align.Extraction, i: int) -> align.Links:
        """Pair i's links read off its attention map `how`."""
        return _read(self.weights[i], self.encoded[i][1], how)

    def in_words(self, i: int, links: align.Links) -> align.Links:
        """Pair i's piece links merged to word links."""
        return align.to_words(links, *self.words[i])

    def score(self, links: Sequence[align.Links], *, words: bool = False) -> dict[str, float]:
        """Precision, recall and AER of piece links for every pair, over the split; `words`: merged to
        words first and scored against the gold on the words."""
        if words:
            merged = [self.in_words(i, one) for i, one in enumerate(links)]
            return metrics.alignment_scores(merged, self.word_sure, self.word_possible)
        return metrics.alignment_scores(links, self.sure, self.possible)

    def scores(self, how: align.Extraction, *, words: bool = False) -> dict[str, float]:
        """Precision, recall and AER of the attention read `how`, over the whole split."""
        return self.score([self.attention(how, i) for i in range(len(self.pairs))], words=words)


def _gold(bundle: Bundle, pairs: Sequence[Pair]) -> GoldSplit:
    pairs = [p for p in pairs if p.links]
    encoded, weights = _attended(bundle, pairs)
    projected, words, in_words = [], [], []
    for p, (s, t) in zip(pairs, encoded, strict=True):
        projected.append(metrics.project_links(p.links, s.spans, t.spans))
        src_words, tgt_words = align.word_spans(p.source), align.word_spans(p.target)
        words.append((align.piece_words(s.spans, src_words), align.piece_words(t.spans, tgt_words)))
        in_words.append(metrics.project_links(p.links, src_words, tgt_words))
    return GoldSplit(
        pairs,
        encoded,
        weights,
        [a for a, _ in projected],
        [b for _, b in projected],
        words,
        [a for a, _ in in_words],
        [b for _, b in in_words],
    )


def gold_split(bundle: Bundle) -> GoldSplit | None:
    """`bundle`'s test pairs with gold links (None when it has none, or no attention)."""
    if bundle.config.attention == "none":
        return None
    split = _gold(bundle, load_corpus(bundle).test)
    return split if split.pairs else None


def alignment(
    bundle: Bundle, corpus: Corpus, pairs: Sequence[Pair], aligners: Sequence[str] = align.ALIGNERS
) -> tuple[dict[str, Any], dict[str, Any], dict[str, list[align.Links]]]:
    """Attention (forced decoding of the reference) and each statistical aligner against the gold links
    of `pairs`: precision, recall and AER for each, under its name, on the model's pieces (the attention's
    argmax accuracy too) and again with the pieces merged to words. Also returns each aligner's links of
    the pairs that have gold, in their order."""
    split = _gold(bundle, pairs)
    found = tasks.get(corpus.task)
    out: dict[str, Any] = {"gold": found.gold or corpus.task, "sentences": len(split.pairs)}
    words: dict[str, Any] = {"sentences": len(split.pairs)}
    for key, how in ATTENTION_WAYS.items():
        out[key] = split.scores(how)
        words[key] = split.scores(how, words=True)
    out["attention"]["accuracy"] = metrics.alignment_accuracy(split.weights, split.possible)
    found_links = _aligned(bundle, corpus, split.encoded, aligners)
    for name, links in found_links.items():
        out[name] = split.score(links)
        words[name] = split.score(links, words=True)
    return out, words, found_links


# The attention each sentence is decoded with for `faithfulness`: its own, then the changed kinds.
FAITHFULNESS = ("attention", "uniform", "permute", "hard")


def faithfulness(bundle: Bundle, pairs: Sequence[Pair], seed: int = 0) -> dict[str, dict[str, float]]:
    """Does the decoder use its attention? (Jain & Wallace 2019; Vashishth et al. 2019.) The test pairs
    decoded greedily with the model's own attention and with, at every step, uniform attention, its
    attention permuted across the source pieces (seeded), and hard attention (all on its argmax): BLEU,
    chrF and exact match of each. If the scores hardly move, the translation does not depend on where
    the model attends."""
    refs = [p.target for p in pairs]
    out = {}
    for kind in FAITHFULNESS:
        how = None if kind == "attention" else Intervention(kind, seed=seed)
        traces = search.translate_batch(bundle, [p.source for p in pairs], intervention=how)
        hyps = [t.translation for t in traces]
        out[kind] = {
            "bleu": metrics.bleu(hyps, refs),
            "chrf": metrics.chrf(hyps, refs),
            "exact_match": metrics.exact_match(hyps, refs),
        }
    return out


def own_output(bundle: Bundle, pairs: Sequence[Pair], own: Sequence[bool]) -> dict[str, float]:
    """The attention's argmax links on the model's own greedy output, against gold: gold exists for the
    reference only, so only the pairs whose output is exactly the reference's pieces (`own`, one flag per
    pair with gold) can be scored - and on those the attention is the one of forced decoding (the
    decoder's state depends only on the pieces before it): what differs is which sentences count."""
    split = _gold(bundle, [p for p, same in zip([p for p in pairs if p.links], own, strict=True) if same])
    found = split.scores(align.Extraction())
    return {**found, "sentences": len(split.pairs)}


def agreement(
    bundle: Bundle, corpus: Corpus, pairs: Sequence[Pair], aligners: Sequence[str] = align.ALIGNERS
) -> dict[str, Any]:
    """Where no gold exists: the attention's links (each step's strongest) scored against each statistical
    aligner's as if those were gold (sure = possible = the aligner's links). Precision: the share of the
    attention's links the aligner draws too; recall: the share of the aligner's the attention draws.
    Agreement, not accuracy: where the two differ, either may be wrong."""
    encoded, weights = _attended(bundle, pairs)
    ours = [_read(w, t, align.Extraction()) for w, (_, t) in zip(weights, encoded, strict=True)]
    out: dict[str, Any] = {"sentences": len(pairs)}
    for name, theirs in _aligned(bundle, corpus, encoded, aligners).items():
        out[name] = metrics.alignment_scores(ours, theirs, theirs)
    return out


def evaluate(
    bundle: Bundle,
    *,
    beams: Sequence[int] = (1, 5),
    limit: int | None = None,
    aligners: Sequence[str] = align.ALIGNERS,
    faithful: bool = True,
) -> dict[str, Any]:
    """Every metric of `bundle` on its test split (the first `limit` pairs if given); where the split has
    gold links, attention and the statistical `aligners` scored against them, elsewhere the attention's
    agreement with the aligners."""
    return assess(bundle, beams=beams, limit=limit, aligners=aligners, faithful=faithful)[0]


def assess(
    bundle: Bundle,
    *,
    beams: Sequence[int] = (1, 5),
    limit: int | None = None,
    aligners: Sequence[str] = align.ALIGNERS,
    faithful: bool = True,
) -> tuple[dict[str, Any], dict[str, list[align.Links]]]:
    """evaluate's metrics, and each aligner's links of the test pairs with gold (for write_metrics to
    keep next to them, so that a page can draw them; empty without gold). `faithful`: also decode the
    split with its attention changed (faithfulness)."""
    corpus = load_corpus(bundle)
    test = list(corpus.test[:limit] if limit else corpus.test)
    result: dict[str, Any] = {"task": corpus.task, "split": "test", "pairs": len(test)}
    links: dict[str, list[align.Links]] = {}
    own: list[bool] = []  # for each pair with gold: did greedy decoding write exactly its reference?
    for beam in beams:
        traces = search.translate_batch(bundle, [p.source for p in test], beam=beam)
        key = "greedy" if beam == 1 else f"beam{beam}"
        result[key] = quality(corpus.task, test, [t.translation for t in traces])
        if beam == 1:
            own = [
                list(t.target_ids[:-1]) == list(bundle.tgt.tokenize(p.target).ids)
                for p, t in zip(test, traces, strict=True)
                if p.links
            ]
    if bundle.config.attention != "none" and any(p.links for p in test):
        result["alignment"], result["alignment_words"], links = alignment(bundle, corpus, test, aligners)
        if own and any(own):
            result["alignment"]["attention_own_output"] = own_output(bundle, test, own)
    elif bundle.config.attention != "none" and aligners:
        result["agreement"] = agreement(bundle, corpus, test, aligners)
    if bundle.config.attention != "none" and faithful:
        result["faithfulness"] = faithfulness(bundle, test)
    return result, links


def paired_gap(first: Bundle, second: Bundle, *, beam: int = 1) -> dict[str, dict[str, Any]]:
    """BLEU(first) - BLEU(second) per source-length bucket of their shared test split, with a paired 95%
    bootstrap interval (metrics.bleu_gap_interval; None under MIN_INTERVAL_SENTENCES sentences).

    Returns {bucket: {"n", "first", "second", "gap", "gap_ci"}}; scores are None for an empty bucket.
    """
    test = load_test_split(first)
    if [p.source for p in load_test_split(second)] != [p.source for p in test]:
        raise ValueError(f"{first.name} and {second.name} were not tested on the same sentences")
    refs = [p.target for p in test]
    first_out, second_out = (
        [t.translation for t in search.translate_batch(bundle, [p.source for p in test], beam=beam)]
        for bundle in (first, second)
    )
    result: dict[str, dict[str, Any]] = {}
    for name, idx in metrics.length_buckets([p.source for p in test]).items():
        a, b, r = ([x[i] for i in idx] for x in (first_out, second_out, refs))
        one, two = (metrics.bleu(a, r), metrics.bleu(b, r)) if idx else (None, None)
        result[name] = {
            "n": len(idx),
            "first": one,
            "second": two,
            "gap": one - two if idx else None,
            "gap_ci": list(metrics.bleu_gap_interval(a, b, r))
            if len(idx) >= metrics.MIN_INTERVAL_SENTENCES
            else None,
        }
    return result


ALIGNMENTS = "test_alignments.json"  # next to metrics.json: the aligners' links it scored


def write_metrics(
    bundle: Bundle, result: dict[str, Any], links: dict[str, list[align.Links]] | None = None
) -> None:
    """metrics.json, the test pairs it was computed on (test_split.tsv), the model card README.md whose
    numbers are read from it, and the aligners' `links` of the test pairs with gold (test_alignments.json:
    Pharaoh "s-t" lines per aligner, in the split's order; removed when there are none, so that none is
    left from an earlier evaluation)."""
    if bundle.path is None:
        raise ValueError("the model has no directory to write metrics.json into")
    write_test_split(bundle.path / TEST_SPLIT, load_corpus(bundle).test[: result["pairs"]])
    save_json(result, bundle.path / METRICS)
    (bundle.path / "README.md").write_text(model_card(bundle, result), encoding="utf-8")
    kept = bundle.path / ALIGNMENTS
    if links:
        pharaoh = {
            name: [" ".join(f"{s}-{t}" for t, s in sorted(one)) for one in found]
            for name, found in links.items()
        }
        gold = [p for p in load_corpus(bundle).test[: result["pairs"]] if p.links]
        found = {"sentences": len(next(iter(links.values()))), "pairs_sha256": fingerprint(gold)}
        save_json({**found, "aligners": pharaoh}, kept)
    else:
        kept.unlink(missing_ok=True)


def fingerprint(pairs: Sequence[Pair]) -> str:
    """A hash of sentence pairs, so that links kept for them are known to be for them."""
    return hashlib.sha256("".join(f"{p.source}\t{p.target}\n" for p in pairs).encode("utf-8")).hexdigest()


def read_alignments(bundle: Bundle, pairs: Sequence[Pair] | None = None) -> dict[str, list[align.Links]]:
    """test_alignments.json as write_metrics wrote it: {aligner: links of each test pair with gold}; {}
    when there is none. Raises ValueError, naming what is wrong, for a file that is not such a file, or
    one kept for other sentences than `pairs` (the corpus changed since: evaluate again)."""
    path = (bundle.path or Path("/nonexistent")) / ALIGNMENTS
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{ALIGNMENTS}: not readable JSON ({err})") from err
    found = data.get("aligners") if isinstance(data, dict) else None
    if not isinstance(found, dict):
        raise ValueError(f"{ALIGNMENTS}: no object of aligners")
    kept_for = data.get("pairs_sha256")
    if pairs is not None and kept_for is not None and kept_for != fingerprint(pairs):
        raise ValueError(
            _(
                "{file} was computed for other test sentences (the corpus has changed since): run `attnviz "
                "evaluate --model {model}` again."
            ).format(file=ALIGNMENTS, model=bundle.path)
        )
    out: dict[str, list[align.Links]] = {}
    for name, lines in found.items():
        if name not in align.ALIGNERS or not isinstance(lines, list):
            raise ValueError(f"{ALIGNMENTS}: {name!r} is not an aligner's list of lines")
        out[name] = []
        for k, line in enumerate(lines, 1):
            try:
                out[name].append(align.parse_pharaoh(line))
            except ValueError as err:
                raise ValueError(f"{ALIGNMENTS}: {name}, line {k}: {err}") from err
    return out


# The scoring function in words, as the Step page says it.
ATTENTION_USE = {
    "dot": N_("dot attention (score = s_t · h_i)"),
    "scaled_dot": N_("scaled dot attention (score = s_t · h_i / √H)"),
    "general": N_("general attention (score = s_t · W h_i)"),
    "concat": N_("concat (Bahdanau) attention (score = v · tanh(W_s s_t + W_h h_i + b))"),
    "none": N_("no attention: the bottleneck baseline, one fixed latent vector for the whole sentence"),
}


def _reading(task: Task | None, greedy: dict[str, Any]) -> str:
    """What the greedy numbers mean for someone about to try the model."""
    if task is not None and task.metric == "exact_match":
        exact = f"{greedy['exact_match']:.1f}"
        if "phoneme_error_rate" in task.extra_metrics:
            return _(
                "With greedy decoding {exact}% of the test inputs come out exactly right; {per}% of "
                "phonemes are wrong (PER)."
            ).format(exact=exact, per=f"{greedy['phoneme_error_rate']:.1f}")
        return _("With greedy decoding {exact}% of the test inputs come out exactly right.").format(
            exact=exact
        )
    bleu = greedy["bleu"]
    grade = (
        _("rough: expect the gist of short sentences, with wrong words, and content lost in long ones")
        if bleu < 10
        else _("understandable but often wrong in detail")
        if bleu < 20
        else _("mostly right on short sentences")
    )
    return _(
        "BLEU and chrF run from 0 to 100, higher is better (chrF also credits partly right words). "
        "At greedy BLEU {bleu} translations are {grade}."
    ).format(bleu=f"{bleu:.1f}", grade=grade)


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else "?"


def _training_line(info: dict[str, Any]) -> str:
    if "epochs" not in info:
        return _("- Training: not recorded")
    return _(
        "- Training: {epochs} epochs, {minutes} min on the CPU, {speed} target tokens/s, stopped: {why}"
    ).format(
        epochs=info["epochs"],
        minutes=f"{info['train_seconds'] / 60:.1f}",
        speed=f"{info['tokens_per_s']:,}",
        why=_(STOPPED.get(info.get("stopped_because", "?"), info.get("stopped_because", "?"))),
    )


STOPPED = {  # train.py's TrainResult.stopped_because, as a card says it
    "epochs done": N_("epochs done"),
    "early stopping": N_("early stopping"),
    "time budget": N_("time budget"),
    "cancelled": N_("cancelled"),
}


def _bucket_cell(bucket: dict[str, Any]) -> str:
    """ "8.29 (300) [6.9, 9.8]": BLEU, test sentences, 95% interval (older metrics.json files have none)."""
    if bucket["bleu"] is None:
        return f"- ({bucket['n']})"
    ci = bucket.get("bleu_ci")
    return f"{bucket['bleu']:.2f} ({bucket['n']})" + (f" [{ci[0]:.1f}, {ci[1]:.1f}]" if ci else "")


# The alignment methods of metrics.json, in the card's order, with the names the card gives them.
ALIGNMENT_METHODS = {
    "attention": N_("attention: the step's strongest link (argmax)"),
    "attention_next_step": N_("attention of the next step (argmax)"),
    "attention_own_output": N_("attention on its own output, where that is the reference (argmax)"),
    "eflomal": N_("eflomal"),
    "fast_align": N_("fast_align"),
    "hmm": N_("HMM"),
}


def _method_table(a: dict[str, Any], header: str) -> list[str]:
    """A Markdown table of the methods `a` holds (in ALIGNMENT_METHODS' order) x precision, recall, AER."""
    rows = [
        f"| {_(name)} | {a[m]['precision']:.1f} | {a[m]['recall']:.1f} | {a[m]['aer']:.1f} |"
        for m, name in ALIGNMENT_METHODS.items()
        if isinstance(a.get(m), dict)
    ]
    return [header, "|---|---|---|---|", *rows]


def _alignment_lines(a: dict[str, Any]) -> list[str]:
    """The card's alignment section: methods x (precision, recall, AER) and what the numbers say."""
    # The own-output row counts a subset of the sentences: not compared with the others for the lowest AER.
    methods = [m for m in ALIGNMENT_METHODS if isinstance(a.get(m), dict) and m != "attention_own_output"]
    lines = [
        _(
            "How good an alignment its attention is, against the gold alignment ({gold}; {sentences} test "
            "sentences, the decoder fed the reference), beside statistical aligners trained on the same "
            "sentence pairs with no alignments (Thot's eflomal, fast_align and HMM, both directions, "
            "grow-diag-final-and). In %; a lower AER is better:"
        ).format(gold=_(a.get("gold", "?")), sentences=a.get("sentences", "?")),
        "",
        *_method_table(a, _("| method | precision | recall | AER |")),
    ]
    if "accuracy" in a.get("attention", {}):
        lines += [
            "",
            _("The strongest link of a step is a gold link for {accuracy}% of target pieces.").format(
                accuracy=f"{a['attention']['accuracy']:.1f}"
            ),
        ]
    if isinstance(a.get("attention_own_output"), dict):
        lines.append(
            _(
                "Its own greedy output is exactly the reference for {n} of the {sentences} sentences: the "
                "own-output row scores those (gold exists for the reference only), where its attention is "
                "the same as with the reference fed in."
            ).format(n=a["attention_own_output"].get("sentences", "?"), sentences=a.get("sentences", "?"))
        )
    best = min(methods, key=lambda m: a[m]["aer"]) if methods else None
    if best is not None and best != "attention" and "attention" in methods:
        lines.append(
            _("Lowest AER: {best} ({best_aer}%), lower than the attention's {attention}%.").format(
                best=_(ALIGNMENT_METHODS[best]),
                best_aer=f"{a[best]['aer']:.1f}",
                attention=f"{a['attention']['aer']:.1f}",
            )
        )
    elif best == "attention":
        lines.append(_("Lowest AER: the attention's ({aer}%).").format(aer=f"{a['attention']['aer']:.1f}"))
    return lines


def _word_lines(a: dict[str, Any]) -> list[str]:
    """The same methods scored on whitespace-separated words: each piece link becomes a link between the
    words its pieces lie in, and the gold is taken on the words."""
    return [
        _(
            "The same, with the pieces merged to whitespace-separated words (two words are linked when any "
            "of their pieces are; the gold on the words), the unit most published AERs count. In %:"
        ),
        "",
        *_method_table(a, _("| method | precision | recall | AER |")),
    ]


def _agreement_lines(a: dict[str, Any]) -> list[str]:
    """The card's section where no gold exists: the attention's agreement with each aligner."""
    return [
        _(
            "No gold alignment exists for this corpus, so how good an alignment the attention is cannot be "
            "measured here. Instead: how far its strongest link per step agrees with statistical aligners "
            "trained on the same sentence pairs (Thot's eflomal, fast_align and HMM, both directions, "
            "grow-diag-final-and), each aligner's links taken as the reference ({sentences} test "
            "sentences, the decoder fed the reference). This is agreement, not accuracy: where the two "
            "differ, either may be wrong. In %:"
        ).format(sentences=a.get("sentences", "?")),
        "",
        *_method_table(a, _("| attention against | precision | recall | AER |")),
    ]


FAITHFULNESS_NAMES = {
    "attention": N_("its own attention"),
    "uniform": N_("uniform attention"),
    "permute": N_("its attention permuted across the source"),
    "hard": N_("hard attention (all on its argmax)"),
}


def _faithfulness_lines(f: dict[str, Any], metric: str) -> list[str]:
    """The card's section on whether the decoder uses its attention: the split decoded with it changed."""
    shown = [k for k in FAITHFULNESS if isinstance(f.get(k), dict)]
    column = _("exact match") if metric == "exact_match" else "BLEU"
    return [
        _(
            "Does it use its attention? The test pairs decoded greedily with the attention changed at every "
            "step (Jain & Wallace 2019); if the score hardly moved, where it attends would not matter:"
        ),
        "",
        f"| {_('attention used')} | {column} | chrF |",
        "|---|---|---|",
        *(f"| {_(FAITHFULNESS_NAMES[k])} | {f[k][metric]:.1f} | {f[k]['chrf']:.1f} |" for k in shown),
    ]


def model_card(bundle: Bundle, result: dict[str, Any]) -> str:
    """The model card (README.md), written for the people who use the model: what it does, how good it
    is, what to know, and how to rebuild it. Every metric in it comes from `result` (attnviz evaluate)."""
    cfg, train_cfg, info = bundle.config, bundle.train_config, bundle.info
    params = bundle.model.parameter_count()
    task = result["task"]
    found = tasks.find(task)
    extra = [name for name in (found.extra_metrics if found else ()) if name in MEASURES]
    if bundle.name in RECIPES:
        command = f"attnviz train --recipe {bundle.name} --out models/{bundle.name}"
    else:
        command = f"attnviz train --task {task} --attention {cfg.attention} --out {bundle.name}"
    examples = found.examples if found else ()
    try_it = _(" An example to try: “{example}”").format(example=examples[0]) if examples else ""
    attention = _(ATTENTION_USE[cfg.attention]) if cfg.attention in ATTENTION_USE else cfg.attention
    lines = [
        f"# {bundle.name}",
        "",
        _(
            "This model {use}, with {attention}: a GRU encoder-decoder trained on {pairs} example pairs."
        ).format(
            use=_(found.use) if found else task, attention=attention, pairs=_count(info.get("train_pairs"))
        )
        + try_it,
        "",
        _("## How good it is"),
        "",
        _("On {pairs} test pairs it never saw in training (numbers written by `attnviz evaluate`):").format(
            pairs=f"{result['pairs']:,}"
        ),
        "",
        _("| decoding | BLEU | chrF | exact match |") + "".join(f" {_(MEASURES[n].column)} |" for n in extra),
        "|---|---|---|---|" + "---|" * len(extra),
    ]
    for key in [k for k in result if k == "greedy" or k.startswith("beam")]:
        q = result[key]
        hypotheses = key.removeprefix("beam")
        name = _("greedy") if key == "greedy" else _("beam search, {n} hypotheses").format(n=hypotheses)
        row = f"| {name} | {q['bleu']:.2f} | {q['chrf']:.2f} | {q['exact_match']:.1f}% |"
        row += "".join(" " + MEASURES[n].cell.format(q[n]) + " |" for n in extra)
        lines.append(row)
    if "greedy" in result:
        lines += ["", _reading(found, result["greedy"])]
    buckets = result.get("greedy", {}).get("by_length")
    if buckets:
        lines += [
            "",
            _(
                "Greedy BLEU by source length (words), with the number of test sentences and a 95% bootstrap "
                "interval:"
            ),
            "",
            "| " + " | ".join(buckets) + " |",
            "|" + "---|" * len(buckets),
        ]
        lines.append("| " + " | ".join(_bucket_cell(b) for b in buckets.values()) + " |")
    if "alignment" in result:
        lines += ["", *_alignment_lines(result["alignment"])]
        if isinstance(result.get("alignment_words"), dict):
            lines += ["", *_word_lines(result["alignment_words"])]
    if "agreement" in result:
        lines += ["", *_agreement_lines(result["agreement"])]
    if isinstance(result.get("faithfulness"), dict):
        lines += ["", *_faithfulness_lines(result["faithfulness"], found.metric if found else "bleu")]
    if bundle.name in NOTES:
        lines += ["", _("## Good to know"), "", " ".join(_(part) for part in NOTES[bundle.name])]
    tied = _(" (output layer tied to them)") if cfg.tie_output else ""
    lines += [
        "",
        _("## The model"),
        "",
        _("- Task `{task}`: {data}").format(task=task, data=_(found.data) if found else task),
        _(
            "- Attention `{attention}`; bidirectional GRU encoder, GRU decoder, hidden {hidden}, "
            "embeddings {emb}{tied}; {params} parameters"
        ).format(attention=cfg.attention, hidden=cfg.hidden, emb=cfg.emb, tied=tied, params=f"{params:,}"),
        _("- Tokenizers: SentencePiece {src} ({src_n} pieces) -> {tgt} ({tgt_n} pieces)").format(
            src=bundle.src.kind, src_n=bundle.src.vocab_size, tgt=bundle.tgt.kind, tgt_n=bundle.tgt.vocab_size
        ),
        _("- Data: {train} training, {dev} dev, {test} test pairs (the test pairs ship as {split})").format(
            train=_count(info.get("train_pairs")),
            dev=_count(info.get("dev_pairs")),
            test=f"{result['pairs']:,}",
            split=TEST_SPLIT,
        ),
        _training_line(info),
        _("- Seed: {seed}").format(seed=train_cfg.seed if train_cfg else "?"),
        "",
        _("## Reproduce"),
        "",
        "```bash",
        command,
        f"attnviz evaluate --model models/{bundle.name}",
        "```",
        "",
    ]
    return "\n".join(lines)
