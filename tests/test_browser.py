"""Real-browser tests: the app served by `streamlit run`, clicked through in Debian's headless Chromium.

Screenshots go to artifacts/screenshots/. Without Chromium these tests skip, except in CI
(ATTNVIZ_REQUIRE_ALL=1), where a skipped browser test is a failure.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import OUTCOME, require_or_skip

from attnviz import search
from attnviz.checkpoint import load_model

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`streamlit run app.py` on a free loopback port, stopped after the module's tests.

    Its output goes to a file, never to a pipe nobody reads: once a pipe's buffer (64 KB) is full, every
    server thread that logs blocks - pages stop loading, and the tests after that fail or hang (seen in
    session 6, when more tests made the server log more)."""
    port = _free_port()
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    out = log.open("wb")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail(f"streamlit did not start: {log.read_text(errors='replace')[-2000:]}")
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        out.close()
        print(f"streamlit server log ({log.stat().st_size:,} bytes): {log}")


@pytest.fixture(scope="module")
def browser():
    require_or_skip(
        Path(CHROMIUM).exists() and shutil.which("chromium") is not None, "Debian chromium missing"
    )
    from playwright.sync_api import sync_playwright  # a requirement: missing is an error, not a skip

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


LOG = []


@pytest.fixture
def page(browser, request):
    """A fresh tab; when the test fails, a screenshot of it goes to FAILED-<test>.png beside the others."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    LOG.clear()
    pg.on("console", lambda m: LOG.append(f"console {m.type}: {m.text}"))
    pg.on("pageerror", lambda e: LOG.append(f"pageerror: {e}"))
    pg.on("crash", lambda p: LOG.append("CRASH"))
    yield pg
    report = request.node.stash.get(OUTCOME, None)
    if report is not None and report.failed:
        _shot(pg, f"FAILED-{request.node.name}")
        print(f"{pg.url}\n" + "\n".join(LOG))  # the browser's console errors, shown with the failure
    context.close()


def _shot(page, name: str) -> None:
    """The whole page, not only what fits the window: Streamlit scrolls inside its main element, so the
    window is made as tall as that element's content for the picture, then put back."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    tall = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight ?? 0")
    if size and tall > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": min(tall, 8000)})
        page.wait_for_timeout(800)  # plotly redraws its charts at the new size
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    if size:
        page.set_viewport_size(size)


def _wait_for_heatmap(page) -> None:
    """Until plotly has drawn the heatmap at its full size (it first draws, then resizes)."""
    page.locator(".js-plotly-plot .heatmaplayer").first.wait_for()
    page.wait_for_function(
        "() => { const g = document.querySelector('.js-plotly-plot .heatmaplayer');"
        " return g && g.getBoundingClientRect().width > 300; }"
    )
    page.wait_for_timeout(300)


def test_a_deep_link_to_a_fresh_server_gets_the_whole_app(server, page):
    """Keep this test first: it needs a server no session has visited yet. Streamlit would otherwise run
    the page file alone (no navigation, no app.py) until someone opened the landing page."""
    page.goto(f"{server}/step?model=dates-dot&s=26+nov+2026&step=2")
    page.get_by_text("Step 2 of").first.wait_for()
    nav = page.locator('[data-testid="stSidebarNav"]')
    for title in ("Translate", "Step through", "Compare", "Bottleneck", "Train", "Models"):
        nav.get_by_text(title, exact=True).wait_for()
    assert nav.get_by_text("common", exact=True).count() == 0  # not the raw file list
    assert "step=2" in page.url


def test_the_app_opens_on_the_default_model(server, page):
    """What the README's run command shows first: the Translate page, the shipped default model, its
    first example sentence translated and mapped, with no query string and no click."""
    page.goto(server)
    _wait_for_heatmap(page)
    picker = page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Model")
    assert picker.input_value().startswith("de-en-dot (German")
    assert page.get_by_role("textbox", name="Sentence").input_value() == "Ich habe keine Zeit."
    expected = search.translate(load_model(ROOT / "models" / "de-en-dot"), "Ich habe keine Zeit.")
    page.locator('[data-testid="stCode"]').get_by_text(expected.translation, exact=True).wait_for()
    assert "model=de-en-dot" in page.url
    assert page.locator('[data-testid="stException"]').count() == 0
    _shot(page, "translate-default")


