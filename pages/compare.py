"""Compare: one sentence through two to four models side by side."""

import streamlit as st

from pages.common import available_models, model_column, model_summary, sentence_input, sidebar

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

st.caption(
    "Each map: source pieces along the top, target pieces down the side; colour is the attention weight, "
    "from 0 (dark blue) to 1 (yellow), on the same scale in every map. Hover a cell for its exact weight."
)
per_row = 2 if len(chosen) > 2 else len(chosen)  # four maps in one row are too narrow to read
columns = [c for _ in range(0, len(chosen), per_row) for c in st.columns(per_row, gap="large")]
for column, name in zip(columns, chosen, strict=False):
    with column:
        st.subheader(name)
        model_column(models[name], text, beam, reference)
