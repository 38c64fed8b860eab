"""The Step page's What-if tab in Chromium at a projector's 1024x768: choose what to change with the
mouse and keyboard, the changed decoding appears beside the model's own, the link restores it."""

from __future__ import annotations

import re

from test_browser import _rerun_done, _shot, browser, page, server  # noqa: F401


def test_force_a_step_and_the_link_restores_it(server, browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    try:
        pg = context.new_page()
        pg.set_default_timeout(90_000)
        pg.goto(f"{server}/step?model=dates-dot&s=26+nov+2026")
        pg.get_by_role("tab", name="What if").click()
        pg.get_by_text("With the attention changed").wait_for()
        _rerun_done(pg)
        steps = pg.get_by_role("spinbutton", name="Decoder step")
        steps.fill("3")
        steps.press("Enter")
        _rerun_done(pg)
        pg.wait_for_function("() => location.search.includes('wt=3')")
        pg.get_by_text(re.compile("attention forced onto source piece 1 at step 3")).wait_for()
        changed = pg.locator(".whatif-changed").inner_text()
        own = pg.locator(".whatif-own").inner_text()
        assert own == "2026-11-26", own
        assert pg.locator('[data-testid="stException"]').count() == 0
        assert pg.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
        _shot(pg, "whatif-projector")
        other = context.new_page()
        other.goto(pg.url)
        other.get_by_role("tab", name="What if").click()
        other.get_by_text("With the attention changed").wait_for()
        _rerun_done(other)
        assert other.locator(".whatif-changed").inner_text() == changed
        assert "wi=force" in other.url and "wt=3" in other.url
    finally:
        context.close()
