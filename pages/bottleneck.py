"""Bottleneck: why attention exists - quality by source length, with and without attention."""

import itertools
from pathlib import Path

import pandas as pd
import streamlit as st

from attnviz import plots
from attnviz.checkpoint import ModelError
from attnviz.tasks import DataError
from pages.common import available_models, cached_paired_gap, chart, load_bundle, md, model_column, sidebar

MIN_N = 20  # test sentences a bucket needs before its BLEU means much


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


bundle, beam = sidebar()
st.title("Why attention? The bottleneck")
st.markdown(
    "Without attention the encoder must squeeze the whole sentence into **one fixed vector**, the "
    "decoder's first state. With attention the decoder looks back at every encoder state at every step, "
    "so nothing has to fit through that one vector. The longer the sentence, the more this should matter. "
    "The chart reads each model's `metrics.json`, written by `attnviz evaluate` on the held-out test set."
)
models = available_models()
rows = []
for name, path in models.items():
    try:
        metrics = load_bundle(str(path)).metrics
    except ModelError as err:  # one damaged model is named with its reason; the others are still read
        st.warning(md("{}: could not be loaded: {}", name, err))
        continue
    if metrics.get("task") != "de-en" or "by_length" not in metrics.get("greedy", {}):
        continue
    for bucket, values in metrics["greedy"]["by_length"].items():
        rows.append((name, bucket, values["bleu"], values["n"], values.get("bleu_ci")))
if not rows:
    st.info(
        "No German-English model with evaluated metrics is installed, so there is nothing to compare yet."
    )
    st.stop()
chart(plots.bucket_chart(rows, MIN_N), key="buckets")
with st.expander("Show as table"):
    table = []
    for m, b, v, n, ci in rows:
        low, high = ci or (None, None)
        table.append({"model": m, "source length": b, "BLEU": v, "95% from": low, "to": high, "sentences": n})
    st.dataframe(table, hide_index=True)
st.caption(
    "Whiskers: 95% bootstrap intervals (1,000 resamples of the bucket's test sentences, in "
    f"metrics.json). Faint bars: fewer than {MIN_N} test sentences in the bucket, too few to read."
)


bleu = {(m, b): (v, n) for m, b, v, n, _ in rows}
interval = {(m, b): ci for m, b, _, _, ci in rows}


def span(model: str, bucket: str) -> str:
    ci = interval[(model, bucket)]
    return f"{ci[0]:.1f} to {ci[1]:.1f}" if ci else "-"


if ("de-en-dot", "<=5") in bleu and ("de-en-none", "<=5") in bleu:
    table, read = [], []  # read: the buckets in the table
    for b in dict.fromkeys(b for m, b, *_ in rows if m == "de-en-dot"):
        if ("de-en-none", b) not in bleu:  # buckets are the two models' own; compare only shared ones
            continue
        (dot, n), (none, _) = bleu[("de-en-dot", b)], bleu[("de-en-none", b)]
        if n >= MIN_N and dot and none is not None:
            read.append(b)
            table.append(
                {
                    "source length": f"{b} words",
                    "sentences": n,
                    "with attention (dot)": dot,
                    "95% interval, dot": span("de-en-dot", b),
                    "without attention": none,
                    "95% interval, none": span("de-en-none", b),
                    "gap": dot - none,
                    "kept without attention": none / dot,
                }
            )
    st.markdown(
        "**What the bottleneck costs, by source length** (greedy test BLEU, buckets with enough sentences):"
    )
    st.dataframe(
        pd.DataFrame(table).style.format(
            {
                "with attention (dot)": "{:.2f}",
                "without attention": "{:.2f}",
                "gap": "{:.2f}",
                "kept without attention": "{:.0%}",
            }
        ),
        hide_index=True,
    )
    kept = [r["kept without attention"] for r in table]
    if all(a > b for a, b in itertools.pairwise(kept)):
        st.markdown(
            f"On this test set the model without attention keeps {kept[0]:.0%} of the attention model's "
            f"BLEU on the shortest sentences and {kept[-1]:.0%} on the longest: **the longer the sentence, "
            "the more the single vector loses.**"
        )
    else:
        st.markdown(
            "On this test set the share of BLEU the model without attention keeps does **not** fall "
            "steadily with length: that attention matters *more* the longer the sentence is not clearly "
            "visible in these buckets."
        )
    with_ci = [b for b in read if interval[("de-en-dot", b)] and interval[("de-en-none", b)]]
    apart = [f"{b} words" for b in with_ci if interval[("de-en-none", b)][1] < interval[("de-en-dot", b)][0]]
    if with_ci:
        st.markdown(
            f"The attention model's 95% interval lies wholly above the baseline's in {len(apart)} of "
            f"{len(with_ci)} buckets{' (' + ', '.join(apart) + ')' if apart else ''}. Where the two "
            "overlap, these intervals alone cannot tell the models apart - but both models were scored on "
            "the same sentences, and a paired test can be sharper:"
        )
    paired_test(models["de-en-dot"], models["de-en-none"], beam)
else:
    st.info(
        "The no-attention baseline (de-en-none) or de-en-dot is not installed, so there is no comparison."
    )

st.subheader("A long sentence, with and without attention")
LONG = "Wenn du morgen früh Zeit hast, können wir zusammen zum Bahnhof fahren und dort auf den Zug warten."
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
names = [n for n in ("de-en-dot", "de-en-none") if n in models]
for column, name in zip(st.columns(len(names), gap="large") if names else [], names, strict=True):
    with column:
        st.caption(md("{}", name))
        model_column(models[name], long, beam)