def test_type_a_sentence_see_the_heatmap_download_the_trace(server, page, tmp_path):
    page.goto(f"{server}/?model=dates-dot")
    box = page.get_by_role("textbox", name="Sentence")
    box.fill("thursday, 26 nov 2026")
    box.press("Enter")
    _wait_for_heatmap(page)
    page.get_by_text("2026-11-26").first.wait_for()
    _shot(page, "translate")
    with page.expect_download() as info:
        page.get_by_role("button", name="Trace (JSON)").click()
    path = tmp_path / "trace.json"
    info.value.save_as(path)
    trace = json.loads(path.read_text())
    assert trace["translation"] == "2026-11-26"
    assert trace["source"] == "thursday, 26 nov 2026"
    assert "s=thursday" in page.url  # the sentence lives in the shareable URL


def test_step_through_two_steps_and_the_sandbox(server, page):
    page.goto(f"{server}/step?model=dates-dot&s=26+nov+2026&step=1")
    page.get_by_text("Step 1 of").first.wait_for()
    for expected in ("Step 2 of", "Step 3 of"):
        page.get_by_role("button", name="Next ▶").click()
        page.get_by_text(expected).first.wait_for()
    assert "step=3" in page.url
    _wait_for_heatmap(page)
    _shot(page, "step")
    page.get_by_role("tab", name="Sandbox").click()
    page.get_by_text("lecture's example").wait_for()
    page.locator(".katex").last.wait_for()
    _shot(page, "sandbox")


@pytest.mark.parametrize(("path", "maps"), [("compare", 3), ("bottleneck", 2), ("models", 0)])
def test_every_other_page_renders(server, page, path, maps):
    """On the German-English family: Compare maps the three attention models (de-en-none has none to
    map), Bottleneck draws its bucket chart and the long sentence's map."""
    page.goto(f"{server}/{path}?model=de-en-dot&s=Ich+habe+keine+Zeit.")
    page.get_by_role("heading", level=1).first.wait_for()
    page.wait_for_load_state("networkidle")
    page.wait_for_function(f"() => document.querySelectorAll('.js-plotly-plot').length >= {maps}")
    page.wait_for_timeout(1500)
    assert page.locator('[data-testid="stException"]').count() == 0
    _shot(page, path)


def test_ten_sessions_at_once_get_their_own_results(server, browser):
    """Ten browser sessions type different dates at the same time; each sees its own translation."""
    dates = [f"{day} mar {1990 + day}" for day in range(1, 11)]
    contexts = [browser.new_context(viewport={"width": 1200, "height": 900}) for _ in dates]
    try:
        pages = [c.new_page() for c in contexts]
        for pg in pages:
            pg.set_default_timeout(90_000)
            pg.goto(f"{server}/?model=dates-dot")
        for pg in pages:
            pg.get_by_role("textbox", name="Sentence").wait_for()
        for pg, date in zip(pages, dates, strict=True):  # all ten are in flight together
            box = pg.get_by_role("textbox", name="Sentence")
            box.fill(date)
            box.press("Enter")
        for pg, day in zip(pages, range(1, 11), strict=True):
            pg.get_by_text(f"{1990 + day}-03-{day:02d}").first.wait_for()
            assert f"s={day}+mar" in pg.url or f"s={day}%20mar" in pg.url
    finally:
        for c in contexts:
            c.close()


def _corpus(n: int) -> bytes:
    """n "reverse the letters" pairs, then five lines the validator must reject."""
    import random

    rng = random.Random(0)
    words = ["".join(rng.choice("abcdefghij") for _ in range(rng.randint(3, 8))) for _ in range(n)]
    good = [f"{w}\t{w[::-1]}" for w in words]
    bad = ["no tab on this line", "\tempty source", "empty target\t", "a\tb\tc"]
    return ("\n".join(good + bad) + "\n").encode() + b"bad \xff utf8\tx\n"


