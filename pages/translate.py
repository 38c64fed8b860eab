"""Translate: type a sentence, see the translation and its alignment map."""

import streamlit as st

from attnviz import plots, search
from attnviz.tasks import EXAMPLES
from pages.common import cached_trace, sidebar

bundle, beam = sidebar()
st.title("Translate")
if bundle is None:
    st.stop()

task = bundle.train_config.task if bundle.train_config else ""
examples = EXAMPLES.get(task, ())
if "sentence" not in st.session_state:
    st.session_state.sentence = st.query_params.get("s", examples[0] if examples else "")


def use_example() -> None:
    st.session_state.sentence = st.session_state.example


if examples:
    st.selectbox(
        "Examples",
        examples,
        index=None,
        key="example",
        on_change=use_example,
        placeholder="Pick an example sentence",
    )
text = st.text_input(
    "Sentence", key="sentence", max_chars=search.MAX_INPUT_CHARS, help="Press Enter to translate."
)
st.query_params["s"] = text

if not text.strip():
    st.info("Type a sentence above (or pick an example) and press Enter.")
    st.stop()
try:
    trace = cached_trace(str(bundle.path), text, beam)
except search.InputError as err:
    st.warning(str(err))
    st.stop()

if trace.cut:
    st.warning(
        f"The input is longer than this model's limit of {bundle.config.max_src_len} pieces: "
        f"the last {trace.cut} pieces were cut. Only “{trace.source}” was translated."
    )
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
