"""The command line: `attnviz train`, `attnviz evaluate`, `attnviz translate`.

Errors a user can cause (bad input, a missing model or data file) end in one line on stderr and exit
status 2, never a traceback. `--input` streams: each bad line is named on stderr and gets an empty output
line, the others are translated, and the run ends with exit status 1.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, TextIO

from tqdm import tqdm

from attnviz import search, tasks
from attnviz.align import ALIGNERS
from attnviz.bundle import Bundle
from attnviz.checkpoint import ModelError, list_models, load_model
from attnviz.config import ATTENTIONS, SIZES, ConfigError, resolve
from attnviz.evaluate import assess, model_card, write_metrics
from attnviz.intervene import Intervention, InterventionError
from attnviz.recipes import RECIPES
from attnviz.tasks import DataError
from attnviz.tasks.tsv import wide_encoding
from attnviz.train import Callback, EpochResult, Progress, start_processes, stop_processes, train

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
MAX_FILE_BYTES = 50_000_000  # a regular --input file over this is refused before it is read
MAX_BEAM = 64  # beam search keeps this many hypotheses (and their traces) per sentence at most
CHUNK_LINES = 64  # --input lines translated together; their output is written before more is read
# The longest line worth reading: MAX_INPUT_CHARS characters of up to 4 UTF-8 bytes each, and "\r\n".
MAX_LINE_BYTES = 4 * search.MAX_INPUT_CHARS + 2
MAX_SKIP_BYTES = 1_000_000  # an over-long line is skipped to its end, unless it has no end in sight


class UserError(Exception):
    """A problem the user can fix; printed as one line."""


class SomeLinesFailed(UserError):
    """--input translated, except for lines already reported one by one: exit status 1, not 2."""


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
    """tqdm's bar over each epoch's batches on stderr (where stderr is a terminal), and one summary line
    per epoch."""

    def __init__(self, stream=sys.stderr) -> None:
        self.stream = stream
        self.bar: tqdm | None = None

    def on_batch(self, p: Progress) -> None:
        if self.bar is None:
            self.bar = tqdm(
                total=p.batches, desc=f"epoch {p.epoch}", unit="batch", file=self.stream, leave=False,
                disable=not self.stream.isatty(), mininterval=0.2,
            )  # fmt: skip
        budget = f"/{p.budget_s / 60:.0f}" if p.budget_s else ""
        self.bar.set_postfix_str(
            f"loss {p.loss:.3f}, {p.tokens_per_s:,.0f} tok/s, {p.elapsed_s / 60:.1f}{budget} min",
            refresh=False,
        )
        self.bar.update(p.batch - self.bar.n)

    def on_epoch(self, r: EpochResult, bundle: Bundle) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        mark = " *" if r.improved else ""
        self.stream.write(
            f"epoch {r.epoch}: train loss {r.train_loss:.3f}, dev loss {r.dev_loss:.3f}, "
            f"dev {r.metric_name} {r.dev_metric:.2f}, "
            f"lr {r.lr:.2g}, {r.elapsed_s / 60:.1f} min{mark}\n"
        )
        self.stream.flush()


TRAIN_FLAGS = ("task", "size", "attention", "seed", "data_path", "data_size", "max_minutes", "epochs")
TRAIN_FLAGS += ("batch_size", "lr")


def cmd_train(args: argparse.Namespace) -> None:
    # Flags given on the command line override the recipe (or the task's defaults).
    given = {name: getattr(args, name) for name in TRAIN_FLAGS if getattr(args, name) is not None}
    cfg = resolve(recipe=args.recipe, **given)
    out = Path(args.out)
    ranks = start_processes(args.device)  # under torchrun: join the other processes
    try:
        result = train(cfg, out, callbacks=[ProgressBar()], device=args.device)
    finally:
        stop_processes()
    if not ranks.main:
        return
    info = result.bundle.info
    processes = f", {ranks.world} processes" if ranks.world > 1 else ""
    print(
        f"saved {out} ({result.stopped_because}): best dev {info['dev_metric']} "
        f"{info['best_dev']:.2f} after {info['epochs']} epochs, {info['train_seconds'] / 60:.1f} min, "
        f"{info['tokens_per_s']:,} target tokens/s{processes}"
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
    beams = beam_sizes(args.beam)
    start = time.monotonic()
    result, links = assess(bundle, beams=beams, limit=args.limit, aligners=aligner_names(args.aligners))
    if args.limit is None:
        write_metrics(bundle, result, links)
        where = f"written to {bundle.path / 'metrics.json'}"
    else:
        where = "not written (--limit evaluates part of the test split)"
    print(json.dumps(result, indent=2))
    print(f"evaluated in {time.monotonic() - start:.0f} s; {where}", file=sys.stderr)


def check_beam(beam: int) -> int:
    if not 1 <= beam <= MAX_BEAM:
        raise UserError(f"--beam must be from 1 (greedy) to {MAX_BEAM}, not {beam}")
    return beam


def aligner_names(text: str) -> tuple[str, ...]:
    """evaluate's --aligners: comma-separated names of attnviz.align.ALIGNERS, or 'none'."""
    if text.strip().lower() == "none":
        return ()
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in ALIGNERS]
    if unknown or not names:
        raise UserError(
            f"--aligners: {', '.join(unknown) or repr(text)} not known; use {', '.join(ALIGNERS)} or none"
        )
    return names