def test_upload_train_watch_the_heatmap_history_grow_and_cancel(server, page):
    page.goto(f"{server}/train")
    page.get_by_text("Upload a corpus").click()
    page.locator('input[type="file"]').set_input_files(
        files=[{"name": "pairs.tsv", "mimeType": "text/tab-separated-values", "buffer": _corpus(20_000)}]
    )  # big enough that an epoch takes seconds: early stopping must not end the run before Cancel
    page.get_by_text("20,000 lines accepted, 5 rejected").wait_for()
    for reason in ("no tab", "empty source", "empty target", "more than one tab", "not UTF-8"):
        page.get_by_role("cell", name=reason, exact=True).wait_for()
    epochs = page.get_by_label("At most this many epochs")
    epochs.fill("100")
    epochs.press("Enter")
    page.wait_for_timeout(500)
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("The probe sentence over training").wait_for()
    # The page follows the newest snapshot. Half-way through epoch 1 it has shown four (0, 0.1, 0.25,
    # 0.5): the history has grown, without waiting for whole epochs on a slow machine.
    page.get_by_text(re.compile(r"^Epoch (0\.[5-9]\d|[1-9][\d.]*): the model says")).wait_for(timeout=180_000)
    _wait_for_heatmap(page)
    _shot(page, "train")
    # A refresh re-attaches to the same run (its id is in the URL): still running, still ours to cancel,
    # and no second run can start.
    assert "job=" in page.url
    page.reload()
    page.get_by_text("The probe sentence over training").wait_for()
    page.locator('[data-testid="stProgress"]').first.wait_for()
    assert page.get_by_role("button", name="Start training").count() == 0
    page.get_by_role("button", name="Cancel").click()
    page.get_by_text("Saved as").wait_for(timeout=180_000)
    page.get_by_text("stopped: cancelled").first.wait_for()
    # Now a slider replays the whole history, and it is still at the newest.
    snapshot = page.locator('[data-testid="stSlider"]', has_text="Snapshot").get_by_role("slider")
    assert int(snapshot.get_attribute("max")) >= 3
    assert snapshot.get_attribute("value") == snapshot.get_attribute("max")
    _shot(page, "train-cancelled")


def test_the_camera_button_saves_png_or_svg(server, page, tmp_path):
    page.goto(f"{server}/?model=dates-dot&s=26+nov+2026")
    _wait_for_heatmap(page)
    for fmt, choice in (("png", None), ("svg", "SVG")):
        if choice:
            page.locator('[data-testid="stSidebar"]').get_by_text(choice, exact=True).click()
            page.wait_for_timeout(1500)
            _wait_for_heatmap(page)
        chart = page.locator(".js-plotly-plot").first
        chart.hover()
        with page.expect_download() as info:
            chart.locator('.modebar-btn[data-title^="Download plot"]').click()
        assert info.value.suggested_filename == f"attnviz-heatmap.{fmt}"
        path = tmp_path / info.value.suggested_filename
        info.value.save_as(path)
        head = path.read_bytes()[:300]
        assert head.startswith(b"\x89PNG") if fmt == "png" else b"<svg" in head


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("", "model=dates-dot&s=26+nov+2026"),
        ("step", "model=dates-dot&s=26+nov+2026&step=2"),
        ("compare", "model=de-en-dot&s=Ich+habe+keine+Zeit."),
        ("bottleneck", "model=de-en-dot"),
        ("train", "model=de-en-dot"),
        ("models", "model=de-en-dot"),
    ],
)
def test_dark_theme(server, browser, path, query):
    """A browser that prefers dark gets Streamlit's dark theme on every page; the screenshots are for a
    human check."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, color_scheme="dark")
    try:
        pg = context.new_page()
        pg.goto(f"{server}/{path}?{query}")
        pg.get_by_role("heading", level=1).first.wait_for()
        if path in ("", "step", "compare"):
            _wait_for_heatmap(pg)
        if path == "train":  # the whole form, drawn last (no run is going: the upload test cancelled its)
            pg.get_by_role("button", name="Start training").wait_for()
        pg.wait_for_load_state("networkidle")
        pg.wait_for_timeout(1000)
        background = pg.evaluate("getComputedStyle(document.querySelector('.stApp')).backgroundColor")
        rgb = [int(x) for x in background[background.index("(") + 1 : background.index(")")].split(",")[:3]]
        assert sum(rgb) < 150, f"not dark: {background}"
        _shot(pg, f"{path or 'translate'}-dark")
    finally:
        context.close()


def test_play_animates_the_steps(server, page):
    page.goto(f"{server}/step?model=dates-dot&s=26+nov+2026&step=5")
    page.get_by_text("Step 5 of 11").first.wait_for()
    page.get_by_role("button", name="▶ Play all steps").click()
    for t in (1, 2, 3):  # the steps come one after another, without further clicks
        page.get_by_text(f"Step {t} of 11").first.wait_for(timeout=30_000)
    page.get_by_text("Step 11 of 11").first.wait_for(timeout=60_000)
