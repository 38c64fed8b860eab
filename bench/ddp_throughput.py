"""What N training processes buy (issue 15): the same recipe trained for a few epochs by `attnviz train`
in one process and by `torchrun --standalone --nproc_per_node=N -m attnviz train` for each N, one after
the other in one run on one machine, so the numbers compare as ratios.

For each run it reports train.py's own count of target tokens per second (all ranks' tokens / seconds
since train() began, preparing the data included - what the CLI prints), the seconds of the last epoch
(its training steps and its dev decoding, which the ranks share), and the dev metric it reached: with N
processes an epoch makes 1/N as many updates of N batches each, so the dev metric after a fixed number of
epochs is not expected to match; `bench/seed_spread.py`-style full runs compare the end results.

    .venv/bin/python bench/ddp_throughput.py [--recipe de-en-dot] [--epochs 2] [--processes 1,2]
        [--device cpu]

"1 (N threads)" is a plain `attnviz train` with torch's default intra-op threads; "torchrun N" gives each
of N processes one thread (torchrun's OMP_NUM_THREADS=1).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
TORCHRUN = Path(sys.executable).parent / "torchrun"


def run(label: str, command: list[str], out: Path, env: dict[str, str]) -> dict:
    began = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.monotonic() - began
    if done.returncode != 0:
        sys.exit(f"{label} failed:\n{done.stderr[-3000:]}")
    info = json.loads((out / "config.json").read_text())["info"]
    log = json.loads((out / "train_log.json").read_text())
    last = log[-1]["elapsed_s"] - (log[-2]["elapsed_s"] if len(log) > 1 else 0.0)
    return {
        "label": label,
        "tokens_per_s": info["tokens_per_s"],
        "last_epoch_s": round(last, 1),
        "wall_s": round(wall, 1),
        "dev": round(log[-1]["dev_metric"], 2),
        "metric": log[-1]["metric_name"],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--recipe", default="de-en-dot")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--processes", default="1,2", help="comma-separated process counts for torchrun")
    p.add_argument("--device", default="cpu")
    args = p.parse_args()
    train = ["-m", "attnviz", "train", "--recipe", args.recipe, "--epochs", str(args.epochs)]
    train += ["--device", args.device]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp, "plain")
        threads = torch.get_num_threads()
        rows.append(
            run(f"1 ({threads} threads)", [sys.executable, *train, "--out", str(out)], out, dict(os.environ))
        )
        for n in (int(x) for x in args.processes.split(",")):
            out = Path(tmp, f"torchrun{n}")
            command = [str(TORCHRUN), "--standalone", f"--nproc_per_node={n}", *train, "--out", str(out)]
            rows.append(run(f"torchrun {n}", command, out, dict(os.environ)))
    base = rows[0]["tokens_per_s"]
    machine = f"{platform.node()}, {os.cpu_count()} CPUs, torch {torch.__version__}"
    print(
        f"{args.recipe}, {args.epochs} epochs, {args.device}; {machine}, {dt.datetime.now():%Y-%m-%d %H:%M}"
    )
    print("| processes | target tokens/s | vs 1 process | last epoch, s | whole run, s | dev after |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['label']} | {r['tokens_per_s']:,} | {r['tokens_per_s'] / base:.2f} | "
            f"{r['last_epoch_s']} | {r['wall_s']} | {r['metric']} {r['dev']} |"
        )


if __name__ == "__main__":
    main()
