"""Alignment: how good an alignment the attention is - against gold, beside statistical aligners, and for
one test sentence with the links drawn - with the reading of the attention chosen live."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from attnviz import align, metrics, plots
from attnviz.evaluate import ALIGNMENT_METHODS, read_alignments
from pages.lang import _
from pages.layout import chart
from pages.loading import available_models, cached_gold_split, load_all, model_summary
from pages.params import url_choice, url_flag, url_float, url_int
from pages.text import md
from pages.widgets import sidebar


def methods_table(found: dict[str, Any]) -> pd.DataFrame:
    """metrics.json's methods (those it holds, in the card's order) x precision, recall, AER."""
    rows = [
        {
            _("method"): _(name),
            _("precision"): found[key]["precision"],
            _("recall"): found[key]["recall"],
            "AER": found[key]["aer"],
        }
        for key, name in ALIGNMENT_METHODS.items()
        if isinstance(found.get(key), dict)
    ]
    return pd.DataFrame(rows)


def numbers(frame: pd.DataFrame) -> None:
    """A table whose numeric columns show one decimal."""
    shown = {c: st.column_config.NumberColumn(format="%.1f") for c in frame.select_dtypes("number").columns}
    st.dataframe(frame, hide_index=True, column_config=shown)


def family(task: str) -> pd.DataFrame:
    """The attention row of every model of `task` that loads (a damaged one is named and left out):
    against gold where its card has gold, else its agreement with the HMM."""
    same = {n: p for n, p in available_models().items() if model_summary(str(p))["task"] == task}
    rows = []
    for name, other in load_all(same).items():
        found = other.metrics
        if isinstance(found.get("alignment"), dict) and isinstance(found["alignment"].get("attention"), dict):
            scores, against = found["alignment"]["attention"], _("gold")
        elif isinstance(found.get("agreement"), dict) and isinstance(found["agreement"].get("hmm"), dict):
            scores, against = found["agreement"]["hmm"], _("HMM (agreement)")
        else:
            continue
        rows.append(
            {
                _("model"): name,
                _("attention"): other.config.attention,
                _("against"): against,
                _("precision"): scores["precision"],
                _("recall"): scores["recall"],
                "AER": scores["aer"],
            }
        )
    return pd.DataFrame(rows)


bundle, _beam = sidebar()
st.title(_("Alignment"))
if bundle is None:
    st.stop()
st.caption(
    _(
        "The lecture says the attention map is an alignment the model learns with no alignment given. "
        "Here it is measured: each target piece's links read off the attention (the decoder fed the "
        "reference), scored against the gold alignment where the task has one (precision, recall and AER, "
        "Och & Ney 2003; a lower AER is better), beside statistical aligners trained on the same sentence "
        "pairs."
    )
)
found = bundle.metrics or {}
task = bundle.train_config.task if bundle.train_config else ""
if isinstance(found.get("alignment"), dict):
    st.subheader(_("Against the gold alignment"))
    st.caption(
        md(
            _("Gold: {gold}; {n} test sentences. Written by `attnviz evaluate`."),
            gold=_(str(found["alignment"].get("gold", "?"))),
            n=found["alignment"].get("sentences", "?"),
        )
    )
    numbers(methods_table(found["alignment"]))
elif isinstance(found.get("agreement"), dict):
    st.subheader(_("Agreement with statistical aligners (no gold here)"))
    st.info(
        _(
            "This corpus has no gold alignment, so the attention's accuracy cannot be measured. The table "
            "takes each aligner's links as the reference: this is agreement, not accuracy - where they "
            "differ, either may be wrong."
        )
    )
    numbers(methods_table(found["agreement"]).rename(columns={_("method"): _("attention against")}))
elif bundle.config.attention == "none":
    st.info(_("This model has no attention, so there is no alignment to read off it."))
else:
    st.info(
        md(
            _("No alignment scores for this model yet: run `attnviz evaluate --model {name}`."),
            name=bundle.name,
        )
    )

rows = family(task)
if len(rows) > 1:
    st.subheader(_("The attention of every model of this task"))
    numbers(rows)

split = cached_gold_split(str(bundle.path)) if bundle.path else None
if split is None:
    st.stop()

st.subheader(_("Read the attention another way"))
c1, c2 = st.columns(2)
if "align_rule" not in st.session_state:
    st.session_state.align_rule = url_choice("rule", align.RULES, "argmax")
    st.session_state.align_threshold = url_float("th", 0.3, 0.05, 1.0)
    st.session_state.align_next = url_flag("next")
rule = c1.radio(
    _("Links"),
    align.RULES,
    key="align_rule",
    format_func=lambda r: (
        _("strongest per piece (argmax)") if r == "argmax" else _("every weight over a threshold")
    ),
    horizontal=False,
)
threshold = c2.slider(
    _("Threshold"), 0.05, 1.0, step=0.05, key="align_threshold", disabled=rule != "threshold"
)
shifted = st.toggle(
    _("The next step's attention"),
    key="align_next",
    help=_(
        "Read target piece t's links from the step after it (Koehn & Knowles 2017 found attention "
        "often one word off)."
    ),
)
how = align.Extraction(rule, threshold, shifted)
st.query_params["rule"] = rule
st.query_params["th"] = f"{threshold:g}"
if shifted:
    st.query_params["next"] = "1"
else:
    st.query_params.pop("next", None)
scores = split.scores(how)
st.markdown(
    _("Read this way, over all {n} test sentences: precision {p:.1f}, recall {r:.1f}, AER {aer:.1f}.").format(
        n=len(split.pairs), p=scores["precision"], r=scores["recall"], aer=scores["aer"]
    )
)

st.subheader(_("One test sentence"))
n = len(split.pairs)
if "align_i" not in st.session_state:
    st.session_state.align_i = url_int("i", 1, 1, n)
i = st.number_input(
    _("Test sentence"), 1, n, key="align_i", help=_("Its number in the test split, 1 to {n}.").format(n=n)
)
st.query_params["i"] = str(i)
k = int(i) - 1
pair, (src, tgt) = split.pairs[k], split.encoded[k]
st.code(f"{pair.source}\n{pair.target}", language=None, wrap_lines=True)
links = split.attention(how, k)
one = metrics.alignment_scores([links], [split.sure[k]], [split.possible[k]])
try:
    theirs = read_alignments(bundle)
except ValueError as err:
    st.warning(md(_("The aligners' links are not drawn: {error}"), error=str(err)))
    theirs = {}
theirs = {name: found for name, found in theirs.items() if len(found) == len(split.pairs)}
if "align_also" not in st.session_state:
    st.session_state.align_also = url_choice("also", ["", *align.ALIGNERS], "hmm" if "hmm" in theirs else "")
if st.session_state.align_also not in ("", *theirs):
    st.session_state.align_also = ""
also = st.selectbox(
    _("Also draw an aligner's links"),
    ["", *theirs],
    key="align_also",
    format_func=lambda n: _(ALIGNMENT_METHODS[n]) if n else _("none"),
    help=_("The links `attnviz evaluate` scored, kept next to the model in test_alignments.json."),
)
if also:
    st.query_params["also"] = also
else:
    st.query_params.pop("also", None)
st.caption(
    _("This sentence: precision {p:.1f}, recall {r:.1f}, AER {aer:.1f}.").format(
        p=one["precision"], r=one["recall"], aer=one["aer"]
    )
)
weights = split.weights[k]
fig = plots.weights_heatmap(
    weights,
    bundle.src.labels(src.ids),
    [*bundle.tgt.labels(tgt.ids), "</s>"][: len(weights)],
    gold=split.possible[k],
    methods=[
        (_("attention links, read as chosen"), links),
        *([(_(ALIGNMENT_METHODS[also]), theirs[also][k])] if also else []),
    ],
)
chart(fig, key="alignment-map")
if also:
    other = metrics.alignment_scores([theirs[also][k]], [split.sure[k]], [split.possible[k]])
    st.caption(
        _("{aligner} on this sentence: precision {p:.1f}, recall {r:.1f}, AER {aer:.1f}.").format(
            aligner=_(ALIGNMENT_METHODS[also]), p=other["precision"], r=other["recall"], aer=other["aer"]
        )
    )
st.caption(
    _(
        "Open squares: the gold links (sure and possible). Dots: the links read off the attention as "
        "chosen above. Diamonds: the aligner's links."
    )
)
