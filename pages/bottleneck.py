"""Bottleneck: why attention exists - quality by source length, with and without attention."""

from pathlib import Path

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from attnviz import bottleneck, plots
from attnviz.tasks import DataError
from pages.layout import chart
from pages.loading import available_models, cached_paired_gap, load_all
from pages.text import md
from pages.widgets import model_column, sidebar


def paired_test(first: Path, second: Path, beam: int) -> None:
    """On request: decode the test split with both models and test the gap bucket by bucket."""
    decoding = "greedy" if beam == 1 else f"beam {beam}"
    if not st.toggle(
        f"Paired test of the gap ({decoding}, from the sidebar): decodes the 1,000 test sentences with both "
        "models, about 10-60 s the first time",
        key="paired",
    ):
        return
    try:
        gap = cached_paired_gap(str(first), str(second), beam)
    except (DataError, ValueError) as err:
        st.warning(md("The paired test needs the test sentences: {}", err))
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "source length": f"{b} words",
                    "sentences": row["n"],
                    "gap (BLEU)": row["gap"],
                    "paired 95% interval": f"{row['gap_ci'][0]:+.2f} to {row['gap_ci'][1]:+.2f}",
                    "attention better?": "yes" if row["gap_ci"][0] > 0 else "not shown",
                }
                for b, row in gap.items()
                if row["gap_ci"] is not None
            ]
        ).style.format({"gap (BLEU)": "{:+.2f}"}),
        hide_index=True,
    )
    st.caption(
        "Both models rescored on the same 1,000 resamples of each bucket's sentences (a paired bootstrap, "
        "Koehn 2004): an interval above 0 means attention is better on this test set in that bucket. The "
        "sentences are the ones the models' metrics were computed on: their corpus's test split, or where "
        "the corpus is not installed, the copy shipped beside each model (test_split.tsv)."
    )


def draw_buckets(table: pd.DataFrame) -> None:
    """The BLEU-by-length chart of every model in the buckets table, and the same numbers as a table."""
    chart(plots.bucket_chart(table, bottleneck.MIN_N), key="buckets")
    with st.expander("Show as table"):
        names = {
            "bucket": "source length",
            "bleu": "BLEU",
            "ci_low": "95% from",
            "ci_high": "to",
            "n": "sentences",
        }
        st.dataframe(table.rename(columns=names)[["model", *names.values()]], hide_index=True)
    st.caption(
        "Whiskers: 95% bootstrap intervals (1,000 resamples of the bucket's test sentences, in "
        f"metrics.json). Faint bars: fewer than {bottleneck.MIN_N} test sentences in the bucket, too few to "
        "read."
    )


def span(low: float, high: float) -> str:
    """A 95% interval as the cost table shows it; "-" where there is none."""
    return "-" if pd.isna(low) else f"{low:.1f} to {high:.1f}"


def cost_table(cost: bottleneck.Cost, attention: str) -> Styler:
    """The cost table with the words and number formats the page shows."""
    t = cost.table
    with_attention = f"with attention ({attention})"
    shown = pd.DataFrame(
        {
            "source length": t.bucket + " words",
            "sentences": t.n,
            with_attention: t.with_bleu,
            f"95% interval, {attention}": [span(*ci) for ci in zip(t.with_low, t.with_high, strict=True)],
            "without attention": t.without_bleu,
            "95% interval, none": [span(*ci) for ci in zip(t.without_low, t.without_high, strict=True)],
            "gap": t.gap,
            "kept without attention": t.kept,
        }
    )
    formats = {with_attention: "{:.2f}", "without attention": "{:.2f}", "gap": "{:.2f}"}
    return shown.style.format({**formats, "kept without attention": "{:.0%}"})


def draw_cost(cost: bottleneck.Cost, attention: str) -> None:
    """What the bottleneck costs: the table, whether the kept share falls with length, and the intervals."""
    st.markdown(
        "**What the bottleneck costs, by source length** (greedy test BLEU, buckets with enough sentences):"
    )
    st.dataframe(cost_table(cost, attention), hide_index=True)
    kept = cost.table.kept
    if cost.falls:
        st.markdown(
            f"On this test set the model without attention keeps {kept.iloc[0]:.0%} of the attention "
            f"model's BLEU on the shortest sentences and {kept.iloc[-1]:.0%} on the longest: **the longer "
            "the sentence, the more the single vector loses.**"
        )
    else:
        st.markdown(
            "On this test set the share of BLEU the model without attention keeps does **not** fall "
            "steadily with length: that attention matters *more* the longer the sentence is not clearly "
            "visible in these buckets."
        )
    if cost.compared:
        apart = [f"{b} words" for b in cost.apart]
        st.markdown(
            f"The attention model's 95% interval lies wholly above the baseline's in {len(apart)} of "
            f"{len(cost.compared)} buckets{' (' + ', '.join(apart) + ')' if apart else ''}. Where the two "
            "overlap, these intervals alone cannot tell the models apart - but both models were scored on "
            "the same sentences, and a paired test can be sharper:"
        )


def draw_long_sentence(found: bottleneck.Pair, models: dict[str, Path], beam: int) -> None:
    """One sentence of the user's through both models of the pair, side by side."""
    st.subheader("A long sentence, with and without attention")
    # A plain key carries the sentence across pages (widget state is dropped elsewhere); a fresh session
    # takes it from the link (?long=...).
    if "bottleneck_text" not in st.session_state:
        st.session_state.bottleneck_text = st.query_params.get("long", LONG)
    st.session_state.bottleneck_sentence = st.session_state.bottleneck_text
    long = st.text_input(
        "Sentence",
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
st.title("Why attention? The bottleneck")
st.markdown(
    "Without attention the encoder must squeeze the whole sentence into **one fixed vector**, the "
    "decoder's first state. With attention the decoder looks back at every encoder state at every step, "
    "so nothing has to fit through that one vector. The longer the sentence, the more this should matter. "
    "The chart reads each model's `metrics.json`, written by `attnviz evaluate` on the held-out test set."
)
models = available_models()
bundles = load_all(models)
found = bottleneck.pair(bundles)
table = bottleneck.buckets({name: b.metrics for name, b in bundles.items()}, found.task if found else None)
if table.empty:
    st.info(
        "No model with BLEU by source length in its metrics is installed, so there is nothing to compare yet."
    )
    st.stop()
draw_buckets(table)
if found is None:
    st.info(
        "No model without attention is installed beside a model trained the same way with attention, so "
        "there is no comparison."
    )
    st.stop()
cost = bottleneck.cost(table, found)
if cost.table.empty:
    st.info(
        md(
            "{} and {} share no source-length bucket with {} or more test sentences: there is no comparison.",
            found.sibling,
            found.baseline,
            bottleneck.MIN_N,
        )
    )
else:
    draw_cost(cost, found.attention)
    paired_test(models[found.sibling], models[found.baseline], beam)
draw_long_sentence(found, models, beam)
