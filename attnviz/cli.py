"""The command line: `attnviz train`, `attnviz evaluate`, `attnviz translate`.

Errors a user can cause (bad input, a missing model or data file) end in one line on stderr and a
non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

from attnviz import search
from attnviz.checkpoint import Bundle, ModelError, list_models, load_model
from attnviz.config import ATTENTIONS, SIZES, ConfigError, TrainConfig
from attnviz.evaluate import evaluate, model_card, write_metrics
from attnviz.recipes import RECIPES, recipe, settings
from attnviz.tasks import TASKS, DataError
from attnviz.train import Callback, EpochResult, Progress, train

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
MAX_FILE_BYTES = 50_000_000


class UserError(Exception):
    """A problem the user can fix; printed as one line."""


def resolve_model(name: str) -> Bundle:
    """A model directory path, or the name of a shipped model in models/."""
    path = Path(name)
    if not (path / "config.json").is_file() and (MODELS_DIR / name / "config.json").is_file():
        path = MODELS_DIR / name
    if not path.is_dir():
        shipped = ", ".join(p.name for p in list_models(MODELS_DIR)) or "none"
        raise UserError(f"no model {name!r}: give a model directory (shipped models: {shipped})")
    return load_model(path)


class ProgressBar(Callback):
    """A one-line progress bar on stderr, and one summary line per epoch."""

    def __init__(self, stream=sys.stderr) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.last = 0.0

    def on_batch(self, p: Progress) -> None:
        now = time.monotonic()
        if not self.tty or now - self.last < 0.2:
            return
        self.last = now
        done = p.batch / p.batches
        bar = "#" * int(30 * done) + "-" * (30 - int(30 * done))
        budget = f" / {p.budget_s / 60:.0f} min" if p.budget_s else ""
        self.stream.write(
            f"\repoch {p.epoch} [{bar}] {p.batch}/{p.batches} loss {p.loss:.3f} "
            f"{p.tokens_per_s:,.0f} tok/s {p.elapsed_s / 60:.1f}{budget} min "
        )
        self.stream.flush()

    def on_epoch(self, r: EpochResult, bundle: Bundle) -> None:
        mark = " *" if r.improved else ""
        self.stream.write(
            f"\repoch {r.epoch}: train loss {r.train_loss:.3f}, dev loss {r.dev_loss:.3f}, "
            f"dev {r.metric_name} {r.dev_metric:.2f}, "
            f"lr {r.lr:.2g}, {r.elapsed_s / 60:.1f} min{mark}\n"
        )
        self.stream.flush()


def cmd_train(args: argparse.Namespace) -> None:
    if args.recipe:
        try:
            fields = asdict(recipe(args.recipe))
        except KeyError as err:
            raise UserError(err.args[0]) from None
    else:
        fields = settings(args.task or "dates")
    # Flags given on the command line override the recipe (or the defaults).
    if args.size:
        fields["model"] = dict(fields["model"], **SIZES[args.size])
    if args.attention:
        fields["model"] = dict(fields["model"], attention=args.attention)
    for name in ("task", "seed", "data_path", "data_size", "max_minutes", "epochs", "batch_size", "lr"):
        if getattr(args, name) is not None:
            fields[name] = getattr(args, name)
    cfg = TrainConfig.from_dict(fields)
    out = Path(args.out)
    result = train(cfg, out, callbacks=[ProgressBar()])
    info = result.bundle.info
    print(
        f"saved {out} ({result.stopped_because}): best dev {info['dev_metric']} "
        f"{info['best_dev']:.2f} after {info['epochs']} epochs, {info['train_seconds'] / 60:.1f} min, "
        f"{info['tokens_per_s']:,} target tokens/s"
    )


def cmd_evaluate(args: argparse.Namespace) -> None:
    bundle = resolve_model(args.model)
    if args.card:
        if not bundle.metrics:
            raise UserError(
                f"{args.model} has no metrics.json yet: run attnviz evaluate --model {args.model}"
            )
        (bundle.path / "README.md").write_text(model_card(bundle, bundle.metrics), encoding="utf-8")
        print(f"model card rewritten from metrics.json: {bundle.path / 'README.md'}", file=sys.stderr)
        return
    beams = [int(b) for b in args.beam.split(",")]
    start = time.monotonic()
    result = evaluate(bundle, beams=beams, limit=args.limit)
    if args.limit is None:
        write_metrics(bundle, result)
        where = f"written to {bundle.path / 'metrics.json'}"
    else:
        where = "not written (--limit evaluates part of the test split)"
    print(json.dumps(result, indent=2))
    print(f"evaluated in {time.monotonic() - start:.0f} s; {where}", file=sys.stderr)


def read_lines(path: str) -> list[str]:
    """Lines of a UTF-8 text file, refusing binary and oversized files with a clear message."""
    data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    if len(data) > MAX_FILE_BYTES:
        raise UserError(f"{path} is {len(data) / 1e6:.0f} MB; the limit is {MAX_FILE_BYTES / 1e6:.0f} MB")
    if b"\x00" in data:
        raise UserError(f"{path} looks binary (it contains NUL bytes)")
    try:
        return data.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise UserError(f"{path} is not UTF-8 text (line {line})") from None


def cmd_translate(args: argparse.Namespace) -> None:
    if (args.sentence is None) == (args.input is None):
        raise UserError('give either a sentence or --input FILE, e.g. attnviz translate -m M "Guten Tag."')
    if args.reference is not None and (args.input is not None or args.beam != 1):
        raise UserError(
            "--reference forces one sentence's translation: give a sentence, without --input or --beam"
        )
    bundle = resolve_model(args.model)
    if args.input is not None:
        lines = read_lines(args.input)
        filled = [i for i, line in enumerate(lines) if line.strip()]
        try:
            traces = search.translate_batch(bundle, [lines[i] for i in filled], beam=args.beam)
        except search.InputError as err:
            raise UserError(f"{args.input}: {err}") from None
        out = [""] * len(lines)  # an empty line in gives an empty line out, keeping lines aligned
        for i, trace in zip(filled, traces, strict=True):
            out[i] = trace.translation
        print("\n".join(out))
        return
    if args.reference is not None:
        trace = search.force(bundle, args.sentence, args.reference)
        if not args.json:  # forced decoding: the probability the model gives each reference piece
            for piece, logp in zip(trace.target_pieces, trace.log_probs, strict=True):
                print(f"{piece}\t{math.exp(float(logp)):.4f}")
            print(trace.pharaoh())
            return
    else:
        trace = search.translate(bundle, args.sentence, beam=args.beam)
    if args.json:
        print(trace.to_json(indent=1))
        return
    if trace.cut:
        limit = bundle.config.max_src_len
        print(f"note: input cut after {limit} pieces ({trace.cut} dropped)", file=sys.stderr)
    print(trace.translation)
    print(trace.pharaoh())


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="attnviz", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a model and save it as a model directory")
    t.add_argument("--recipe", help=f"a shipped model's recipe: {', '.join(RECIPES)}")
    t.add_argument("--task", choices=TASKS, help="default: dates")
    t.add_argument("--attention", choices=ATTENTIONS, help="default: dot")
    t.add_argument("--size", choices=list(SIZES), help="default: default")
    t.add_argument("--out", required=True, help="model directory to write")
    t.add_argument("--max-minutes", dest="max_minutes", type=float, help="wall-clock budget")
    t.add_argument("--epochs", type=int)
    t.add_argument("--seed", type=int)
    t.add_argument("--data", dest="data_path", help="corpus file (de-en: Ding file; tsv: required)")
    t.add_argument("--data-size", dest="data_size", type=int, help="pairs to generate / train on")
    t.add_argument("--batch-size", dest="batch_size", type=int)
    t.add_argument("--lr", type=float)
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("evaluate", help="score a model on its test split; writes metrics.json")
    e.add_argument("--model", "-m", required=True)
    e.add_argument("--beam", default="1,5", help="comma-separated beam sizes (1 = greedy)")
    e.add_argument("--limit", type=int, help="only the first N test pairs (metrics.json untouched)")
    e.add_argument(
        "--card",
        action="store_true",
        help="only rewrite the model card (README.md) from the metrics.json an earlier evaluate wrote",
    )
    e.set_defaults(func=cmd_evaluate)

    r = sub.add_parser("translate", help="translate a sentence and show its alignment")
    r.add_argument("--model", "-m", required=True)
    r.add_argument("sentence", nargs="?")
    r.add_argument("--input", help="file with one sentence per line (- for stdin)")
    r.add_argument("--beam", type=int, default=1)
    r.add_argument("--json", action="store_true", help="print the whole trace as JSON")
    r.add_argument(
        "--reference",
        help="forced decoding: the model writes this translation; prints p(piece) for each of its pieces",
    )
    r.set_defaults(func=cmd_translate)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        args.func(args)
    except BrokenPipeError:  # the reader went away (e.g. `| head`): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (UserError, search.InputError, DataError, ModelError, ConfigError, OSError) as err:
        print(f"attnviz {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"attnviz {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
