"""Alignment: how good an alignment the attention is - against gold, beside statistical aligners, and for
one test sentence with the links drawn - with the reading of the attention chosen live."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from attnviz import align, metrics, plots, tasks
from attnviz.evaluate import ALIGNMENT_METHODS, FAITHFULNESS, FAITHFULNESS_NAMES, GoldSplit, read_alignments
from attnviz.tasks import DataError
from pages.lang import _
from pages.layout import chart
from pages.loading import available_models, cached_gold_split, load_all, model_summary
from pages.params import url_choice, url_flag, url_float, url_int
from pages.text import md
from pages.widgets import sidebar


def methods_table(found: dict[str, Any], words: dict[str, Any] | None = None) -> pd.DataFrame:
    """metrics.json's methods (those it holds, in the card's order) x precision, recall, AER, and the AER
    with pieces merged to words where `words` has it."""
    rows = [
        {
            _("method"): _(name),
            _("precision"): found[key]["precision"],
            _("recall"): found[key]["recall"],
            "AER": found[key]["aer"],
            **(
                {_("AER, in words"): words[key]["aer"]}
                if isinstance(words, dict) and isinstance(words.get(key), dict)
                else {}
            ),
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


def shapes(split: GoldSplit, in_words: bool) -> list[tuple[int, int]]:
    """(target units, source units) of each sentence of the split: its words, or the model's pieces."""
    if in_words:
        return [(len(align.word_spans(p.target)), len(align.word_spans(p.source))) for p in split.pairs]
    return [(len(t.ids), len(s.ids)) for s, t in split.encoded]


def bring_your_own(
    split: GoldSplit, how: align.Extraction, theirs: dict[str, list[align.Links]], in_words: bool
) -> list[align.Links] | None:
    """An alignment of the test sentences from another tool, uploaded and scored beside ours, at the
    chosen unit; returns its links (None without a readable file)."""
    st.subheader(_("Score your own alignment"))
    st.caption(
        _(
            "Upload links for these {n} test sentences, in their order, counting {units} from 0: a Pharaoh "
            "file (one line per sentence, `source-target` pairs such as `0-0 1-2`, as fast_align and eflomal "
            "write), or attention matrices - JSON, a list with one matrix per sentence (a row of source "
            "weights per target unit), or CSV with the header `sentence,target,source,weight` (sentences "
            "from 1). Matrices are read with the rule chosen above."
        ).format(
            n=len(split.pairs),
            units=_("whitespace-separated words") if in_words else _("the model's pieces"),
        )
    )
    sentences = "".join(f"{p.source}\t{p.target}\n" for p in split.pairs)
    pieces = "".join(f"{' '.join(s.pieces)}\t{' '.join(t.pieces)}\n" for s, t in split.encoded)
    c1, c2 = st.columns(2)
    c1.download_button(_("The sentences (TSV)"), sentences, "test_sentences.tsv", "text/tab-separated-values")
    c2.download_button(_("Their pieces (TSV)"), pieces, "test_pieces.tsv", "text/tab-separated-values")
    file = st.file_uploader(
        _("Your alignment"), type=["txt", "align", "pharaoh", "json", "csv"], key="align_upload"
    )
    if file is None:
        return None
    try:
        links = align.read_upload(file.getvalue(), file.name, shapes(split, in_words), how)
    except align.UploadError as err:
        st.error(md(_("{name} cannot be scored: {error}"), name=file.name, error=str(err)))
        return None
    if in_words:  # the file counts words already
        mine = metrics.alignment_scores(links, split.word_sure, split.word_possible)
    else:
        mine = split.score(links)
    ours = [split.attention(how, i) for i in range(len(split.pairs))]
    rows = [
        (md("{}", file.name), mine),
        (_("attention, read as chosen"), split.score(ours, words=in_words)),
        *((_(ALIGNMENT_METHODS[name]), split.score(found, words=in_words)) for name, found in theirs.items()),
    ]
    table = [
        {_("method"): name, _("precision"): got["precision"], _("recall"): got["recall"], "AER": got["aer"]}
        for name, got in rows
    ]
    frame = pd.DataFrame(table)
    st.table(frame.style.format("{:.1f}", subset=[_("precision"), _("recall"), "AER"]).hide(axis="index"))
    return links


def metric_name(task: str) -> str:
    found = tasks.find(task)
    return _("exact match") if found is not None and found.metric == "exact_match" else "BLEU"


