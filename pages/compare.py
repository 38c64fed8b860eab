"""Compare: one sentence through two to four models side by side."""

import streamlit as st

from attnviz import metrics, plots
from pages.common import available_models, cached_trace, chart, model_summary, sentence_input, sidebar

bundle, beam = sidebar()
st.title("Compare models")
if bundle is None:
    st.stop()

models = available_models()
task = bundle.train_config.task if bundle.train_config else ""
same_task = [n for n, p in models.items() if model_summary(str(p))["task"] == task]
chosen = st.multiselect(
    "Models (same task as the sidebar's)",
    same_task,
    default=same_task[:4],
    max_selections=4,
    help="Models that differ only in their attention function share data, tokenizer and size.",
)
text = sentence_input(bundle)
reference = st.text_input("Reference translation (optional): gives BLEU and chrF per model")
if not text.strip():
    st.info("Type a sentence above (or pick an example) and press Enter.")
    st.stop()
if len(chosen) < 1:
    st.info("Pick at least one model.")
    st.stop()

columns = st.columns(len(chosen))
for column, name in zip(columns, chosen, strict=True):
    with column:
        st.subheader(name)
        try:
            trace = cached_trace(str(models[name]), text, beam)
        except Exception as err:  # noqa: BLE001 - one model's failure must not hide the others
            st.warning(str(err))
            continue
        st.code(trace.translation or "(empty)", language=None, wrap_lines=True)
        if reference.strip():
            st.caption(
                f"BLEU {metrics.bleu([trace.translation], [reference]):.1f} · "
                f"chrF {metrics.chrf([trace.translation], [reference]):.1f}"
            )
        if trace.weights.shape[1] == 0:
            st.info("No attention: one fixed latent vector for the whole sentence.")
        else:
            chart(plots.alignment_heatmap(trace), key=f"map-{name}")