def beam_sizes(text: str) -> list[int]:
    """evaluate's --beam: comma-separated beam sizes, each in 1..MAX_BEAM."""
    try:
        beams = [int(b) for b in text.split(",")]
    except ValueError:
        raise UserError(f"--beam takes comma-separated beam sizes such as 1,5, not {text!r}") from None
    return [check_beam(b) for b in beams]


def open_input(path: str) -> BinaryIO:
    """The --input stream (- is stdin). A regular file over MAX_FILE_BYTES is refused by its size, before
    a byte is read; text with NUL bytes in its first block (binary, UTF-16, /dev/zero) is refused too."""
    stream = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115 (closed by the caller)
    info = os.fstat(stream.fileno())
    if stat.S_ISREG(info.st_mode) and info.st_size > MAX_FILE_BYTES:
        stream.close()
        raise UserError(
            f"{path} is {info.st_size / 1e6:,.0f} MB; the limit is {MAX_FILE_BYTES / 1e6:.0f} MB: split it"
        )
    head = stream.peek(8192)[:8192]  # at most one read: a pipe may give less, which is fine
    if b"\x00" in head:
        stream.close()
        if wide := wide_encoding(head):
            raise UserError(f"{path} looks like {wide} text: save it as UTF-8")
        raise UserError(f"{path} looks binary (it contains NUL bytes)")
    return stream


def input_lines(stream: BinaryIO, path: str) -> Iterator[tuple[int, str, str]]:
    """(line number, text, problem) for each line, read one bounded line at a time, so neither an endless
    pipe nor a file without line breaks is held in memory. A bad line has a problem and no text."""
    for number in itertools.count(1):
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        if len(raw) > MAX_LINE_BYTES:  # longer than any line we can translate: skip to its end
            skipped = len(raw)
            while not raw.endswith(b"\n") and (raw := stream.readline(65536)):
                skipped += len(raw)
                if skipped > MAX_SKIP_BYTES:
                    raise UserError(
                        f"{path}: line {number} is over {MAX_SKIP_BYTES / 1e6:g} MB long (is it text?): "
                        "stopped reading"
                    )
            yield number, "", f"longer than the limit of {search.MAX_INPUT_CHARS:,} characters"
            continue
        if number == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark
        try:
            yield number, raw.removesuffix(b"\n").removesuffix(b"\r").decode("utf-8"), ""
        except UnicodeDecodeError:
            yield number, "", "not UTF-8 text"


def translate_lines(
    bundle: Bundle, lines: Iterator[tuple[int, str, str]], beam: int, path: str, out: TextIO | None = None
) -> tuple[int, list[int]]:
    """Translate `lines` CHUNK_LINES at a time, writing each chunk's output before reading on: one output
    line per input line (empty for an empty line, and for a bad one, which is reported on stderr with
    its number). Returns how many lines were read and the numbers of the bad ones."""
    out = out or sys.stdout  # looked up now: tests (and callers) may have replaced it
    read, failed = 0, []
    while chunk := list(itertools.islice(lines, CHUNK_LINES)):
        read += len(chunk)
        output = [""] * len(chunk)
        good: dict[int, str] = {}  # position in the chunk -> sentence
        for k, (number, text, problem) in enumerate(chunk):
            if not problem and not text.strip():
                continue  # an empty line in gives an empty line out, keeping lines aligned
            if not problem:
                try:
                    search.read_source(bundle, text)
                except search.InputError as err:
                    problem = str(err)
            if problem:
                failed.append(number)
                print(f"attnviz translate: {path}: line {number}: {problem}", file=sys.stderr)
            else:
                good[k] = text
        traces = search.translate_batch(bundle, list(good.values()), beam=beam)
        for k, trace in zip(good, traces, strict=True):
            output[k] = trace.translation
        out.write("\n".join(output) + "\n")
        out.flush()
    return read, failed


