"""Translate: type a sentence, see the translation and its alignment map."""

import streamlit as st

from attnviz import explain, plots
from pages.common import alignment_table, chart, sentence_input, sidebar, trace_or_message

bundle, beam = sidebar()
st.title("Translate")
if bundle is None:
    st.stop()

text = sentence_input(bundle)
trace = trace_or_message(bundle, text, beam)
if trace is None:
    st.stop()

hypotheses = trace.hypotheses or (trace,)
choice = 0
if len(hypotheses) > 1:
    st.caption(f"Beam search kept {len(hypotheses)} hypotheses; pick one to see its map.")
    options = list(range(len(hypotheses)))
    choice = st.radio(
        "Hypothesis",
        options,
        format_func=lambda i: (
            f"{hypotheses[i].translation or '(empty)'}  -  score {hypotheses[i].normalized_score:.3f}"
            f" (log-prob {hypotheses[i].score:.2f}, {hypotheses[i].num_steps} steps)"
        ),
        label_visibility="collapsed",
    )
trace = hypotheses[choice]

st.caption("Translation")
st.code(trace.translation or "(empty)", language=None, wrap_lines=True)

if trace.weights.shape[1] == 0:
    st.info("This model has no attention: the decoder sees only the fixed latent vector.")
else:
    mark = st.toggle("Mark each row's strongest link (argmax)", value=False)
    fig = plots.alignment_heatmap(trace, mark_argmax=mark)
    chart(fig, key="heatmap")
    alignment_table(trace)

    st.markdown(
        "**Coverage and focus.** How much attention each source piece received in total, and how "
        "spread out each step's attention was (0 bits = on a single piece)."
    )
    left, right = st.columns(2)
    coverage, entropy = explain.coverage(trace), explain.entropy(trace)
    chart(plots.coverage_chart(trace, coverage), key="coverage", where=left)
    chart(plots.entropy_chart(trace, entropy), key="entropy", where=right)
    with st.expander("Show as tables"):
        st.dataframe({"source piece": list(trace.source_pieces), "coverage": coverage})
        st.dataframe(
            {
                "step": list(range(1, trace.num_steps + 1)),
                "target piece": list(trace.target_pieces),
                "entropy (bits)": entropy,
            }
        )

c1, c2, c3 = st.columns(3)
c1.download_button("Trace (JSON)", trace.to_json(indent=1), "trace.json", "application/json")
c2.download_button("Attention (CSV)", trace.to_frame().to_csv(index=False), "attention.csv", "text/csv")
c3.download_button("Alignment (Pharaoh)", trace.pharaoh() + "\n", "alignment.txt", "text/plain")
