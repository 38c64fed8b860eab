"""How much of a de-en model's BLEU is the seed? Train one recipe with another seed (or a changed setting)
and print its dev and test BLEU as one JSON line.

    python bench/seed_spread.py --recipe de-en-dot --seed 2 [--set batch_size=32] [--device cuda]

Not the shipped models' path: with --device cuda the training steps run on a GPU (cuDNN's GRU, other
rounding), so the numbers measure the spread between seeds, not what the CPU recipe gives. Decoding
(dev BLEU each epoch, test BLEU at the end) always runs on the CPU, because search.py's traces are NumPy.
Run several at once, one process each, on a machine with the cores for it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from attnviz import metrics, search  # noqa: E402
from attnviz import train as trainer  # noqa: E402
from attnviz.config import resolve  # noqa: E402
from attnviz.tasks import load_task  # noqa: E402


def on_cpu(score):
    """Wrap train.dev_score: move the model to the CPU for decoding, then back."""

    def wrapped(bundle, pairs, task, beam=1):
        device = next(bundle.model.parameters()).device
        bundle.model.cpu()
        with torch.device("cpu"):
            result = score(bundle, pairs, task, beam)
        bundle.model.to(device)
        return result

    return wrapped


class Log(trainer.Callback):
    """One line per epoch on stderr, to watch a long run."""

    def on_epoch(self, result, bundle):
        r = result
        print(
            f"epoch {r.epoch} loss {r.train_loss:.3f} dev_loss {r.dev_loss:.3f} dev {r.dev_metric:.2f} "
            f"lr {r.lr:g} {r.elapsed_s / 60:.1f} min",
            file=sys.stderr,
            flush=True,
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--recipe", default="de-en-dot")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--set", action="append", default=[], help="FIELD=VALUE, a TrainConfig field (int/float)")
    p.add_argument("--model-set", action="append", default=[], help="FIELD=VALUE, a model setting")
    p.add_argument("--data", help="the Ding file, if not at the Debian path")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", help="model directory to write (default: none is saved)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)

    def parse(items):
        return {k: json.loads(v) for k, v in (s.split("=", 1) for s in items)}

    cfg = resolve(recipe=args.recipe)
    cfg = replace(cfg, seed=args.seed, data_path=args.data or cfg.data_path, **parse(args.set))
    cfg = replace(cfg, model=replace(cfg.model, **parse(args.model_set)))
    corpus = load_task(cfg.task, seed=cfg.data_seed, path=cfg.data_path, size=cfg.data_size)
    trainer.dev_score = on_cpu(trainer.dev_score)
    start = time.monotonic()
    torch.set_default_device(args.device)
    out = Path(args.out) if args.out else None
    result = trainer.train(cfg, out, corpus=corpus, callbacks=[Log()])
    torch.set_default_device("cpu")
    bundle = result.bundle
    bundle.model.cpu().eval()
    hyps = [t.translation for t in search.translate_batch(bundle, [q.source for q in corpus.test])]
    line = {
        "recipe": args.recipe,
        "seed": args.seed,
        "set": args.set + args.model_set,
        "device": args.device,
        "epochs": len(result.history),
        "best_dev_bleu": round(bundle.info["best_dev"], 2),
        "averaged": bundle.info.get("averaged_checkpoints", 1),
        "test_bleu_greedy": round(metrics.bleu(hyps, [q.target for q in corpus.test]), 2),
        "minutes": round((time.monotonic() - start) / 60, 1),
        "stopped": result.stopped_because,
    }
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
