"""Training in the browser against `attnviz train`, in one run, on the same machine (issue 12 item 7, 13
item 1): target tokens/s of each, their ratio, and the server's /_stcore/health latency while the job runs.

For each repeat it runs, one after the other:
  1. `attnviz train` at the Train page's default settings (jobs.DEFAULTS: dates, dot, small) with the same
     budget, as a user would type it (torch's default threads), and once more with the training process's
     thread count (OMP_NUM_THREADS), so the two thread choices can be told apart;
  2. the same job through the real app: `streamlit run app.py`, headless Chromium opens the Train page,
     sets the budget, presses Start and watches until "Saved as" (with --watchers N: N tabs watching;
     0 = the starting tab closes at once), while a thread asks /_stcore/health every 0.25 s.
Both report tokens/s the same way: train.py's own count (target tokens / seconds since train() began,
preparing the data included), read from the saved model's config.json.

    .venv/bin/python bench/train_in_app.py [--minutes 1] [--watchers 1] [--repeats 1] [--browser-nice 19]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from attnviz import jobs

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


def cli_run(out: Path, minutes: float, threads: int | None) -> dict:
    d = jobs.DEFAULTS
    cmd = [
        sys.executable, "-m", "attnviz.cli", "train", "--task", d["task"], "--attention", d["attention"],
        "--size", d["size"], "--epochs", str(d["epochs"]), "--max-minutes", str(minutes), "--out", str(out),
    ]  # fmt: skip
    env = dict(os.environ)
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    start = time.monotonic()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True)
    saved = json.loads((out / "config.json").read_text())
    return {"wall_s": time.monotonic() - start, **_summary(saved)}


def _summary(saved: dict) -> dict:
    info = saved["info"]
    keys = ("tokens_per_s", "epochs", "best_dev", "train_seconds", "stopped_because")
    return {k: info.get(k) for k in keys} | {"train": saved["train"]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HealthProbe(threading.Thread):
    """Asks the server's health endpoint every 0.25 s and keeps each answer's latency."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.latencies, self.done = f"{url}/_stcore/health", [], threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            start = time.monotonic()
            try:
                urllib.request.urlopen(self.url, timeout=30).read()
                self.latencies.append(time.monotonic() - start)
            except OSError:
                self.latencies.append(float("inf"))
            self.done.wait(0.25)


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes have used so far (from /proc; gone processes count 0)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / tick
    return total


def _browser_pids() -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/comm"):
        try:
            if stat.read_text().strip() in ("chromium", "chrome", "headless_shell"):
                pids.append(int(stat.parent.name))
        except OSError:
            continue
    return pids


def app_run(models: Path, minutes: float, watchers: int, browser_nice: int = 0) -> dict:
    from playwright.sync_api import sync_playwright

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, ATTNVIZ_USER_MODELS=str(models))
    log = open(models.parent / f"server-{port}.log", "wb")  # noqa: SIM115 - closed below
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    cmd += ["--server.headless", "true", "--browser.gatherUsageStats", "false"]
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(url)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
            tabs = [browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()]
            tab = tabs[0]
            tab.set_default_timeout(600_000)
            tab.goto(f"{url}/train")
            box = tab.get_by_role("spinbutton", name="At most this many minutes")
            box.fill(str(minutes))
            box.press("Enter")
            name_box = tab.get_by_label("Save the model as")
            name_box.fill("bench")
            name_box.press("Enter")
            tab.wait_for_timeout(800)
            probe = HealthProbe(url)
            tab.get_by_role("button", name="Start training").click()
            clicked = time.monotonic()
            probe.start()
            tab.get_by_role("button", name="Cancel").wait_for()
            if watchers == 0:
                tab.context.close()
            for _ in range(watchers - 1):
                other = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                other.goto(f"{url}/train")
                tabs.append(other)
            browsers = _browser_pids()
            for pid in browsers:
                if browser_nice:
                    os.setpriority(os.PRIO_PROCESS, pid, browser_nice)
            cpu_start = time.monotonic(), _cpu_seconds([server.pid]), _cpu_seconds(browsers)
            final = models / "bench" / "config.json"
            while not final.is_file() or not (models / "bench" / "metrics.json").is_file():
                time.sleep(0.2)
            wall = time.monotonic() - clicked
            window = time.monotonic() - cpu_start[0]
            cpu = {
                "server_cpu_per_s": (_cpu_seconds([server.pid]) - cpu_start[1]) / window,
                "browser_cpu_per_s": (_cpu_seconds(browsers) - cpu_start[2]) / window,
            }
            probe.done.set()
            probe.join()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    lat = sorted(probe.latencies)
    health = {"n": len(lat), "median_s": statistics.median(lat), "p95_s": lat[int(0.95 * (len(lat) - 1))]}
    health["max_s"] = lat[-1]
    summary = _summary(json.loads(final.read_text()))
    return {"wall_s": wall, **summary, "health": health, **cpu, **_stages(models)}


