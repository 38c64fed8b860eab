"""Peer benchmark: Joey NMT 2.3.0 on our de-en split, at de-en-dot's wall-clock training budget.

The Python half of `bench/peer_joey.sh` (run that, not this). Subcommands:

- `prepare WORK`: export our de-en split (load_task("de-en", seed=0)) as plain text, write Joey's
  vocabulary files from de-en-dot's own SentencePiece models and the Joey configs (train, greedy test,
  beam test), as near to de-en-dot's settings as Joey allows. Runs in our .venv.
- `ckpt-stats CKPT`: print the step and token counters stored in a Joey checkpoint as JSON. Runs in
  Joey's venv (it needs only torch and the standard library).
- `report WORK`: score Joey's detokenized test output with our metrics.bleu / metrics.chrf, read
  de-en-dot's numbers, print a Markdown comparison and write WORK/result.json. Runs in our .venv.

Nothing here is imported by attnviz; Joey's code, venv and outputs all stay under /tmp.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OURS = ROOT / "models" / "de-en-dot"
SRC, TRG = "de", "en"
SPECIALS = 4  # our SentencePiece ids 0-3: <pad> <unk> <s> </s>; Joey adds its own four
# Joey's plateau scheduler follows the early-stopping metric (dev BLEU here, as our checkpoint choice
# is); BLEU is noisier than the dev loss our scheduler follows, so allow two stalled validations.
PLATEAU_PATIENCE = 2


def our_config() -> dict[str, Any]:
    return json.loads((OURS / "config.json").read_text())


# ---------------------------------------------------------------- prepare (our .venv)


def to_yaml(value: Any, indent: int = 0) -> str:
    """A small YAML writer for nested dicts of scalars and lists (our .venv has no PyYAML).

    Strings are written JSON-quoted, which YAML reads as double-quoted scalars.
    """
    pad = "  " * indent
    lines = []
    for key, item in value.items():
        if isinstance(item, dict):
            lines.append(f"{pad}{key}:\n{to_yaml(item, indent + 1)}")
        else:
            lines.append(f"{pad}{key}: {json.dumps(item)}")
    return "\n".join(lines)


def joey_config(work: Path, cfg: dict[str, Any], valid_freq: int, threads_note: str) -> dict[str, Any]:
    """Joey's config for de-en-dot's settings; comments on each deviation are in the report."""
    train, model = cfg["train"], cfg["model"]
    hidden, emb, dropout = model["hidden"], model["emb"], model["dropout"]
    side = {"level": "bpe", "lowercase": False, "tokenizer_type": "sentencepiece"}
    return {
        "name": f"joey-de-en-dot-peer ({threads_note})",
        "joeynmt_version": "2.3.0",
        "model_dir": str(work / "model"),
        "use_cuda": False,
        "fp16": False,
        "random_seed": train["seed"],
        "data": {
            "train": str(work / "data" / "train"),
            "dev": str(work / "data" / "dev"),
            "test": str(work / "data" / "test"),
            "dataset_type": "plain",
            "src": side
            | {
                "lang": SRC,
                "max_length": model["max_src_len"],
                "voc_file": str(work / "vocab.de"),
                "tokenizer_cfg": {"model_file": str(work / "source.spm")},
            },
            "trg": side
            | {
                "lang": TRG,
                # our targets are cut to max_tgt_len - 1 pieces (room for </s>); Joey drops longer pairs
                "max_length": model["max_tgt_len"] - 1,
                "voc_file": str(work / "vocab.en"),
                "tokenizer_cfg": {"model_file": str(work / "target.spm")},
            },
        },
        "testing": {
            "load_model": str(work / "model" / "best.ckpt"),
            "batch_size": train["batch_size"],
            "batch_type": "sentence",
            "beam_size": 1,
            "beam_alpha": 1.0,
            "max_output_length": model["max_tgt_len"],
            "eval_metrics": ["bleu"],
            "generate_unk": False,  # our decoder drops <unk> from the text too
            "sacrebleu_cfg": {"tokenize": "13a"},
        },
        "training": {
            "optimizer": "adam",
            "learning_rate": train["lr"],
            "learning_rate_min": train["min_lr"],
            "weight_decay": train["weight_decay"],
            "scheduling": "plateau",
            "decrease_factor": train["lr_decay"],
            "patience": PLATEAU_PATIENCE,
            "label_smoothing": train["label_smoothing"],
            "clip_grad_norm": train["clip"],
            "normalization": "tokens",  # mean loss per target token, as our CrossEntropyLoss
            "loss": "crossentropy",
            "batch_size": train["batch_size"],
            "batch_type": "sentence",
            "shuffle": True,
            "epochs": train["epochs"],
            "early_stopping_metric": "bleu",
            "validation_freq": valid_freq,
            "logging_freq": valid_freq,  # one "Tokens per Sec" line per validation interval
            "keep_best_ckpts": 1,
            "print_valid_sents": [],  # no example logging or attention plots inside the budget
            "model_dir": str(work / "model"),
            "overwrite": True,
        },
        "model": {
            "encoder": {
                "type": "recurrent",
                "rnn_type": "gru",
                "bidirectional": True,
                "hidden_size": hidden // 2,  # per direction: 2 x 128 = our 256
                "num_layers": 1,
                "dropout": dropout,  # with 1 layer: only the embedding dropout
                "embeddings": {"embedding_dim": emb},
            },
            "decoder": {
                "type": "recurrent",
                "rnn_type": "gru",
                "hidden_size": hidden,
                "num_layers": 1,
                "attention": "luong",  # Luong "general" (s W h); Joey has no plain dot product
                "input_feeding": False,  # ours has none either
                "init_hidden": "bridge",  # tanh(W [h_fwd; h_bwd]), as ours
                "dropout": dropout,
                "hidden_dropout": dropout,
                "embeddings": {"embedding_dim": emb},
            },
        },
    }


def prepare(work: Path, valid_freq: int | None, threads: str) -> None:
    import sentencepiece as spm

    from attnviz.tasks import load_task

    cfg = our_config()
    model, batch_size = cfg["model"], cfg["train"]["batch_size"]
    corpus = load_task(cfg["train"]["task"], seed=cfg["train"]["data_seed"])
    data = work / "data"
    data.mkdir(parents=True, exist_ok=True)
    lengths: dict[str, list[int]] = {}  # pieces per training sentence, per language
    for lang, side in ((SRC, "source"), (TRG, "target")):
        for split in ("train", "dev", "test"):
            texts = [getattr(p, side) for p in getattr(corpus, split)]
            if any("\n" in t or t != t.strip() or not t for t in texts):
                sys.exit(f"{split}.{lang}: a line Joey would read differently (newline, outer space, empty)")
            (data / f"{split}.{lang}").write_text("\n".join(texts) + "\n", encoding="utf-8")
        # Joey keeps its own ids (<unk> <pad> <s> </s> first) and maps pieces to them through its
        # vocabulary file; listing all of our pieces in our order gives it exactly our vocabularies.
        (work / f"{side}.spm").write_bytes((OURS / f"{side}.spm").read_bytes())
        sp = spm.SentencePieceProcessor(model_file=str(OURS / f"{side}.spm"))
        pieces = [sp.id_to_piece(i) for i in range(SPECIALS, sp.vocab_size())]
        if any(p != p.strip() or not p for p in pieces) or len(set(pieces)) != len(pieces):
            sys.exit(f"{side}.spm: a piece that Joey's vocabulary file would mangle")
        (work / f"vocab.{lang}").write_text("\n".join(pieces) + "\n", encoding="utf-8")
        lengths[lang] = [len(sp.encode(getattr(p, side))) for p in corpus.train]

    limits = (model["max_src_len"], model["max_tgt_len"] - 1)
    keep = [s <= limits[0] and t <= limits[1] for s, t in zip(lengths[SRC], lengths[TRG], strict=True)]
    kept = sum(keep)
    meta = {
        "train_pairs": len(corpus.train),
        "train_pairs_kept": kept,  # Joey drops over-long pairs where we cut them
        "dev_pairs": len(corpus.dev),
        "test_pairs": len(corpus.test),
        "steps_per_epoch": math.ceil(kept / batch_size),
        # per epoch, counted as both toolkits count them: target pieces + </s> (no <s>, no padding)
        "target_tokens_per_epoch": sum(t + 1 for t, k in zip(lengths[TRG], keep, strict=True) if k),
        "validation_freq": valid_freq or math.ceil(kept / batch_size),
        "threads": threads,
    }
    config = joey_config(work, cfg, meta["validation_freq"], f"threads={threads}")
    header = "# Written by bench/peer_joey.py prepare: Joey NMT 2.3.0 with de-en-dot's settings.\n"
    (work / "train.yaml").write_text(header + to_yaml(config) + "\n", encoding="utf-8")
    for beam in (1, 5):
        test = json.loads(json.dumps(config))
        del test["data"]["dev"]  # `joeynmt test` decodes every split it is given: the test split only
        test["testing"]["beam_size"] = beam
        (work / f"test_beam{beam}.yaml").write_text(header + to_yaml(test) + "\n", encoding="utf-8")
    (work / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(
        f"exported {meta['train_pairs']}/{meta['dev_pairs']}/{meta['test_pairs']} pairs to {data} "
        f"({len(corpus.train) - kept} over-long training pairs dropped); "
        f"{meta['steps_per_epoch']} steps per epoch, validation every {meta['validation_freq']}"
    )


# ---------------------------------------------------------------- ckpt-stats (Joey's venv)


def ckpt_stats(ckpt: Path) -> None:
    import torch

    state = torch.load(ckpt, map_location="cpu")["stats_state"]
    print(json.dumps({k: v for k, v in state.items() if isinstance(v, int | float | str)}))


# ---------------------------------------------------------------- report (our .venv)

LOG_RATE = re.compile(r"Epoch\s+(\d+), Step:\s+(\d+), .*Tokens per Sec:\s+([\d.]+)")
LOG_PARAMS = re.compile(r"Total params: (\d+)")
TEST_BLEU = re.compile(r"Evaluation result \(.*?\): bleu:\s+([\d.]+)")
VALID = re.compile(r"^Steps: (\d+)\t.*\bbleu: ([\d.]+)", re.MULTILINE)
STOPS = (  # how Joey's training ended, from its log
    ("Interrupt at epoch", "time budget"),
    ("Training ended since minimum lr", "minimum lr"),
    ("Training ended since maximum num. of updates", "maximum updates"),
    ("Training ended after", "epochs done"),
)


def read_hyps(path: Path, n: int) -> list[str] | None:
    if not path.is_file():
        return None
    hyps = path.read_text(encoding="utf-8").split("\n")
    if hyps and hyps[-1] == "":
        hyps.pop()
    if len(hyps) != n:
        sys.exit(f"{path}: {len(hyps)} lines for {n} test sentences")
    return hyps


def our_params() -> int:
    from safetensors import safe_open

    with safe_open(str(OURS / "model.safetensors"), framework="np") as f:
        return sum(f.get_tensor(k).size for k in f.keys())


def report(work: Path, train_seconds: float, budget: float) -> None:
    from attnviz import metrics
    from attnviz.tasks import load_task

    cfg = our_config()
    ours_info = cfg["info"]
    ours_metrics = json.loads((OURS / "metrics.json").read_text())
    meta = json.loads((work / "meta.json").read_text())
    stats_file, valid_file = work / "stats.json", work / "model" / "validations.txt"
    stats = json.loads(stats_file.read_text()) if stats_file.is_file() else {}
    log = (work / "model" / "train.log").read_text(encoding="utf-8", errors="replace")
    rates = [float(m.group(3)) for m in LOG_RATE.finditer(log)]
    params = LOG_PARAMS.search(log)
    valids = VALID.findall(valid_file.read_text()) if valid_file.is_file() else []
    stop = next((why for marker, why in STOPS if marker in log), "unknown (see model/train.log)")

    corpus = load_task(cfg["train"]["task"], seed=cfg["train"]["data_seed"])
    refs = [p.target for p in corpus.test]
    scores: dict[str, dict[str, float | None]] = {}
    for key, beam in (("greedy", 1), ("beam5", 5)):
        hyps = read_hyps(work / "out" / f"beam{beam}.test", len(refs))
        if hyps is None:
            continue
        scores[key] = {"bleu": metrics.bleu(hyps, refs), "chrf": metrics.chrf(hyps, refs)}
        # a cross-check only: Joey's own sacrebleu BLEU of the same output against test.en
        own = TEST_BLEU.search((work / f"test_beam{beam}.stdout").read_text(errors="replace"))
        scores[key]["joey_own_bleu"] = float(own.group(1)) if own else None

    steps = stats.get("steps", max((int(s) for s, _ in valids), default=0))
    tokens = stats.get("total_tokens")
    joey = {
        "toolkit": "Joey NMT 2.3.0",
        "budget_s": budget,
        "train_seconds": round(train_seconds, 1),
        "stopped_because": stop,
        "steps": steps,
        "epochs": round(steps / meta["steps_per_epoch"], 2),
        "target_tokens": tokens,
        # the same definition as ours: target tokens (pieces + </s>) over all wall-clock seconds of
        # training, start-up and validation included
        "tokens_per_s": round(tokens / train_seconds) if tokens else None,
        # Joey's own "Tokens per Sec" lines: the same target tokens, over the training steps' time only
        # (validation excluded), one number per validation interval
        "joey_logged_tokens_per_s_mean": round(statistics.fmean(rates)) if rates else None,
        "validations": len(valids),
        "best_dev_bleu_joey": stats.get("best_ckpt_score"),
        "best_step": stats.get("best_ckpt_iter"),
        "params": int(params.group(1)) if params else None,
        "threads": meta["threads"],
        "test": scores,
    }
    ours = {
        "toolkit": "attnviz de-en-dot",
        "budget_s": ours_info["train_seconds"],
        "train_seconds": ours_info["train_seconds"],
        "stopped_because": ours_info["stopped_because"],
        "steps": ours_info["epochs"] * meta["steps_per_epoch"],
        "epochs": ours_info["epochs"],
        "tokens_per_s": ours_info["tokens_per_s"],
        "best_dev_bleu": ours_info["best_dev"],
        "params": our_params(),
        "test": {k: {m: ours_metrics[k][m] for m in ("bleu", "chrf")} for k in ("greedy", "beam5")},
    }
    result = {"joey": joey, "ours": ours, "data": meta}
    (work / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(joey, ours, meta))
    print(f"\n(written to {work / 'result.json'})")


def _num(value: float | None, fmt: str = ".2f") -> str:
    return "-" if value is None else format(value, fmt)


def markdown(joey: dict[str, Any], ours: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [
        f"de-en test split ({meta['test_pairs']} pairs), scored with attnviz.metrics (sacrebleu, 13a); "
        f"training budget {joey['budget_s']:.0f} s wall clock on this machine "
        f"(Joey: torch threads {joey['threads']}).",
        "",
        "| toolkit | budget (s) | trained (s) | epochs | steps | target tok/s | BLEU greedy | BLEU beam 5 "
        "| chrF greedy | chrF beam 5 | params |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in (ours, joey):
        test = row["test"]
        greedy, beam = test.get("greedy"), test.get("beam5")
        lines.append(
            f"| {row['toolkit']} | {row['budget_s']:.0f} | {row['train_seconds']:.0f} | {row['epochs']} "
            f"| {row['steps']} | {_num(row['tokens_per_s'], ',.0f')} "
            f"| {_num(greedy and greedy['bleu'])} | {_num(beam and beam['bleu'])} "
            f"| {_num(greedy and greedy['chrf'])} | {_num(beam and beam['chrf'])} "
            f"| {_num(row['params'], ',')} |"
        )
    lines += [
        "",
        f"- Joey stopped: {joey['stopped_because']}; best dev BLEU (Joey's own, greedy) "
        f"{_num(joey['best_dev_bleu_joey'])} at step {joey['best_step']}, after {joey['validations']} "
        f"validations; tested with that single checkpoint (de-en-dot averages its best 3).",
        f"- target tok/s = target pieces + </s> over all training seconds, validation included, for both; "
        f"Joey's own log lines (steps only, validation excluded) average "
        f"{_num(joey['joey_logged_tokens_per_s_mean'], ',.0f')}. de-en-dot stopped by "
        f"{ours['stopped_because']} inside its budget.",
        "- Joey's own BLEU of the same test output (its sacrebleu call, a cross-check): "
        + ", ".join(f"{key} {_num(test.get('joey_own_bleu'))}" for key, test in joey["test"].items()),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("work", type=Path)
    p.add_argument("--valid-freq", type=int, help="steps between validations (default: one epoch)")
    p.add_argument("--threads", default="default")
    p = sub.add_parser("ckpt-stats")
    p.add_argument("ckpt", type=Path)
    p = sub.add_parser("report")
    p.add_argument("work", type=Path)
    p.add_argument("--train-seconds", type=float, required=True)
    p.add_argument("--budget", type=float, required=True)
    sub.add_parser("budget")
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.work, args.valid_freq, args.threads)
    elif args.command == "ckpt-stats":
        ckpt_stats(args.ckpt)
    elif args.command == "report":
        report(args.work, args.train_seconds, args.budget)
    elif args.command == "budget":
        print(our_config()["info"]["train_seconds"])


if __name__ == "__main__":
    main()
