"""Bottleneck: why attention exists - quality by source length, with and without attention."""

from pathlib import Path

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from attnviz import bottleneck, plots
from attnviz.tasks import DataError
from pages.lang import _
from pages.layout import chart
from pages.loading import available_models, cached_paired_gap, load_all
from pages.text import md
from pages.widgets import model_column, sidebar


def paired_test(first: Path, second: Path, beam: int) -> None:
    """On request: decode the test split with both models and test the gap bucket by bucket."""
    decoding = _("greedy") if beam == 1 else _("beam {k}").format(k=beam)
    if not st.toggle(
        _(
            "Paired test of the gap ({decoding}, from the sidebar): decodes the 1,000 test sentences with "
            "both models, about 10-60 s the first time"
        ).format(decoding=decoding),
        key="paired",
    ):
        return
    try:
        gap = cached_paired_gap(str(first), str(second), beam)
    except (DataError, ValueError) as err:
        st.warning(md(_("The paired test needs the test sentences: {error}"), error=err))
        return
    length, sentences, gap_bleu = _("source length"), _("sentences"), _("gap (BLEU)")
    interval, better = _("paired 95% interval"), _("attention better?")
    yes, not_shown = _("yes"), _("not shown")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    length: words(b),
                    sentences: row["n"],
                    gap_bleu: row["gap"],
                    interval: _("{low:+.2f} to {high:+.2f}").format(
                        low=row["gap_ci"][0], high=row["gap_ci"][1]
                    ),
                    better: yes if row["gap_ci"][0] > 0 else not_shown,
                }
                for b, row in gap.items()
                if row["gap_ci"] is not None
            ]
        ).style.format({gap_bleu: "{:+.2f}"}),
        hide_index=True,
    )
    st.caption(
        _(
            "Both models rescored on the same 1,000 resamples of each bucket's sentences (a paired "
            "bootstrap, Koehn 2004): an interval above 0 means attention is better on this test set in that "
            "bucket. The sentences are the ones the models' metrics were computed on: their corpus's test "
            "split, or where the corpus is not installed, the copy shipped beside each model "
            "(test_split.tsv)."
        )
    )


def words(bucket: str) -> str:
    """A source-length bucket ("6-10") as the tables show it: "6-10 words"."""
    return _("{bucket} words").format(bucket=bucket)


def draw_buckets(table: pd.DataFrame) -> None:
    """The BLEU-by-length chart of every model in the buckets table, and the same numbers as a table."""
    chart(plots.bucket_chart(table, bottleneck.MIN_N), key="buckets")
    with st.expander(_("Show as table")):
        names = {
            "model": _("model"),
            "bucket": _("source length"),
            "bleu": "BLEU",
            "ci_low": _("95% from"),
            "ci_high": _("to"),
            "n": _("sentences"),
        }
        st.dataframe(table.rename(columns=names)[list(names.values())], hide_index=True)
    st.caption(
        _(
            "Whiskers: 95% bootstrap intervals (1,000 resamples of the bucket's test sentences, in "
            "metrics.json). Faint bars: fewer than {min_n} test sentences in the bucket, too few to read."
        ).format(min_n=bottleneck.MIN_N)
    )


def span(low: float, high: float) -> str:
    """A 95% interval as the cost table shows it; "-" where there is none."""
    return "-" if pd.isna(low) else _("{low:.1f} to {high:.1f}").format(low=low, high=high)


def cost_table(cost: bottleneck.Cost, attention: str) -> Styler:
    """The cost table with the words and number formats the page shows."""
    t = cost.table
    with_attention = _("with attention ({attention})").format(attention=attention)
    without, gap, kept = _("without attention"), _("gap"), _("kept without attention")
    shown = pd.DataFrame(
        {
            _("source length"): [words(b) for b in t.bucket],
            _("sentences"): t.n,
            with_attention: t.with_bleu,
            _("95% interval, {attention}").format(attention=attention): [
                span(*ci) for ci in zip(t.with_low, t.with_high, strict=True)
            ],
            without: t.without_bleu,
            _("95% interval, none"): [span(*ci) for ci in zip(t.without_low, t.without_high, strict=True)],
            gap: t.gap,
            kept: t.kept,
        }
    )
    formats = {with_attention: "{:.2f}", without: "{:.2f}", gap: "{:.2f}"}
    return shown.style.format({**formats, kept: "{:.0%}"})