def what_if(args: argparse.Namespace) -> Intervention | None:
    """--force T:I, --mask I, --attention-as KIND as one Intervention (at most one of them)."""
    given = [x for x in (args.force, args.mask, args.attention_as) if x is not None]
    if len(given) > 1:
        raise UserError("give one of --force, --mask and --attention-as")
    if args.force is not None:
        step, colon, piece = args.force.partition(":")
        if not colon or not step.isdigit() or not piece.isdigit():
            raise UserError(
                f"--force takes STEP:PIECE, two whole numbers from 1 (e.g. 3:2), got {args.force!r}"
            )
        return Intervention("force", step=int(step), piece=int(piece))
    if args.mask is not None:
        return Intervention("mask", piece=args.mask)
    if args.attention_as is not None:
        return Intervention(args.attention_as)
    return None


def cmd_translate(args: argparse.Namespace) -> None:
    if (args.sentence is None) == (args.input is None):
        raise UserError('give either a sentence or --input FILE, e.g. attnviz translate -m M "Guten Tag."')
    check_beam(args.beam)
    if args.reference is not None and (args.input is not None or args.beam != 1):
        raise UserError(
            "--reference forces one sentence's translation: give a sentence, without --input or --beam"
        )
    if (args.force, args.mask, args.attention_as) != (None, None, None) and (
        args.input is not None or args.reference is not None
    ):
        raise UserError("--force, --mask and --attention-as change one sentence's decoding: give a sentence")
    bundle = resolve_model(args.model)
    if args.input is not None:
        with open_input(args.input) as stream:
            read, failed = translate_lines(bundle, input_lines(stream, args.input), args.beam, args.input)
        if failed:
            which = ("line " if len(failed) == 1 else "lines ") + ", ".join(map(str, failed[:10]))
            more = ", ..." if len(failed) > 10 else ""
            raise SomeLinesFailed(
                f"{len(failed):,} of {read:,} lines could not be translated ({which}{more}); "
                "the output has an empty line for each"
            )
        return
    if args.reference is not None:
        trace = search.force(bundle, args.sentence, args.reference)
        if not args.json:  # forced decoding: the probability the model gives each reference piece
            for piece, logp in zip(trace.target_pieces, trace.log_probs, strict=True):
                print(f"{piece}\t{math.exp(float(logp)):.4f}")
            print(trace.pharaoh())
            return
    else:
        intervention = what_if(args)
        trace = search.translate(bundle, args.sentence, beam=args.beam, intervention=intervention)
        if intervention is not None and not args.json:
            print(f"note: {intervention.describe()}", file=sys.stderr)
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
    t.add_argument("--task", choices=[t.name for t in tasks.all_tasks()], help=f"default: {tasks.DEFAULT}")
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
    t.add_argument(
        "--device",
        default="cpu",
        help="where the training steps run: cpu (default) or cuda (under torchrun: each process its GPU)",
    )
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("evaluate", help="score a model on its test split; writes metrics.json")
    e.add_argument("--model", "-m", required=True)
    e.add_argument("--beam", default="1,5", help=f"comma-separated beam sizes, 1 (greedy) to {MAX_BEAM}")
    e.add_argument("--limit", type=int, help="only the first N test pairs (metrics.json untouched)")
    e.add_argument(
        "--aligners",
        default=",".join(ALIGNERS),
        help="statistical aligners scored beside the attention where the test split has gold alignments: "
        f"comma-separated, of {', '.join(ALIGNERS)}; 'none' for none",
    )
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
    r.add_argument("--beam", type=int, default=1, help=f"beam size: 1 (greedy, the default) to {MAX_BEAM}")
    r.add_argument("--json", action="store_true", help="print the whole trace as JSON")
    r.add_argument(
        "--reference",
        help="forced decoding: the model writes this translation; prints p(piece) for each of its pieces",
    )
    r.add_argument(
        "--force",
        metavar="STEP:PIECE",
        help="what-if: put all of decoder step STEP's attention on source piece PIECE (both from 1), "
        "then let the model decode on",
    )
    r.add_argument(
        "--mask", type=int, metavar="PIECE", help="what-if: source piece PIECE (from 1) gets no attention"
    )
    r.add_argument(
        "--attention-as",
        dest="attention_as",
        choices=("uniform", "permute", "hard"),
        help="what-if: at every step, attention spread evenly, shuffled across the source, or all on "
        "its argmax",
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
    except (
        UserError,
        search.InputError,
        InterventionError,
        DataError,
        ModelError,
        ConfigError,
        OSError,
    ) as err:
        print(f"attnviz {args.command}: error: {err}", file=sys.stderr)
        return 1 if isinstance(err, SomeLinesFailed) else 2
    except KeyboardInterrupt:
        print(f"attnviz {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
