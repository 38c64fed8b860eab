"""The Alignment page in Chromium: the methods table, the reading of the attention changed with the
mouse and the keyboard rescoring the split and the sentence, the link restoring it, at 1024x768."""

from __future__ import annotations

import re

from test_browser import _rerun_done, _shot, browser, page, server  # noqa: F401

URL = "/alignment?model=ko-en-dot"


def _said(pg) -> str:
    _rerun_done(pg)
    return pg.get_by_text(re.compile("^Read this way")).first.inner_text()


def test_choose_a_reading_and_the_scores_follow(server, browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    try:
        pg = context.new_page()
        pg.set_default_timeout(90_000)
        pg.goto(f"{server}{URL}")
        pg.get_by_role("heading", name="Against the gold alignment").wait_for()
        pg.locator('[data-testid="stDataFrame"]').first.wait_for()
        first = _said(pg)
        pg.get_by_text("every weight over a threshold").click()
        pg.wait_for_timeout(500)
        second = _said(pg)
        assert second != first or "rule=threshold" in pg.url
        slider = pg.get_by_role("slider", name="Threshold")
        slider.focus()
        for _ in range(4):
            pg.keyboard.press("ArrowRight")
        pg.wait_for_timeout(1200)
        third = _said(pg)
        assert "th=0.5" in pg.url and third != second, (second, third)
        pg.locator(".js-plotly-plot").first.wait_for()
        assert pg.locator('[data-testid="stException"]').count() == 0
        link = pg.url
        other = context.new_page()
        other.goto(link)
        other.get_by_role("heading", name="Against the gold alignment").wait_for()
        assert _said(other) == third
        _shot(pg, "alignment-projector")
    finally:
        context.close()
