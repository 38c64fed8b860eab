"""Translate: type a sentence, see the translation and its alignment map."""

import numpy as np
import streamlit as st

from attnviz import explain, plots, search, words
from pages.layout import chart
from pages.loading import cached_force
from pages.params import url_flag, url_int
from pages.text import download_name, md, pharaoh_file
from pages.widgets import alignment_table, reference_input, sentence_input, sidebar, trace_or_message


def url_hypothesis(count: int) -> int:
    """The beam hypothesis the URL names (1 = the best), as an index; a missing or odd one is the best."""
    kept = f"Showing the best (beam search kept {count} here)."
    return url_int("hyp", 1, 1, count, clamp=False, instead=kept) - 1


bundle, beam = sidebar()
st.title("Translate")
if bundle is None:
    st.stop()

text = sentence_input(bundle)
trace = trace_or_message(bundle, text, beam)
if trace is None:
    st.stop()

hypotheses = trace.hypotheses or (trace,)
# A new sentence, model or beam starts on its best hypothesis; a fresh session (or a return from another
# page, which drops the radio's state) on the one the URL names.
decoded = (trace.model, trace.source, beam)
if st.session_state.get("hyp_of") != decoded:
    if "hyp_of" in st.session_state:
        st.session_state.hyp = 0
    st.session_state.hyp_of = decoded
if "hyp" not in st.session_state:
    st.session_state.hyp = url_hypothesis(len(hypotheses))
choice = 0
if len(hypotheses) > 1:
    st.caption(f"Beam search kept {len(hypotheses)} hypotheses; pick one to see its map.")
    if st.session_state.get("hyp") not in range(len(hypotheses)):
        st.session_state.hyp = 0
    choice = st.radio(
        "Hypothesis",
        list(range(len(hypotheses))),
        key="hyp",
        format_func=lambda i: md(
            "{}  -  score {:.3f} (log-prob {:.2f}, {} steps)",
            hypotheses[i].translation or "(empty)",
            hypotheses[i].normalized_score,
            hypotheses[i].score,
            hypotheses[i].num_steps,
        ),
        label_visibility="collapsed",
    )
if choice:
    st.query_params["hyp"] = str(choice + 1)
else:
    st.query_params.pop("hyp", None)
trace = hypotheses[choice]

st.caption("Translation")
st.code(trace.translation or "(empty)", language=None, wrap_lines=True)

mark = False
if trace.weights.shape[1] == 0:
    st.info("This model has no attention: the decoder sees only the fixed latent vector.")
else:
    if "argmax" not in st.session_state:
        st.session_state.argmax = url_flag("argmax")
    mark = st.toggle("Mark each row's strongest link (argmax)", key="argmax")
    if mark:
        st.query_params["argmax"] = "1"
    else:
        st.query_params.pop("argmax", None)
    if "words" not in st.session_state:
        st.session_state.words = url_flag("words")
    by_word = st.toggle(
        "Words instead of pieces",
        key="words",
        help="A word's column adds up the attention its pieces received; its row is the mean of the "
        "rows of the steps that wrote it, so each row still sums to 1.",
    )
    if by_word:
        st.query_params["words"] = "1"
        merged = words.merge(trace, bundle.src.kind, bundle.tgt.kind)
        fig = plots.word_heatmap(trace, merged, mark_argmax=mark)
    else:
        st.query_params.pop("words", None)
        fig = plots.alignment_heatmap(trace, mark_argmax=mark)
    chart(fig, key="heatmap")
    st.caption(words.PIECE_KEY)
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

st.markdown(
    "**Your translation (forced decoding).** Type the translation you expect: the model is made to write "
    "it, piece by piece, and shows how probable it finds each piece"
    + (
        " and the attention it uses to write it."
        if bundle.config.attention != "none"
        else " (this model has no attention: every piece is written from the same fixed latent vector)."
    )
)
reference = reference_input(
    "Reference translation",
    help="Forced decoding: at each step the decoder is fed the previous piece of this text instead of "
    "its own choice. Press Enter to apply.",
)
if reference.strip():
    try:
        forced = cached_force(str(bundle.path), text, reference)
    except search.InputError as err:
        st.warning(md("{}", err))
    else:
        own, ref_score = trace.score, forced.score
        st.caption(
            md(
                "log p(your translation) = {:.2f} over {} pieces (per piece {:.3f}); "
                "log p(the model's own) = {:.2f} over {} pieces. {}",
                ref_score,
                forced.num_steps,
                float(np.exp(ref_score / forced.num_steps)),
                own,
                trace.num_steps,
                "The model finds yours more probable: its search missed it."
                if ref_score > own
                else "The model prefers its own translation.",
            )
        )
        chart(plots.reference_chart(forced), key="reference-probs")
        if forced.weights.shape[1]:
            chart(plots.alignment_heatmap(forced, mark_argmax=mark), key="reference-map")
            alignment_table(forced)

c1, c2, c3 = st.columns(3)
c1.download_button("Trace (JSON)", trace.to_json(indent=1), download_name(trace, "json"), "application/json")
c2.download_button(
    "Attention (CSV)", trace.to_frame().to_csv(index=False), download_name(trace, "csv"), "text/csv"
)
c3.download_button(
    "Alignment (Pharaoh)",
    pharaoh_file(trace),
    download_name(trace, "pharaoh.txt"),
    "text/plain",
    help="The links i-j (source piece i, target piece j, from 0), under comment lines naming the pieces.",
)
