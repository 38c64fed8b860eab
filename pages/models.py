"""Models: each installed model's card - task, data, size, attention function, training, metrics."""

import streamlit as st

from pages.common import available_models, load_bundle, sidebar

sidebar()
st.title("Models")
for name, path in available_models().items():
    bundle = load_bundle(str(path))
    with st.expander(name, expanded=name == st.session_state.get("model")):
        card = path / "README.md"
        if card.is_file():
            st.markdown(card.read_text(encoding="utf-8"))
        else:
            st.info("No model card: run `attnviz evaluate --model DIR` to write metrics.json and the card.")
        st.caption("metrics.json")
        st.json(bundle.metrics or {}, expanded=False)
