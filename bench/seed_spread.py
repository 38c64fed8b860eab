"""How much of a model's score is the seed? Train one recipe with another seed (or a changed setting, or
on N processes) and print its dev and test metric as one JSON line.

    python bench/seed_spread.py --recipe de-en-dot --seed 2 [--set batch_size=32] [--device cuda]
    torchrun --standalone --nproc_per_node=2 bench/seed_spread.py --recipe dates-dot --seed 2

With --device cuda the training steps run on a GPU (cuDNN's GRU, other rounding), so the numbers measure
the spread between seeds, not what the CPU recipe gives. Decoding (the dev metric each epoch, the test
metric at the end) always runs on the CPU, because search.py's traces are NumPy. Under torchrun the ranks
train one model (train.py) and rank 0 prints the line.
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

from attnviz import metrics, search, tasks  # noqa: E402
from attnviz import train as trainer  # noqa: E402
from attnviz.config import resolve  # noqa: E402
from attnviz.tasks import load_task  # noqa: E402


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
    p.add_argument("--threads", type=int, help="torch's threads per process (default: torch's own choice)")
    p.add_argument("--out", help="model directory to write (default: none is saved)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    ranks = trainer.start_processes(args.device)

    def parse(items):
        return {k: json.loads(v) for k, v in (s.split("=", 1) for s in items)}

    cfg = resolve(recipe=args.recipe)
    cfg = replace(cfg, seed=args.seed, data_path=args.data or cfg.data_path, **parse(args.set))
    cfg = replace(cfg, model=replace(cfg.model, **parse(args.model_set)))
    corpus = load_task(cfg.task, seed=cfg.data_seed, path=cfg.data_path, size=cfg.data_size)
    start = time.monotonic()
    out = Path(args.out) if args.out else None
    result = trainer.train(cfg, out, corpus=corpus, callbacks=[Log()], device=args.device)
    trainer.stop_processes()
    if not ranks.main:
        return
    bundle = result.bundle
    hyps = [t.translation for t in search.translate_batch(bundle, [q.source for q in corpus.test])]
    refs = [q.target for q in corpus.test]
    metric = tasks.get(cfg.task).metric
    line = {
        "recipe": args.recipe,
        "seed": args.seed,
        "set": args.set + args.model_set,
        "device": args.device,
        "processes": ranks.world,
        "epochs": len(result.history),
        "metric": metric,
        "best_dev": round(bundle.info["best_dev"], 2),
        "best_dev_loss": round(min(h.dev_loss for h in result.history), 4),
        "averaged": bundle.info.get("averaged_checkpoints", 1),
        "test_greedy": round(
            metrics.bleu(hyps, refs) if metric == "bleu" else metrics.exact_match(hyps, refs), 2
        ),
        "minutes": round((time.monotonic() - start) / 60, 1),
        "stopped": result.stopped_because,
    }
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