def _wait_healthy(url: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("streamlit did not start")


def _stages(models: Path) -> dict:
    """From the job's own events: seconds to the first batch, training's overshoot of the budget (the
    last batch's elapsed minus the budget), and how long scoring the test split took."""
    (events_file,) = (models / jobs.JOBS).glob("*/events.jsonl")
    events = [json.loads(line) for line in events_file.read_text().splitlines()]
    first = min(e["t"] for e in events)
    stages: dict[str, float] = {}
    for e in events:
        if e["kind"] == "stage":
            stages.setdefault(e["stage"], e["t"])  # each stage's first time (training begins each epoch)
    last = [e for e in events if e["kind"] == "progress"][-1]
    end = next(e["t"] for e in events if e["kind"] == "end")
    threads = next(e["threads"] for e in events if e.get("threads"))
    return {
        "threads": threads,
        "start_to_training_s": stages["training"] - first,
        "budget_overshoot_s": last["elapsed_s"] - last["budget_s"],
        "test_scoring_s": end - stages["test"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=1.0, help="the time budget of every run")
    parser.add_argument("--watchers", default="1", help="comma-separated tab counts, e.g. 0,1,3")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument(
        "--browser-nice", type=int, default=0,
        help="run the Chromium processes at this nice value (19: they take only CPU nothing else wants, "
        "standing in for browsers on the users' own machines)",
    )  # fmt: skip
    args = parser.parse_args()
    child_threads = jobs.default_threads()
    rows = []
    for repeat in range(args.repeats):
        for kind in ["cli", "cli-same-threads"] + [f"app-{w}" for w in args.watchers.split(",")]:
            with tempfile.TemporaryDirectory() as tmp:
                models = Path(tmp) / "models"
                if kind == "cli":
                    r = cli_run(models / "cli", args.minutes, None)
                elif kind == "cli-same-threads":
                    r = cli_run(models / "cli", args.minutes, child_threads)
                else:
                    r = app_run(models, args.minutes, int(kind.split("-")[1]), args.browser_nice)
            train = r.pop("train")
            rows.append((kind, r))
            print(f"repeat {repeat + 1} {kind}: {json.dumps(r)}", flush=True)
            train.pop("data_path", None)
            rows[-1][1]["settings"] = json.dumps(train, sort_keys=True)
    by = {}
    for kind, r in rows:
        by.setdefault(kind, []).append(r)
    same = len({r["settings"] for _, r in rows}) == 1
    cli = statistics.median(r["tokens_per_s"] for r in by["cli"])
    print(f"\n{dt.date.today()} {platform.node()} {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; budget {args.minutes} min, "
          f"settings {jobs.DEFAULTS} (identical TrainConfig in every run: {same})")  # fmt: skip
    for kind, results in by.items():
        tps = statistics.median(r["tokens_per_s"] for r in results)
        line = f"{kind:>17}: {tps:>8,.0f} target tokens/s, CLI/this {cli / tps:.2f}x"
        if "health" in results[0]:
            worst = max(r["health"]["max_s"] for r in results)
            p95 = max(r["health"]["p95_s"] for r in results)
            line += f"; health p95 {p95:.3f} s, max {worst:.3f} s"
            line += f"; budget overshoot {max(r['budget_overshoot_s'] for r in results):.2f} s"
            line += f"; test scoring {statistics.median(r['test_scoring_s'] for r in results):.1f} s"
            line += f"; threads {results[0]['threads']}"
            line += f"; CPU-s per s: server {statistics.median(r['server_cpu_per_s'] for r in results):.2f}"
            line += f", browsers {statistics.median(r['browser_cpu_per_s'] for r in results):.2f}"
        print(line)


if __name__ == "__main__":
    main()
