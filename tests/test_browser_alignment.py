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


def test_upload_your_own_alignment_and_a_bad_one(server, browser, tmp_path):  # noqa: F811
    """A Pharaoh file of the dates test split (the HMM's own links, so its row must equal the HMM's) is
    scored beside ours; a file with a bad line is refused, naming the line, and the page goes on."""
    from test_app import shipped

    from attnviz import evaluate

    kept = evaluate.read_alignments(shipped("dates-dot"))["hmm"]
    good = tmp_path / "hmm.txt"
    good.write_text(
        "".join(" ".join(f"{s}-{t}" for t, s in sorted(one)) + "\n" for one in kept), encoding="utf-8"
    )
    bad = tmp_path / "bad.txt"
    bad.write_text("0-0\n0-0 3-x\n", encoding="utf-8")
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        pg = context.new_page()
        pg.set_default_timeout(90_000)
        pg.goto(f"{server}/alignment?model=dates-dot")
        pg.get_by_role("heading", name="Score your own alignment").wait_for()
        pg.locator('input[type="file"]').set_input_files(str(bad))
        pg.get_by_text("bad.txt cannot be scored").wait_for()
        assert (
            "the file has 2 lines; the test split has 1000 sentences"
            in pg.get_by_text("bad.txt cannot").inner_text()
        )
        assert pg.locator('[data-testid="stException"]').count() == 0
        pg.get_by_role("heading", name="One test sentence").wait_for()  # the rest of the page is still there
        pg.locator('input[type="file"]').set_input_files(str(good))
        pg.get_by_text("hmm.txt", exact=True).last.wait_for()
        _rerun_done(pg)
        grid = pg.locator('[data-testid="stTable"]').filter(has_text="hmm.txt")
        text = grid.inner_text()
        hmm = shipped("dates-dot").metrics["alignment"]["hmm"]
        mine, theirs = (
            grid.get_by_role("row", name=re.compile(f"^{name} ")).inner_text().split()[-1]
            for name in ("hmm.txt", "HMM")
        )
        assert mine == theirs == f"{hmm['aer']:.1f}", text
        _shot(pg, "alignment-upload")
    finally:
        context.close()


def test_corpus_explorer_pick_a_row_and_step_through_it(server, browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    try:
        pg = context.new_page()
        pg.set_default_timeout(90_000)
        pg.goto(f"{server}/corpus?model=ko-en-dot&order=index")
        pg.get_by_text(re.compile("of 1000 sentences")).wait_for()
        grid = pg.locator('[data-testid="stDataFrame"]').first
        grid.wait_for()
        _shot(pg, "corpus-projector")
        # The row selector of the grid's third row (glide data grid draws on a canvas: click by position).
        box = grid.bounding_box()
        pg.mouse.click(box["x"] + 12, box["y"] + 36 * 3 + 18)
        pg.get_by_role("heading", name=re.compile("^Test sentence")).wait_for()
        assert re.search(r"[?&]i=\d+", pg.url), pg.url
        pg.locator(".js-plotly-plot").first.wait_for()
        shown = pg.get_by_role("heading", name=re.compile("^Test sentence")).inner_text()
        source = pg.locator("code").first.inner_text().splitlines()[0].split(":", 1)[1].strip()
        _shot(pg, "corpus-row")
        pg.get_by_role("button", name="Step through it").click()
        pg.wait_for_url(re.compile("/step"))
        pg.get_by_role("heading", level=1).first.wait_for()
        _rerun_done(pg)
        assert pg.locator('[data-testid="stTextInput"] input').first.input_value() == source, shown
        assert pg.locator('[data-testid="stException"]').count() == 0
    finally:
        context.close()
