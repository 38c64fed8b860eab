"""Step through: one decoder step at a time, every number the model's own; and a softmax sandbox."""

import time

import numpy as np
import pandas as pd
import streamlit as st

from attnviz import explain, plots
from pages.common import chart, sentence_input, sidebar, trace_or_message

bundle, beam = sidebar()
st.title("Step through")
if bundle is None:
    st.stop()

walk, sandbox = st.tabs(["Decoder steps", "Sandbox"])


def table(labels: list[str], **columns: np.ndarray) -> None:
    """The "show as table" fallback: the same numbers as the chart above it."""
    with st.expander("Show as table"):
        st.dataframe(pd.DataFrame({"piece": labels, **columns}), hide_index=True)


def strips(rows: list[tuple[str, np.ndarray]], key: str) -> None:
    """Vectors as colour strips, and below them the same numbers as a table (a column per vector)."""
    chart(plots.vector_strips(rows), key=key)
    with st.expander("Show as table"):
        st.dataframe(pd.DataFrame({label: vector for label, vector in rows}).rename_axis("dimension"))


def draw_step(trace, t: int) -> None:
    prev = "<s>" if t == 0 else trace.target_pieces[t - 1]
    T = trace.num_steps
    st.subheader(f"Step {t + 1} of {T}: emits “{trace.target_pieces[t]}”")

    st.markdown(
        "**1. Decoder hidden state** - the GRU reads its last state and the embedding e(·) of the "
        "previous piece."
    )
    st.latex(f"s_{{{t + 1}}} = \\mathrm{{GRU}}(s_{{{t}}},\\ e(\\text{{{explain.tex_label(prev)}}}))")
    strips([(f"s_{t + 1}", trace.hidden[t])], key=f"hidden{t}")

    if trace.weights.shape[1] == 0:
        st.info(
            "This model has no attention: instead of a weighted sum of encoder states, its context is "
            "the same fixed latent vector s_0 at every step - the bottleneck attention removes."
        )
    else:
        pieces = list(trace.source_pieces)
        st.markdown("**2. Scores** - the dot product of the decoder state with every encoder state.")
        st.latex(explain.score_formula(trace, t))
        chart(plots.score_chart(trace, t), key=f"scores{t}")
        table(pieces, score=trace.scores[t])

        st.markdown("**3. Softmax** - scores become weights that are positive and sum to 1.")
        st.latex(explain.softmax_formula(trace, t))
        temperature = st.slider(
            "What-if temperature (not the model's output)",
            0.1,
            5.0,
            1.0,
            0.1,
            key=f"temp{t}",
            help="softmax(scores / temperature): below 1 sharpens, above 1 flattens. The model uses 1.",
        )
        what_if = None if temperature == 1.0 else explain.softmax(trace.scores[t], temperature)
        chart(plots.weight_chart(trace, t, what_if, temperature), key=f"weights{t}")
        table(pieces, weight=trace.weights[t], **({} if what_if is None else {"what_if": what_if}))

        st.markdown("**4. Context vector** - the encoder states, each scaled by its weight, summed.")
        st.latex(explain.context_formula(trace, t))
        positions, rows, context = explain.weighted_states(trace, t)
        terms = [
            (f"{trace.weights[t, i]:.3f} × h{i + 1} ({pieces[i]})", r)
            for i, r in zip(positions, rows, strict=True)
        ]
        rest = context - rows.sum(axis=0)
        if len(pieces) > len(positions):
            terms.append((f"+ the other {len(pieces) - len(positions)} terms", rest))
        terms.append((f"= context c{t + 1}", context))
        strips(terms, key=f"context{t}")

    st.markdown("**5. Concatenate, tanh, and the distribution over the next piece.**")
    st.latex(explain.output_formula(trace, t))
    if bundle.config.tie_output:
        st.caption(
            "In this model W_out is the target embedding matrix itself (tied): a piece's score is the dot "
            "product of the attentional vector with that piece's own embedding, plus its bias."
        )
    strips(
        [
            (f"context c{t + 1}", trace.context[t]),
            (f"state s{t + 1}", trace.hidden[t]),
            ("tanh(W_c[c; s]) (attentional)", trace.attentional[t]),
        ],
        key=f"concat{t}",
    )
    chart(plots.topk_chart(trace, t), key=f"topk{t}")
    table(list(trace.topk_pieces[t]), probability=trace.topk_probs[t])


with walk:
    text = sentence_input(bundle)
    trace = trace_or_message(bundle, text, beam)
    if trace is not None:
        st.code(trace.translation or "(empty)", language=None)
        T = trace.num_steps
        wanted = st.query_params.get("step", "1")
        start = min(max(int(wanted) if wanted.isdigit() else 1, 1), T)
        if st.session_state.get("step_for") != (text, bundle.name, beam):
            st.session_state.step_for = (text, bundle.name, beam)
            st.session_state.step = start

        def move(delta: int) -> None:
            st.session_state.step = min(max(st.session_state.step + delta, 1), T)

        c1, c2, c3 = st.columns([1, 1, 1])
        c1.button("◀ Previous", on_click=move, args=(-1,), disabled=st.session_state.step <= 1)
        c2.button("Next ▶", on_click=move, args=(1,), disabled=st.session_state.step >= T)
        play = c3.button("▶ Play all steps")
        if T > 1:
            st.slider("Decoder step", 1, T, key="step")
        st.query_params["step"] = str(st.session_state.step)
        view = st.empty()
        if play:
            for t in range(T):
                with view.container():
                    draw_step(trace, t)
                time.sleep(1.0)
        else:
            with view.container():
                draw_step(trace, st.session_state.step - 1)

with sandbox:
    st.markdown(
        "Type your own scores and see the softmax and the weighted sum. It opens on the lecture's example."
    )
    raw = st.text_input("Scores, separated by commas", "7, 1, -1, -2", key="sandbox_scores")
    try:
        scores = np.array([float(x) for x in raw.replace(";", ",").split(",") if x.strip()])
    except ValueError:
        scores = np.array([])
        st.warning("Scores must be numbers separated by commas, e.g. 7, 1, -1, -2.")
    if 0 < len(scores) <= 50 and np.isfinite(scores).all():
        temperature = st.slider("Temperature", 0.1, 5.0, 1.0, 0.1, key="sandbox_temp")
        weights = explain.softmax(scores, temperature)
        st.latex(
            "\\operatorname{softmax}("
            + ", ".join(explain.fmt(float(s)) for s in scores)
            + ") = ("
            + ", ".join(explain.fmt(float(w)) for w in weights)
            + ")"
        )
        names = [f"h{i + 1}" for i in range(len(scores))]
        st.bar_chart(pd.DataFrame({"weight": weights}, index=names))
        st.markdown("Small encoder states (edit them): the context is the weighted sum of the rows.")
        default = pd.DataFrame(np.eye(len(scores), 3)[:, :3] + 0.0, index=names, columns=["d1", "d2", "d3"])
        states = st.data_editor(default, key=f"sandbox_states{len(scores)}")
        context = weights @ states.to_numpy(dtype=float)
        st.latex(
            "c = "
            + " + ".join(f"{explain.fmt(float(w))}\\,{n}" for w, n in zip(weights, names, strict=True))
            + " = ("
            + ", ".join(explain.fmt(float(x)) for x in context)
            + ")"
        )
    elif len(scores) > 50:
        st.warning("Up to 50 scores, please.")
