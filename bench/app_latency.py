"""Benchmark: time from pressing Enter to the heatmap being drawn, in headless Chromium.

Measures the app (Translate page, default model) against a minimal Streamlit page that draws one plotly
heatmap (bench/minimal_heatmap_app.py), in one run, alternating the two. Run by hand:
`.venv/bin/python bench/app_latency.py [--repeats 20]`. Needs Debian's chromium.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from attnviz import tasks  # noqa: E402
from attnviz.checkpoint import load_model  # noqa: E402
from attnviz.recipes import DEFAULT_MODEL  # noqa: E402
from pages.loading import available_models  # noqa: E402

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking"]  # fmt: skip
# True once the page's plotly figure holds data other than `before` and has been painted.
CHANGED = """(before) => {
  const gd = document.querySelector('.js-plotly-plot');
  if (!gd || !gd.data || !gd.querySelector('.heatmaplayer image, .heatmaplayer .hm')) return false;
  return JSON.stringify(gd.data[0].z).slice(0, 2000) !== before;
}"""
SNAPSHOT = """() => { const gd = document.querySelector('.js-plotly-plot');
  return gd && gd.data ? JSON.stringify(gd.data[0].z).slice(0, 2000) : ''; }"""


@contextmanager
def streamlit(script: str, port: int):
    cmd = [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true",
           "--browser.gatherUsageStats", "false"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def time_enter(page, sentence: str) -> float:
    """Seconds from pressing Enter in the Sentence box to the new heatmap on screen."""
    before = page.evaluate(SNAPSHOT)
    box = page.get_by_role("textbox", name="Sentence")
    box.fill(sentence)
    start = time.perf_counter()
    box.press("Enter")
    page.wait_for_function(CHANGED, arg=before, polling="raf", timeout=60_000)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    models = available_models()
    model = DEFAULT_MODEL if DEFAULT_MODEL in models else next(iter(models))
    task = tasks.get(load_model(models[model]).train_config.task)
    # Sentences of the test split where they are full sentences (BLEU tasks); the examples otherwise.
    pool = (
        [p.source for p in tasks.load_task(task.name).test[: args.repeats]] if task.metric == "bleu" else []
    )
    sentences = (pool or list(task.examples) * args.repeats)[: args.repeats]
    # Distinct sentences, so every press computes a new trace (no cache hits) and a new figure.
    sentences = [s if i < len(set(sentences)) else f"{s} {i}" for i, s in enumerate(sentences)]
    times: dict[str, list[float]] = {"app": [], "minimal": []}
    with streamlit("app.py", 8611) as app_url, streamlit("bench/minimal_heatmap_app.py", 8612) as min_url:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            pages = {}
            for name, url in (("app", f"{app_url}/?model={model}"), ("minimal", min_url)):
                pages[name] = browser.new_page(viewport={"width": 1400, "height": 1000})
                pages[name].goto(url)
                pages[name].get_by_role("textbox", name="Sentence").wait_for(timeout=60_000)
                time_enter(pages[name], "Warm up." if pool else sentences[0] + " ")
            for sentence in sentences:
                for name in ("app", "minimal"):
                    times[name].append(time_enter(pages[name], sentence))
            browser.close()
    app, minimal = (statistics.median(times[k]) * 1000 for k in ("app", "minimal"))
    print(f"model {model}, {len(sentences)} sentences, median of each, alternating the two pages")
    print("| page | Enter -> heatmap drawn (median) |\n|---|---|")
    print(f"| attnviz Translate ({model}) | {app:.0f} ms |\n| minimal one-heatmap page | {minimal:.0f} ms |")
    print(f"| ratio | {app / minimal:.2f} (target <= 1.3) |")


if __name__ == "__main__":
    main()
