"""Bottleneck: why attention exists - quality by source length, with and without attention."""

import streamlit as st

from attnviz import plots
from pages.common import available_models, cached_trace, chart, load_bundle, sidebar

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
    metrics = load_bundle(str(path)).metrics
    if metrics.get("task") != "de-en" or "by_length" not in metrics.get("greedy", {}):
        continue
    for bucket, values in metrics["greedy"]["by_length"].items():
        rows.append((name, bucket, values["bleu"], values["n"]))
if not rows:
    st.info(
        "No German-English model with evaluated metrics is installed, so there is nothing to compare yet."
    )
    st.stop()
chart(plots.bucket_chart(rows), key="buckets")
with st.expander("Show as table"):
    st.dataframe(
        [{"model": m, "source length": b, "BLEU": v, "sentences": n} for m, b, v, n in rows], hide_index=True
    )
if not any(r[0].endswith("-none") for r in rows):
    st.info("The no-attention baseline (de-en-none) is not installed, so the comparison is one-sided.")

st.subheader("A long sentence, with and without attention")
long = st.text_input(
    "Sentence",
    "Wenn du morgen früh Zeit hast, können wir zusammen zum Bahnhof fahren und dort auf den Zug warten.",
    key="bottleneck_sentence",
)
names = [n for n in ("de-en-dot", "de-en-none") if n in models]
for column, name in zip(st.columns(len(names)) if names else [], names, strict=True):
    with column:
        st.caption(name)
        try:
            st.code(cached_trace(str(models[name]), long, beam).translation or "(empty)", language=None)
        except ValueError as err:
            st.warning(str(err))
