"""Translate: type a sentence, see the translation and its alignment map."""

import streamlit as st

from attnviz import plots
from pages.common import sentence_input, sidebar, trace_or_message

bundle, beam = sidebar()
st.title("Translate")
if bundle is None:
    st.stop()

text = sentence_input(bundle)
trace = trace_or_message(bundle, text, beam)
if trace is None:
    st.stop()

st.caption("Translation")
st.code(trace.translation or "(empty)", language=None, wrap_lines=True)

if trace.weights.shape[1] == 0:
    st.info("This model has no attention: the decoder sees only the fixed latent vector.")
else:
    mark = st.toggle("Mark each row's strongest link (argmax)", value=False)
    fig = plots.alignment_heatmap(trace, mark_argmax=mark)
    st.plotly_chart(
        fig,
        width="stretch",
        key="heatmap",
        config={"toImageButtonOptions": {"format": "svg", "filename": "alignment"}},
    )
    with st.expander("Show as table"):
        table = trace.to_frame().pivot(index="step", columns="source_index", values="weight")
        table.index = [f"{t + 1}: {p}" for t, p in enumerate(trace.target_pieces)]
        table.columns = [f"{s}: {p}" for s, p in enumerate(trace.source_pieces)]
        st.dataframe(table.style.format("{:.4f}"))

c1, c2, c3 = st.columns(3)
c1.download_button("Trace (JSON)", trace.to_json(indent=1), "trace.json", "application/json")
c2.download_button("Attention (CSV)", trace.to_frame().to_csv(index=False), "attention.csv", "text/csv")
c3.download_button("Alignment (Pharaoh)", trace.pharaoh() + "\n", "alignment.txt", "text/plain")
