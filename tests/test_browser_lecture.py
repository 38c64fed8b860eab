"""The Lecture walk-through in Chromium: Next and Previous (buttons and arrow keys) walk the stages in the
lecture's order, the URL follows, a copied link restores the stage and the step, and in Korean at a
projector's 1024x768 the headings are Hangul and the formulas fit."""

from __future__ import annotations

import re

from test_browser import GLYPH_WIDTHS, HANGUL, _rerun_done, _shot, browser, page, server  # noqa: F401

URL = "/lecture?model=dates-dot&s=26+nov+2026"
FRESH = '[data-testid="stElementContainer"][data-stale="false"]'


def _stage(pg) -> str:
    """The heading of the stage shown, once the rerun has settled."""
    pg.wait_for_load_state("networkidle")
    pg.wait_for_function(
        '() => !document.querySelector(\'[data-testid="stElementContainer"][data-stale="true"]\')'
    )
    return pg.locator(f"{FRESH} h3").first.inner_text()


def test_next_and_previous_walk_the_lectures_order_and_the_url_follows(server, page):  # noqa: F811
    page.goto(f"{server}{URL}")
    page.get_by_role("heading", level=1, name="Lecture walk-through").wait_for()
    assert _stage(page).startswith("1. The encoder reads the sentence")
    seen = []
    for _ in range(8):  # stages 2 to 9 of step 1
        page.get_by_role("button", name="Next ▶").click()
        page.wait_for_timeout(300)
        seen.append(_stage(page).split(".")[0])
    assert seen == [str(s) for s in range(2, 10)], seen
    assert "stage=9" in page.url and "step=1" in page.url
    page.get_by_role("button", name="Next ▶").click()  # past stage 9: stage 3 of the next step
    page.wait_for_timeout(300)
    assert _stage(page).startswith("3. The decoder reads a piece")
    assert "stage=3" in page.url and "step=2" in page.url
    page.locator(".katex").first.wait_for()
    page.evaluate("() => document.activeElement.blur()")  # the arrow-key shortcut, no widget focused
    page.keyboard.press("ArrowLeft")
    page.wait_for_timeout(300)
    assert _stage(page).startswith("9.") and "step=1" in page.url
    for _ in range(2):  # a second press during the first one's rerun would be lost
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(300)
        _stage(page)
    assert _stage(page).startswith("4. Scores") and "step=2" in page.url
    page.locator(".js-plotly-plot").first.wait_for()  # the scores chart
    assert page.locator('[data-testid="stException"]').count() == 0
    _shot(page, "lecture")


def test_a_copied_link_restores_stage_step_and_all_stages(server, browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        tab = context.new_page()
        tab.set_default_timeout(90_000)
        tab.goto(f"{server}{URL}&stage=6&step=3")
        tab.get_by_role("heading", level=1).first.wait_for()
        assert _stage(tab).startswith("6. The context vector")
        assert "c₃ recomputed" in tab.get_by_text(re.compile("c₃ recomputed")).first.inner_text()
        tab.get_by_text("All stages of this step at once").click()
        tab.wait_for_timeout(500)
        _stage(tab)
        assert "all=1" in tab.url
        link = tab.url
        fresh = browser.new_context(viewport={"width": 1400, "height": 900})
        try:
            other = fresh.new_page()
            other.set_default_timeout(90_000)
            other.goto(link)
            other.get_by_role("heading", level=1).first.wait_for()
            _stage(other)
            headings = [h.split(".")[0] for h in other.locator(f"{FRESH} h3").all_inner_texts()]
            assert headings == [str(s) for s in range(3, 10)], headings
            assert other.get_by_role("switch", name="All stages of this step at once").is_checked()
            assert "step=3" in other.url
        finally:
            fresh.close()
    finally:
        context.close()


CUT = (
    "() => [...document.querySelectorAll('.katex-display')]"
    ".map(d => [d, d.querySelector('.katex-html')])"
    ".filter(([d, h]) => h.getBoundingClientRect().width > d.clientWidth + 1)"
    ".map(([d, h]) => h.textContent.slice(0, 60))"
)


def test_in_korean_at_a_projector_s_size_every_stage_fits(server, browser):  # noqa: F811
    """lang=ko at 1024x768: stages 1 to 9 of step 1 walked with 다음 ▶, each heading in Hangul drawn with a
    Korean font and on the first screen with room below it, every formula inside its column; screenshots
    ko-lecture-<stage>.png."""
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    try:
        tab = context.new_page()
        tab.set_default_timeout(90_000)
        tab.goto(f"{server}{URL}&lang=ko")
        tab.get_by_role("heading", level=1).first.wait_for()
        hangul, missing = tab.evaluate(GLYPH_WIDTHS)
        assert hangul != missing, "Hangul drawn as missing-glyph boxes: no Korean font"
        for stage in range(1, 10):
            if stage > 1:
                tab.get_by_role("button", name="다음 ▶").click()
                tab.wait_for_timeout(300)
            heading = _stage(tab)
            assert heading.startswith(f"{stage}.") and HANGUL.search(heading), heading
            if stage in (2, 3, 4, 6, 7):
                tab.locator(f"{FRESH} .katex").first.wait_for()
            assert tab.evaluate(CUT) == [], (stage, tab.evaluate(CUT))
            top = tab.locator(f"{FRESH} h3").first.bounding_box()["y"]
            assert top < 768 - 200, f"stage {stage}'s heading at {top} px: not on the first screen"
            assert tab.locator('[data-testid="stException"]').count() == 0
            _shot(tab, f"ko-lecture-{stage}")
    finally:
        context.close()
