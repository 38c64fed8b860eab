"""The one-screen step view in Chromium: its animation plays in the browser, pauses, steps with the
keyboard, a link restores it, and at a projector's 1024x768 it fits without sideways scrolling or
overlapping labels."""

from __future__ import annotations

import re

from test_browser import _shot, browser, page, server  # noqa: F401

URL = "/step?model=de-en-concat&s=Ich+habe+keine+Zeit.&view=one&speed=2"
# Messages the page has sent its server: WebSocket.send counted from the page's start (add_init_script).
COUNT_SENDS = """() => {
  const send = WebSocket.prototype.send;
  window.__sends = 0;
  WebSocket.prototype.send = function (...args) { window.__sends += 1; return send.apply(this, args); };
}"""
WEBSOCKET_SENDS = "() => window.__sends"


def _shown(pg) -> int:
    """The step the figure shows, from its own title ("Step k of T: ...")."""
    title = pg.evaluate("() => document.querySelector('.js-plotly-plot .gtitle')?.textContent ?? ''")
    return int(title.split()[1]) if title.startswith("Step ") else 0


def _url_step(pg) -> int:
    return int(re.search(r"[?&]step=(\d+)", pg.url).group(1))


def _watch(pg, seconds: float) -> list[int]:
    seen = []
    for _ in range(int(seconds * 4)):
        seen.append(_shown(pg))
        pg.wait_for_timeout(250)
    return seen


def test_one_screen_plays_in_the_browser_by_keyboard_and_lives_in_the_url(server, page):  # noqa: F811
    """Play, pause, speed and steps run in the browser (no message to the server while it plays), by
    keyboard: Space, arrows, Home/End, Tab and Enter on the figure's own buttons; step and speed in the
    URL, a copied link restores them, and the long view carries on at the step shown."""
    page.add_init_script(COUNT_SENDS)
    page.goto(f"{server}{URL}&step=2")
    page.locator(".js-plotly-plot .heatmaplayer").first.wait_for()
    page.locator(".updatemenu-button[tabindex='0']").first.wait_for(state="attached")  # the player is on
    assert _shown(page) == 2
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1000)
    page.evaluate("() => document.activeElement.blur()")
    page.keyboard.press(" ")  # plays from the step shown, at the link's 2 s per step
    sent = page.evaluate(WEBSOCKET_SENDS)
    seen = _watch(page, 5)
    assert seen[0] in (2, 3) and 4 in seen and sorted(seen) == seen, seen  # on from step 2, not step 1
    assert page.evaluate(WEBSOCKET_SENDS) == sent, "playing asked the server for something"
    page.keyboard.press(" ")  # pauses
    page.wait_for_timeout(800)
    paused = _shown(page)
    assert _watch(page, 4) == [paused] * 16  # nothing moves while paused
    assert _url_step(page) == paused
    # Left/Right, Home/End, with no widget focused; the URL follows.
    page.keyboard.press("ArrowLeft")
    page.wait_for_timeout(600)
    assert _shown(page) == paused - 1 == _url_step(page)
    page.keyboard.press("End")
    page.wait_for_timeout(600)
    last = _shown(page)
    assert last >= 8 and _url_step(page) == last
    page.keyboard.press("Home")
    page.wait_for_timeout(600)
    assert _shown(page) == 1 == _url_step(page)
    # Tab reaches the figure's own buttons: they have names, and Enter presses one.
    names = page.evaluate(
        "() => [...document.querySelectorAll('.updatemenu-button')]"
        ".map(b => [b.getAttribute('tabindex'), b.getAttribute('role'), b.getAttribute('aria-label')])"
    )
    assert names == [
        ["0", "button", "▶ 0.5 s per step"],
        ["0", "button", "▶ 1 s per step"],
        ["0", "button", "▶ 2 s per step"],
        ["0", "button", "‖ Pause"],
    ], names
    page.locator(".updatemenu-button").nth(0).focus()
    page.keyboard.press("Enter")
    seen = _watch(page, 2.5)
    assert max(seen) >= 4, seen  # 0.5 s per step: four steps or so in 2.5 s
    page.keyboard.press("k")  # pause
    page.wait_for_timeout(800)
    paused = _shown(page)
    assert "speed=0.5" in page.url and _url_step(page) == paused
    # A fresh tab on the copied link opens the same step at the same speed in the same view.
    link = page.url
    page.goto("about:blank")
    page.goto(link)
    page.locator(".js-plotly-plot .heatmaplayer").first.wait_for()
    assert _shown(page) == paused
    assert page.get_by_role("switch", name="One screen").is_checked()
    # The long view carries on at the step the browser settled on.
    page.evaluate("() => document.activeElement.blur()")
    page.keyboard.press("ArrowLeft")
    page.wait_for_timeout(1500)
    page.get_by_role("switch", name="One screen").click(force=True)
    page.get_by_text(f"Step {paused - 1} of").first.wait_for()
    page.wait_for_function("() => !location.search.includes('view=one')")


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
