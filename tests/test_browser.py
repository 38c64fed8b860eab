"""Real-browser tests: the app served by `streamlit run`, clicked through in Debian's headless Chromium.

Screenshots go to artifacts/screenshots/. Without Chromium these tests skip, except in CI
(ATTNVIZ_REQUIRE_ALL=1), where a skipped browser test is a failure.
"""

from __future__ import annotations

import http.server
import json
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
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
    assert picker.input_value() == "de-en-dot"  # what it is, below it (a name that fits the sidebar)
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


@pytest.mark.parametrize(("path", "maps"), [("compare", 3), ("bottleneck", 2), ("corpus", 0), ("models", 0)])
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


def test_train_page_shows_an_uploaded_file_name_as_typed_and_never_fetches_its_image(server, page):
    """A file name is text a user controls: Markdown in it (bold, an image) must show literally, and the
    image's URL - here a recording server on loopback - must get no request."""
    hits: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    recorder = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    port = recorder.server_address[1]
    threading.Thread(target=recorder.serve_forever, daemon=True).start()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    name = f"**bold**![x](http://127.0.0.1:{port}/evil.png).tsv"
    try:
        page.goto(f"{server}/train")
        page.get_by_text("Upload a corpus").click()
        page.locator('input[type="file"]').set_input_files(
            files=[{"name": name, "mimeType": "text/tab-separated-values", "buffer": _corpus(50)}]
        )
        message = page.get_by_text("50 lines accepted, 5 rejected")
        message.wait_for()
        page.wait_for_timeout(1500)  # time for an image, were there one, to be fetched
        shown = message.inner_text().replace("\u2060", "")  # md() breaks up "http:" invisibly
        assert shown.startswith(name + ": 50 lines accepted"), shown
        main = page.locator('[data-testid="stMain"]')
        assert main.locator("strong", has_text="bold").count() == 0
        assert main.locator(f'img[src*="{port}"]').count() == 0
        assert hits == [] and not [u for u in requested if f":{port}" in u]
    finally:
        recorder.shutdown()
        recorder.server_close()


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


def _step_shown(page) -> tuple[int, int, int]:
    """The step as the heading, the slider and the URL each say it."""
    fresh = '[data-testid="stElementContainer"][data-stale="false"]'  # not an element on its way out
    heading = page.locator(f"{fresh} h3", has_text=re.compile(r"^Step \d+ of")).first.inner_text()
    slider = page.locator(f'{fresh} [data-testid="stSlider"]', has_text="Decoder step")
    slider = slider.locator("input[type=range]").first.input_value()
    url = re.search(r"[?&]step=(\d+)", page.url)
    return int(heading.split()[1]), int(slider or 0), int(url.group(1) if url else 0)


def test_play_pause_resume_and_speed_keep_heading_slider_and_url_together(server, page):
    page.goto(f"{server}/step?model=dates-dot&s=26+nov+2026&step=5&speed=3")  # slow: time to pause
    page.get_by_text("Step 5 of 11").first.wait_for()
    page.get_by_role("button", name="▶ Play all steps").click()
    seen = [5]  # every step, one after another, from where the user was, without clicks: none skipped
    deadline = time.monotonic() + 60
    while seen[-1] < 7 and time.monotonic() < deadline:
        page.wait_for_timeout(200)
        fresh = '[data-testid="stElementContainer"][data-stale="false"] h3'
        heading = page.locator(fresh, has_text=re.compile(r"^Step \d+ of")).first.inner_text()
        if int(heading.split()[1]) != seen[-1]:
            seen.append(int(heading.split()[1]))
    assert seen == [5, 6, 7], seen
    page.get_by_role("button", name="⏸ Pause").click()
    page.get_by_role("button", name="▶ Play all steps").wait_for()
    page.wait_for_timeout(1500)  # a tick already on its way may still land
    paused = _step_shown(page)
    page.wait_for_timeout(3000)  # three ticks' worth: nothing moves while paused
    assert _step_shown(page) == paused and len(set(paused)) == 1, paused
    assert 7 <= paused[0] <= 10
    # Next works from the paused step, forwards (the old server loop left the slider behind the heading).
    page.get_by_role("button", name="Next ▶").click()
    page.get_by_text(f"Step {paused[0] + 1} of 11").first.wait_for()
    assert len(set(_step_shown(page))) == 1
    # The speed lives in the URL too; a faster one plays to the end, where playback stops by itself.
    assert "speed=3" in page.url
    page.goto(page.url.replace("speed=3", "speed=0.5"))
    page.get_by_text(f"Step {paused[0] + 1} of 11").first.wait_for()
    page.get_by_role("button", name="▶ Play all steps").click()
    page.get_by_text("Step 11 of 11").first.wait_for(timeout=60_000)
    page.get_by_role("button", name="▶ Play all steps").wait_for(timeout=30_000)  # playback ended
    page.wait_for_timeout(1500)
    assert _step_shown(page) == (11, 11, 11)
    assert "speed=0.5" in page.url