def faithfulness_table(task: str) -> pd.DataFrame:
    """Every model of `task` whose metrics.json has the faithfulness table: its task metric under each
    attention (a damaged model is named by load_all and left out)."""
    same = {n: p for n, p in available_models().items() if model_summary(str(p))["task"] == task}
    found = tasks.find(task)
    metric = found.metric if found is not None else "bleu"
    rows = []
    for name, other in load_all(same).items():
        f = other.metrics.get("faithfulness") if isinstance(other.metrics, dict) else None
        if not isinstance(f, dict) or not all(isinstance(f.get(k), dict) for k in FAITHFULNESS):
            continue
        rows.append({_("model"): name, **{_(FAITHFULNESS_NAMES[k]): f[k][metric] for k in FAITHFULNESS}})
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
    numbers(methods_table(found["alignment"], found.get("alignment_words")))
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

faithful = faithfulness_table(task)
if len(faithful):
    st.subheader(_("Does the decoder use its attention?"))
    st.caption(
        _(
            "Each model's test split decoded greedily with its attention changed at every step (Jain & "
            "Wallace 2019): its {metric} with its own attention, with uniform attention, with its attention "
            "permuted across the source, and with hard attention (all on its argmax). Where the score "
            "hardly moves, the translation does not depend on where the model attends. Written by "
            "`attnviz evaluate`; one sentence at a time: Step through, What if."
        ).format(metric=metric_name(task))
    )
    numbers(faithful)

try:
    split = cached_gold_split(str(bundle.path)) if bundle.path else None
except DataError as err:  # the corpus with the gold is not installed here: the tables above still are
    st.info(md(_("The sentence maps need the gold alignment: {error}"), error=str(err)))
    split = None
if split is None:
    st.stop()

st.subheader(_("Read the attention another way"))
c1, c2 = st.columns(2)
UNITS = ("pieces", "words")
if "align_rule" not in st.session_state:
    st.session_state.align_unit = url_choice("unit", UNITS, "pieces")
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
unit = st.radio(
    _("Count"),
    UNITS,
    key="align_unit",
    horizontal=True,
    format_func=lambda u: _("the model's pieces") if u == "pieces" else _("words (pieces merged)"),
    help=_("Words: two whitespace-separated words are linked when any of their pieces are."),
)
in_words = unit == "words"
how = align.Extraction(rule, threshold, shifted)
st.query_params["unit"] = unit
st.query_params["rule"] = rule
st.query_params["th"] = f"{threshold:g}"
if shifted:
    st.query_params["next"] = "1"
else:
    st.query_params.pop("next", None)
scores = split.scores(how, words=in_words)
st.markdown(
    _("Read this way, over all {n} test sentences: precision {p:.1f}, recall {r:.1f}, AER {aer:.1f}.").format(
        n=len(split.pairs), p=scores["precision"], r=scores["recall"], aer=scores["aer"]
    )
)
try:
    theirs = read_alignments(bundle, split.pairs)
except ValueError as err:
    st.warning(md(_("The aligners' links are not drawn: {error}"), error=str(err)))
    theirs = {}
theirs = {name: found for name, found in theirs.items() if len(found) == len(split.pairs)}
yours = bring_your_own(split, how, theirs, in_words)

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


def sentence_scores(links: align.Links) -> dict[str, float]:
    """Precision, recall and AER of sentence k's piece links, at the chosen unit."""
    if in_words:
        return metrics.alignment_scores(
            [split.in_words(k, links)], [split.word_sure[k]], [split.word_possible[k]]
        )
    return metrics.alignment_scores([links], [split.sure[k]], [split.possible[k]])


one = sentence_scores(links)
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
        *([(_("your file's links"), yours[k])] if yours and not in_words else []),
    ],
)
chart(fig, key="alignment-map")
if also:
    other = sentence_scores(theirs[also][k])
    st.caption(
        _("{aligner} on this sentence: precision {p:.1f}, recall {r:.1f}, AER {aer:.1f}.").format(
            aligner=_(ALIGNMENT_METHODS[also]), p=other["precision"], r=other["recall"], aer=other["aer"]
        )
    )
st.caption(
    _(
        "Open squares: the gold links (sure and possible). Dots: the links read off the attention as "
        "chosen above. Diamonds: the aligner's links. Triangles: your file's links (when it counts pieces)."
    )
)
