"""The one-screen step view in Chromium: it plays by itself, pauses, steps with the keyboard, a link
restores it, and at a projector's 1024x768 it fits without sideways scrolling or overlapping labels."""

from __future__ import annotations

import re
import time

from test_browser import _shot, _step_shown, browser, page, server  # noqa: F401

URL = "/step?model=de-en-concat&s=Ich+habe+keine+Zeit.&view=one&speed=2"


def _heading(pg) -> int:
    fresh = '[data-testid="stElementContainer"][data-stale="false"] h3'
    return int(pg.locator(fresh, has_text=re.compile(r"^Step \d+ of")).first.inner_text().split()[1])


def test_one_screen_plays_pauses_steps_by_keyboard_and_lives_in_the_url(server, page):  # noqa: F811
    page.goto(f"{server}{URL}&step=2")
    page.locator(".js-plotly-plot .heatmaplayer").first.wait_for()
    assert _heading(page) == 2
    page.get_by_role("button", name="▶ Play all steps").click()
    deadline = time.monotonic() + 60
    while _heading(page) < 4 and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert _heading(page) >= 4  # it advanced by itself
    page.get_by_role("button", name="⏸ Pause").click()
    page.get_by_role("button", name="▶ Play all steps").wait_for()
    page.wait_for_timeout(2500)
    paused = _step_shown(page)
    page.wait_for_timeout(4500)  # two ticks' worth: nothing moves while paused
    assert _step_shown(page) == paused and len(set(paused)) == 1, paused
    # The keyboard: Tab to Previous and press Enter; and the arrow-key shortcut.
    button = page.get_by_role("button", name="◀ Previous")
    button.focus()
    page.keyboard.press("Enter")
    page.get_by_text(f"Step {paused[0] - 1} of").first.wait_for()
    page.evaluate("() => document.activeElement.blur()")  # the shortcut, with no widget focused
    page.keyboard.press("ArrowRight")
    page.get_by_text(f"Step {paused[0]} of").first.wait_for()
    page.wait_for_timeout(1000)
    assert _step_shown(page) == paused
    assert "view=one" in page.url and "speed=2" in page.url
    # A fresh tab on the copied link shows the same step in the same view.
    link = page.url
    page.goto("about:blank")
    page.goto(link)
    page.locator(".js-plotly-plot .heatmaplayer").first.wait_for()
    assert _step_shown(page) == paused
    assert page.get_by_role("switch", name="One screen").is_checked()


def test_one_screen_fits_a_projector_without_overlaps(server, browser):  # noqa: F811
    sentence = (
        "Ich+habe+heute+keine+Zeit%2C+weil+ich+viel+arbeiten+muss+und+morgen+mit+dem+Zug+nach+Berlin+"
        "fahren+will%2C+um+meine+alte+Mutter+zu+besuchen."
    )
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    try:
        pg = context.new_page()
        pg.set_default_timeout(90_000)
        pg.goto(f"{server}/step?model=de-en-concat&s={sentence}&view=one&step=3")
        pg.locator(".js-plotly-plot .heatmaplayer").first.wait_for()
        pg.wait_for_timeout(2000)
        plot = pg.locator(".js-plotly-plot").first
        box = plot.bounding_box()
        assert box["height"] <= 768 and box["x"] + box["width"] <= 1024
        wide = pg.evaluate(
            "() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
            " return m.scrollWidth - m.clientWidth; }"
        )
        assert wide <= 1, wide
        overlaps = pg.evaluate(
            """() => {
              const root = document.querySelector('.js-plotly-plot');
              const texts = [...root.querySelectorAll('.xtick text, .ytick text, .annotation-text')]
                .filter(t => t.textContent.trim()).map(t => [t.textContent, t.getBoundingClientRect()]);
              const bad = [];
              for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) {
                const [p, a] = texts[i], [q, b] = texts[j];
                if (a.right > b.left + 1 && a.left < b.right - 1
                    && a.bottom > b.top + 1 && a.top < b.bottom - 1) bad.push([p, q]);
              }
              const r = root.getBoundingClientRect();
              const out = texts.filter(([p, a]) => a.left < r.left - 1 || a.right > r.right + 1)
                .map(([p]) => p);
              return [bad, out];
            }"""
        )
        assert overlaps == [[], []], overlaps
        _shot(pg, "onescreen-projector")
    finally:
        context.close()