@pytest.fixture
def recorder():
    """A tiny HTTP server on a free loopback port that records every request it gets: (port, paths)."""
    import http.server
    import threading

    seen: list[str] = []

    class Record(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            seen.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Record)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1], seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_markdown_in_links_and_sentences_is_shown_as_text(server, page, recorder):
    """Item 6: values from the URL and typed sentences are shown as typed. A spoofed "session expired"
    link, a tracking pixel, LaTeX, an emoji shortcode and HTML stay text; nothing is fetched from a URL
    the test did not choose."""
    from urllib.parse import quote

    port, seen = recorder
    pixel = f"http://127.0.0.1:{port}/evil.png"
    spoof = f"x' **Your session expired**: [sign in](https://example.com) ![x]({pixel})"
    sentence = " ".join([f"**cut here** $x^2$ :smile: <b>bold</b> <img src={pixel}> www.example.com"] * 5)
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    visits = [
        (f"/?model={quote(spoof)}", "**Your session expired**"),
        (f"/?model=dates-dot&s={quote(sentence)}", "**cut here**"),
        (f"/?model=dates-dot&s=26+nov+2026&beam=3&hyp={quote(spoof)}&argmax=**on**", "**on**"),
        (f"/compare?model=de-en-dot&s=Ich+bin+m%C3%BCde.&cmp={quote(spoof)}&cmp=de-en-dot", "[sign in]"),
    ]
    for path, literal_text in visits:
        page.goto(server + path)
        page.locator('[data-testid="stAlert"]').get_by_text(literal_text).first.wait_for()
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(1000)
        main = page.locator('[data-testid="stMain"]')
        assert page.locator('a[href*="example.com"]').count() == 0
        assert page.locator(f'img[src*="127.0.0.1:{port}"]').count() == 0
        assert main.locator(".katex").count() == 0  # $x^2$ is not typeset
        alerts = " ".join(page.locator('[data-testid="stAlert"]').all_inner_texts()).replace("\u2060", "")
        assert literal_text in alerts and "😄" not in alerts
        if literal_text == "**cut here**":  # the "input was cut" warning quotes the sentence
            assert all(t in alerts for t in ("$x^2$", ":smile:", "<b>bold</b>")), alerts
    _shot(page, "markdown-shown-as-text")
    assert seen == [], f"the page fetched {seen} from the recording server"
    assert all(u.startswith((server, "data:", "blob:")) for u in requested), [
        u for u in requested if not u.startswith((server, "data:", "blob:"))
    ]


def _plot_data(pg) -> str:
    """Every plotly chart's traces (type, name, x, y, z), as JSON: what the charts draw."""
    return pg.evaluate(
        "() => JSON.stringify(Array.from(document.querySelectorAll('.js-plotly-plot')).map(g =>"
        " (g.data || []).map(t => [t.type, t.name, t.x, t.y, t.z])))"
    )


def _translate_view(pg) -> dict:
    main = pg.locator('[data-testid="stMain"]')
    return {
        "hypothesis": main.locator('[data-testid="stRadio"] label:has(input:checked)').inner_text(),
        "argmax": main.locator('label:has-text("strongest link") input').is_checked(),
        "code": main.locator('[data-testid="stCode"]').all_inner_texts(),
        "charts": _plot_data(pg),
        "sentence": pg.get_by_role("textbox", name="Sentence").input_value(),
    }


def _compare_view(pg) -> dict:
    main = pg.locator('[data-testid="stMain"]')
    return {
        "models": main.locator(
            '[data-testid="stMultiSelect"] .react-aria-ComboBox [data-tag]'
        ).all_inner_texts(),
        "headers": main.locator("h3").all_inner_texts(),
        "code": main.locator('[data-testid="stCode"]').all_inner_texts(),
        "scores": [
            c for c in main.locator('[data-testid="stCaptionContainer"]').all_inner_texts() if "chrF" in c
        ],
        "reference": pg.get_by_role("textbox", name=re.compile("Reference translation")).input_value(),
        "charts": _plot_data(pg),
    }