def draw_cost(cost: bottleneck.Cost, attention: str) -> None:
    """What the bottleneck costs: the table, whether the kept share falls with length, and the intervals."""
    st.markdown(
        _(
            "**What the bottleneck costs, by source length** (greedy test BLEU, buckets with enough "
            "sentences):"
        )
    )
    st.dataframe(cost_table(cost, attention), hide_index=True)
    kept = cost.table.kept
    if cost.falls:
        st.markdown(
            _(
                "On this test set the model without attention keeps {short:.0%} of the attention model's "
                "BLEU on the shortest sentences and {long:.0%} on the longest: **the longer the sentence, "
                "the more the single vector loses.**"
            ).format(short=kept.iloc[0], long=kept.iloc[-1])
        )
    else:
        st.markdown(
            _(
                "On this test set the share of BLEU the model without attention keeps does **not** fall "
                "steadily with length: that attention matters *more* the longer the sentence is not clearly "
                "visible in these buckets."
            )
        )
    if cost.compared:
        apart = [words(b) for b in cost.apart]
        if apart:
            above = _(
                "The attention model's 95% interval lies wholly above the baseline's in {apart} of "
                "{compared} buckets ({buckets})."
            ).format(apart=len(apart), compared=len(cost.compared), buckets=", ".join(apart))
        else:
            above = _(
                "The attention model's 95% interval lies wholly above the baseline's in {apart} of "
                "{compared} buckets."
            ).format(apart=0, compared=len(cost.compared))
        st.markdown(
            above
            + " "
            + _(
                "Where the two overlap, these intervals alone cannot tell the models apart - but both models "
                "were scored on the same sentences, and a paired test can be sharper:"
            )
        )


def draw_long_sentence(found: bottleneck.Pair, models: dict[str, Path], beam: int) -> None:
    """One sentence of the user's through both models of the pair, side by side."""
    st.subheader(_("A long sentence, with and without attention"))
    # A plain key carries the sentence across pages (widget state is dropped elsewhere); a fresh session
    # takes it from the link (?long=...).
    if "bottleneck_text" not in st.session_state:
        st.session_state.bottleneck_text = st.query_params.get("long", LONG)
    st.session_state.bottleneck_sentence = st.session_state.bottleneck_text
    long = st.text_input(
        _("Sentence"),
        key="bottleneck_sentence",
        on_change=lambda: st.session_state.update(bottleneck_text=st.session_state.bottleneck_sentence),
    )
    st.query_params["long"] = long
    names = [found.sibling, found.baseline]
    for column, name in zip(st.columns(len(names), gap="large"), names, strict=True):
        with column:
            st.caption(md("{}", name))
            model_column(models[name], long, beam)


# The sentence the long-sentence view opens on: written for the German-English pair the app ships, the
# only one it has; a pair of another task opens on it too until a task's record names a long example.
LONG = "Wenn du morgen früh Zeit hast, können wir zusammen zum Bahnhof fahren und dort auf den Zug warten."

bundle, beam = sidebar()
st.title(_("Why attention? The bottleneck"))
st.markdown(
    _(
        "Without attention the encoder must squeeze the whole sentence into **one fixed vector**, the "
        "decoder's first state. With attention the decoder looks back at every encoder state at every step, "
        "so nothing has to fit through that one vector. The longer the sentence, the more this should "
        "matter. The chart reads each model's `metrics.json`, written by `attnviz evaluate` on the held-out "
        "test set."
    )
)
models = available_models()
bundles = load_all(models)
found = bottleneck.pair(bundles)
table = bottleneck.buckets({name: b.metrics for name, b in bundles.items()}, found.task if found else None)
if table.empty:
    st.info(
        _(
            "No model with BLEU by source length in its metrics is installed, so there is nothing to compare "
            "yet."
        )
    )
    st.stop()
draw_buckets(table)
if found is None:
    st.info(
        _(
            "No model without attention is installed beside a model trained the same way with attention, so "
            "there is no comparison."
        )
    )
    st.stop()
cost = bottleneck.cost(table, found)
if cost.table.empty:
    st.info(
        md(
            _(
                "{first} and {second} share no source-length bucket with {min_n} or more test sentences: "
                "there is no comparison."
            ),
            first=found.sibling,
            second=found.baseline,
            min_n=bottleneck.MIN_N,
        )
    )
else:
    draw_cost(cost, found.attention)
    paired_test(models[found.sibling], models[found.baseline], beam)
draw_long_sentence(found, models, beam)
