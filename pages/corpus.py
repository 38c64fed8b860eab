"""Corpus explorer: the chosen model's test split as a table, worst first - each sentence's score, its
attention's AER where gold exists, entropy and coverage flags - filtered, and one row opened as its map."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from attnviz import explore, plots, tasks
from attnviz.explore import Row
from attnviz.tasks import DataError
from pages.lang import _
from pages.layout import chart
from pages.loading import cached_gold_split, cached_rows, cached_trace
from pages.params import url_choice, url_int
from pages.text import md
from pages.widgets import sidebar

# The orders the table can take (key in the URL -> the column it sorts by and whether high is worse).
ORDERS = {
    "score": ("score", False),
    "chrf": ("chrf", False),
    "aer": ("aer", True),
    "entropy": ("entropy", True),
    "never": ("never", True),
    "again": ("again", True),
    "index": ("index", False),
}
FLAGS = ("never", "again", "wrong")


def order_name(key: str, metric: str) -> str:
    return {
        "score": _("worst {metric} first").format(metric=metric),
        "chrf": _("worst chrF first"),
        "aer": _("worst AER first"),
        "entropy": _("most spread attention first"),
        "never": _("most pieces never attended first"),
        "again": _("most pieces attended again first"),
        "index": _("test split order"),
    }[key]


def flag_name(key: str) -> str:
    return {
        "never": _("a piece never attended"),
        "again": _("a piece attended far more than once"),
        "wrong": _("not a perfect score"),
    }[key]


def frame(rows: list[Row], metric: str) -> pd.DataFrame:
    """The rows as the table shows them, with internal column names (renamed when shown)."""
    return pd.DataFrame(
        {
            "index": [r.index for r in rows],
            "score": [r.score for r in rows],
            "chrf": [r.chrf for r in rows],
            "aer": [r.aer for r in rows],
            "entropy": [r.entropy for r in rows],
            "never": [len(r.unattended) for r in rows],
            "again": [len(r.overattended) for r in rows],
            "source": [r.source for r in rows],
            "output": [r.output for r in rows],
            "reference": [r.reference for r in rows],
            "flagged": [" ".join(r.unattended + tuple(f"{p}↺" for p in r.overattended)) for r in rows],
        }
    )


bundle, beam = sidebar()
st.title(_("Corpus explorer"))
if bundle is None:
    st.stop()
task = bundle.train_config.task if bundle.train_config else ""
found = tasks.find(task)
exact = found is not None and found.metric == "exact_match"
metric = _("exact match") if exact else "BLEU"
st.caption(
    _(
        "Every sentence of the model's test split, translated with the decoding chosen in the sidebar: its "
        "{metric} and chrF against the reference, the AER of its attention against the gold alignment where "
        "the task has one (the decoder fed the reference), the mean entropy of its attention per step "
        "(0 bits: every step on one piece), and how many source pieces were never attended (a total "
        "attention under {never}) or attended far more than once (over {again}). Pick a row to open it."
    ).format(metric=metric, never=explore.UNATTENDED, again=explore.OVERATTENDED)
)
try:
    with st.spinner(_("Translating the test sentences (once per model and beam)...")):
        rows = cached_rows(str(bundle.path), beam)
except DataError as err:
    st.error(md("{}", err))
    st.stop()
if all(r.aer is None for r in rows) and bundle.config.attention != "none":
    try:
        cached_gold_split(str(bundle.path))
    except DataError as err:  # gold exists for the task but its data are not installed
        st.info(md(_("No AER here: {error}"), error=str(err)))
table = frame(rows, metric)

state = st.session_state
if state.get("corpus_for") != bundle.name:  # the URL's choices, read once per model
    state.corpus_for = bundle.name
    state.corpus_order = url_choice("order", list(ORDERS), "score")
    state.corpus_flags = [f for f in st.query_params.get_all("flag") if f in FLAGS]
    state.corpus_q = st.query_params.get("q", "")[:200]
c1, c2 = st.columns([1, 2])
order = c1.selectbox(
    _("Order"), list(ORDERS), key="corpus_order", format_func=lambda k: order_name(k, metric)
)
shown_flags = c2.multiselect(_("Only sentences with"), FLAGS, key="corpus_flags", format_func=flag_name)
query = st.text_input(_("Only sentences containing"), key="corpus_q", max_chars=200)
st.query_params["order"] = order
st.query_params["flag"] = shown_flags
if query:
    st.query_params["q"] = query
else:
    st.query_params.pop("q", None)

column, worse_high = ORDERS[order]
kept = table.sort_values([column, "index"], ascending=[not worse_high, True], na_position="last")
if "never" in shown_flags:
    kept = kept[kept["never"] > 0]
if "again" in shown_flags:
    kept = kept[kept["again"] > 0]
if "wrong" in shown_flags:
    kept = kept[kept["score"] < 100.0]
if query:
    needle = query.casefold()
    hit = [
        needle in " ".join(r).casefold() for r in kept[["source", "output", "reference"]].itertuples(False)
    ]
    kept = kept[hit]
kept = kept.reset_index(drop=True)
st.markdown(
    _("{shown} of {n} sentences; mean {metric} {score:.1f}, mean chrF {chrf:.1f}.").format(
        shown=len(kept), n=len(table), metric=metric, score=table["score"].mean(), chrf=table["chrf"].mean()
    )
)
names = {  # the table's columns in order: the numbers to sort by, then the sentence, then the details
    "index": "#",
    "score": metric,
    "chrf": "chrF",
    "aer": "AER",
    "source": _("source"),
    "output": _("output"),
    "reference": _("reference"),
    "entropy": _("entropy (bits)"),
    "never": _("never attended"),
    "again": _("attended again"),
    "flagged": _("flagged pieces"),
}
columns = [c for c in names if c != "aer" or table["aer"].notna().any()]
config = {
    c: st.column_config.NumberColumn(names[c], format="%.1f") for c in ("score", "chrf", "aer", "entropy")
}
config |= {c: st.column_config.TextColumn(names[c]) for c in names if c not in config}
wanted = url_int("i", 0, 0, len(table), clamp=False) if "corpus_picked" not in state else state.corpus_picked
at = kept.index[kept["index"] == wanted].tolist()
picked = st.dataframe(
    kept,
    hide_index=True,
    column_order=columns,
    column_config=config,
    on_select="rerun",
    selection_mode="single-row",
    selection_default={"selection": {"rows": at[:1], "columns": []}} if at else None,
    key=f"corpus_table_{bundle.name}_{order}_{'-'.join(shown_flags)}_{query}",
    height=360,
)
chosen = picked.selection.rows if picked is not None else []
state.corpus_picked = int(kept["index"][chosen[0]]) if chosen else (wanted if at else 0)
if not state.corpus_picked:
    st.query_params.pop("i", None)
    st.caption(_("Pick a row (its first cell) to see its attention map and open it on other pages."))
    st.stop()
st.query_params["i"] = str(state.corpus_picked)
row = rows[state.corpus_picked - 1]
st.subheader(_("Test sentence {i}").format(i=row.index))
st.code(
    f"{_('source')}:    {row.source}\n{_('output')}:    {row.output}\n{_('reference')}: {row.reference}",
    language=None,
    wrap_lines=True,
)
if bundle.config.attention != "none":
    trace = cached_trace(str(bundle.path), row.source, beam)
    chart(plots.alignment_heatmap(trace, mark_argmax=True), key="corpus-map")
    if row.unattended or row.overattended:
        st.caption(
            md(
                _("Never attended: {never}. Attended far more than once: {again}."),
                never=", ".join(row.unattended) or "-",
                again=", ".join(row.overattended) or "-",
            )
        )
# Buttons, not links: the pages keep the sentence in the session (it survives page changes), so it is
# set here before the page opens.
buttons = st.columns(3)
if buttons[0].button(_("Step through it"), key="corpus_step"):
    state.text = row.source
    st.switch_page("pages/step.py", query_params={"model": bundle.name, "s": row.source})
if buttons[1].button(_("Compare models on it"), key="corpus_compare"):
    state.text, state.ref_text = row.source, row.reference
    st.switch_page(
        "pages/compare.py", query_params={"model": bundle.name, "s": row.source, "ref": row.reference}
    )
if row.aer is not None and buttons[2].button(_("Its gold alignment"), key="corpus_gold"):
    state.align_i = sum(r.aer is not None for r in rows[: row.index])  # its place among the gold pairs
    st.switch_page("pages/alignment.py", query_params={"model": bundle.name, "i": str(state.align_i)})