def _rerun_done(pg) -> None:
    """The page's last rerun has drawn everything (no element of an earlier run is still shown stale)."""
    pg.wait_for_load_state("networkidle")
    stale = '[data-testid="stElementContainer"][data-stale="true"]'
    pg.wait_for_function(f"() => !document.querySelector('{stale}')")


def _settled(pg, plots: int) -> None:
    pg.wait_for_load_state("networkidle")
    pg.wait_for_function(f"() => document.querySelectorAll('.js-plotly-plot').length >= {plots}")
    pg.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")
    pg.wait_for_timeout(1500)


def test_a_copied_link_restores_the_view_in_a_fresh_browser(server, browser, page, tmp_path):
    """Item 9: what the user chose (a beam hypothesis, the argmax marks; Compare's models and reference)
    goes in the URL, and the same URL in a fresh browser context shows the same view."""
    second = search.translate(load_model(ROOT / "models" / "dates-dot"), "26 nov 2026", beam=5).hypotheses[1]
    second = second.translation
    page.goto(f"{server}/?model=dates-dot&s=26+nov+2026&beam=5")
    _wait_for_heatmap(page)
    main = page.locator('[data-testid="stMain"]')
    main.locator('[data-testid="stRadio"] label:has(input[type="radio"])').nth(1).click()
    page.wait_for_function("() => location.search.includes('hyp=2')")
    main.get_by_text("Mark each row's strongest link (argmax)").click()
    page.wait_for_function("() => location.search.includes('argmax=1')")
    _settled(page, 3)
    with page.expect_download() as info:
        page.get_by_role("button", name="Alignment (Pharaoh)").click()
    assert info.value.suggested_filename == "attnviz-dates-dot-26-nov-2026.pharaoh.txt"
    info.value.save_as(tmp_path / "a.txt")
    lines = (tmp_path / "a.txt").read_text(encoding="utf-8").splitlines()
    assert lines[-1] and all(re.fullmatch(r"\d+-\d+", link) for link in lines[-1].split())
    assert any(line.startswith("# source pieces: 0:2 1:6") for line in lines)

    pages = [("translate", page.url, _translate_view(page), 3)]
    assert pages[0][2]["argmax"] and pages[0][2]["hypothesis"].startswith(second)
    page.goto(f"{server}/compare?model=de-en-dot&s=Ich+habe+keine+Zeit.")
    _settled(page, 3)
    main.locator('[data-testid="stMultiSelect"] .react-aria-ComboBox').get_by_role(
        "button", name="Remove de-en-concat"
    ).click()
    page.wait_for_function("() => !location.search.includes('de-en-concat')")
    reference = page.get_by_role("textbox", name=re.compile("Reference translation"))
    reference.fill("I have no time.")
    reference.press("Enter")
    page.wait_for_function("() => location.search.includes('ref=I')")
    _settled(page, 2)
    pages.append(("compare", page.url, _compare_view(page), 2))
    assert pages[1][2]["models"] == ["de-en-dot", "de-en-general", "de-en-none"]
    assert pages[1][2]["scores"], "the reference scores each model"

    fresh = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        pg = fresh.new_page()
        pg.set_default_timeout(60_000)
        for name, link, view, plots in pages:
            pg.goto(link)
            _settled(pg, plots)
            assert (_translate_view(pg) if name == "translate" else _compare_view(pg)) == view, name
            _shot(pg, f"copied-link-{name}")
    finally:
        fresh.close()


def test_no_deploy_button_no_counter_and_a_readable_model_picker(server, page):
    """Item 14: no Deploy button; no "160/2000" counter drawn over the sentence; the model picker's name
    fits the sidebar, with what the model is written below it."""
    page.goto(f"{server}/?model=de-en-general&s=Ich+habe+keine+Zeit.")
    _wait_for_heatmap(page)
    page.wait_for_timeout(1000)
    assert page.locator('[data-testid="stAppDeployButton"]').count() == 0
    assert page.get_by_role("button", name="Deploy").count() == 0
    box = page.get_by_role("textbox", name="Sentence")
    box.fill("Ich habe heute leider keine Zeit, weil ich arbeiten muss. " * 3)
    page.wait_for_timeout(500)
    assert page.get_by_text(re.compile(r"^\d+/2,?000$")).count() == 0
    hint = page.locator('.st-key-sentence [data-testid="InputInstructions"]')
    if hint.count():  # "Press Enter to apply" sits right of the text, not over it
        text_right = box.evaluate(
            "e => e.getBoundingClientRect().right - parseFloat(getComputedStyle(e).paddingRight)"
        )
        assert text_right <= hint.bounding_box()["x"], (text_right, hint.bounding_box())
    sidebar = page.locator('[data-testid="stSidebar"]')
    picker = sidebar.get_by_role("combobox", name="Model")
    assert picker.input_value() == "de-en-general"
    sidebar.get_by_text("German→English, general attention").wait_for()
    fits = picker.evaluate("e => e.scrollWidth <= e.clientWidth")
    assert fits, "the model's name is cut off"
    for width, height in ((1400, 900), (1024, 768)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(800)
        page.screenshot(path=str(SHOTS / f"sidebar-picker-{width}.png"))
        assert picker.evaluate("e => e.scrollWidth <= e.clientWidth"), width


def _step_view(pg) -> dict:
    """What the Step page shows: the step, the what-if temperature, the sandbox formula, the speed."""
    pg.get_by_text(re.compile(r"^Step \d+ of")).first.wait_for()
    temperature = pg.locator('[data-testid="stSlider"]', has_text="What-if temperature")
    view = {
        "step": _step_shown(pg),
        "temperature": temperature.locator("input[type=range]").input_value(),
        "speed": pg.locator('[data-testid="stSlider"]', has_text="Seconds per step").inner_text(),
        "presenting": pg.evaluate("() => getComputedStyle(document.documentElement).fontSize"),
    }
    pg.get_by_role("tab", name="Sandbox").click()
    pg.get_by_text("Small encoder states").wait_for()
    view["sandbox"] = pg.get_by_role("textbox", name="Scores, separated by commas").input_value()
    view["sandbox formula"] = pg.locator(".katex-mathml").nth(-2).inner_text()
    pg.get_by_role("tab", name="Decoder steps").click()
    return view


def test_a_copied_step_link_restores_step_temperature_sandbox_and_presentation(server, browser, page):
    page.goto(f"{server}/step?model=dates-dot&s=26+nov+2026&step=4&temp=2.5&speed=3&present=1")
    page.get_by_text("Step 4 of 11").first.wait_for()
    page.get_by_role("tab", name="Sandbox").click()
    box = page.get_by_role("textbox", name="Scores, separated by commas")
    box.fill("3, 2, 1")
    box.press("Enter")
    page.wait_for_function("() => location.search.includes('scores=3')")
    page.get_by_role("tab", name="Decoder steps").click()
    _settled(page, 4)
    before = _step_view(page)
    assert before["step"] == (4, 4, 4) and before["temperature"] == "2.5" and "3.0" in before["speed"]
    assert before["presenting"] == "20px" and "3, 2, 1" in before["sandbox"]
    fresh = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        pg = fresh.new_page()
        pg.set_default_timeout(60_000)
        pg.goto(page.url)
        _settled(pg, 4)
        assert _step_view(pg) == before
    finally:
        fresh.close()
    # Presentation mode off again, from its switch: normal type, and the URL forgets it.
    opener = '[data-testid="stSidebarCollapsedControl"] button, [data-testid="stExpandSidebarButton"]'
    page.locator(opener).first.click()
    page.get_by_text("Presentation mode").click()
    page.wait_for_function("() => !location.search.includes('present=1')")
    page.wait_for_function("() => getComputedStyle(document.documentElement).fontSize !== '20px'")


def test_at_a_projector_s_1024x768_labels_do_not_overlap_and_formulas_fit(server, browser):
    """Item 8: a 25-word sentence on the Translate and Step pages at 1024x768: chart text of 12 px or
    more, no two tick labels of an axis overlapping, every formula inside its column."""
    sentence = (
        "Ich habe heute keine Zeit, weil ich viel arbeiten muss und morgen mit dem Zug nach "
        "Berlin fahren will, um meine alte Mutter zu besuchen."
    )
    assert len(sentence.split()) == 25
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    try:
        pg = context.new_page()
        pg.set_default_timeout(90_000)
        query = urllib.parse.urlencode({"model": "de-en-concat", "s": sentence})
        for path, plots in (("/", 3), ("/step", 5)):
            pg.goto(f"{server}{path}?{query}&step=3")
            _settled(pg, plots)
            smallest = pg.evaluate(
                "() => Math.min(...[...document.querySelectorAll('.js-plotly-plot text')]"
                ".filter(t => t.textContent.trim()).map(t => parseFloat(getComputedStyle(t).fontSize)))"
            )
            assert smallest >= 12, f"{path}: {smallest} px text in a chart"
            overlaps = pg.evaluate(
                """() => {
                  const bad = [];
                  for (const axis of document.querySelectorAll('.js-plotly-plot .xaxislayer-above')) {
                    const boxes = [...axis.querySelectorAll('text')].filter(t => t.textContent.trim())
                      .map(t => t.getBoundingClientRect());
                    for (let i = 1; i < boxes.length; i++) {
                      const a = boxes[i - 1], b = boxes[i];
                      if (a.right > b.left + 1 && a.left < b.right - 1 && a.bottom > b.top + 1
                          && a.top < b.bottom - 1) bad.push([a.left, b.left]);
                    }
                  }
                  return bad;
                }"""
            )
            assert not overlaps, f"{path}: overlapping tick labels {overlaps[:3]}"
            cut = pg.evaluate(
                "() => [...document.querySelectorAll('.katex-display')]"
                ".map(d => [d, d.querySelector('.katex-html')])"
                ".filter(([d, h]) => h.getBoundingClientRect().width > d.clientWidth + 1)"
                ".map(([d, h]) => h.textContent.slice(0, 60))"
            )
            assert not cut, f"{path}: formulas wider than the page: {cut}"
            _shot(pg, f"projector{path.replace('/', '-') or '-translate'}")
    finally:
        context.close()


def test_the_model_and_the_decoding_survive_going_from_page_to_page(server, page):
    """Streamlit drops a widget's state when another page draws the same widget, and a page change drops
    the URL's parameters: the sidebar's model and decoding went back to their defaults every other page
    change (de-en-dot, greedy) until they were kept under keys of their own."""
    page.goto(f"{server}/?model=dates-dot&s=26+nov+2026&beam=3")
    _wait_for_heatmap(page)
    nav = page.locator('[data-testid="stSidebarNav"]')
    for title, path in [("Step through", "/step"), ("Translate", "/"), ("Models", "/models")] * 2:
        nav.get_by_text(title, exact=True).click()
        page.wait_for_function(f"() => location.pathname === '{path}' && location.search.includes('beam=')")
        page.wait_for_timeout(500)
        assert "model=dates-dot" in page.url and "beam=3" in page.url, (title, page.url)
    picker = page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Model")
    assert picker.input_value() == "dates-dot"


HANGUL = re.compile("[\uac00-\ud7a3]")
# The width of three Hangul syllables against three characters no font has (a private-use code point):
# equal widths mean the syllables were drawn as the same missing-glyph boxes, i.e. no Korean font.
GLYPH_WIDTHS = """() => {
    const ctx = document.createElement('canvas').getContext('2d');
    ctx.font = '32px ' + getComputedStyle(document.querySelector('h1')).fontFamily;
    return [ctx.measureText('한국어').width, ctx.measureText('\\u{10FFFD}\\u{10FFFD}\\u{10FFFD}').width];
}"""


@pytest.mark.parametrize(
    "path", ["", "step", "lecture", "alignment", "corpus", "compare", "bottleneck", "train", "models"]
)
def test_every_page_in_korean_at_a_projector_s_size(server, browser, path):
    """lang=ko: the page's heading and the navigation are in Hangul, drawn with a real Korean font (not
    missing-glyph boxes), no exception, at 1024x768; screenshots ko-<page>.png to look at."""
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    try:
        tab.goto(f"{server}/{path}?lang=ko&model=de-en-dot&s=Ich+habe+keine+Zeit.")
        heading = tab.get_by_role("heading", level=1).first
        heading.wait_for()
        tab.wait_for_load_state("networkidle")
        tab.wait_for_timeout(1500)
        assert HANGUL.search(heading.inner_text()), heading.inner_text()
        assert "번역" in tab.locator('[data-testid="stSidebarNav"]').inner_text()
        hangul, missing = tab.evaluate(GLYPH_WIDTHS)
        assert hangul != missing, "Hangul drawn as missing-glyph boxes: no Korean font (fonts-noto-cjk)"
        assert tab.locator('[data-testid="stException"]').count() == 0
        _shot(tab, f"ko-{path or 'translate'}")
    finally:
        context.close()
