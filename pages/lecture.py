"""Lecture walk-through: the lecture's order, one stage at a time, with a real model's own numbers."""

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from attnviz import explain, plots
from attnviz.i18n import N_
from attnviz.trace import Trace
from pages.lang import _
from pages.layout import chart
from pages.params import url_flag, url_int
from pages.text import literal, md, sub
from pages.widgets import sentence_input, sidebar, trace_or_message

# The lecture's stages, in its order; stages 1 and 2 happen once per sentence, 3 to 9 at every step.
STAGES = (
    N_("The encoder reads the sentence"),
    N_("The encoder's final states become the decoder's first state h₀ᵈ"),
    N_("The decoder reads a piece and makes its state hₜᵈ"),
    N_("Scores: hₜᵈ against every encoder state"),
    N_("Softmax: scores become weights"),
    N_("The context vector: the weighted sum of the encoder states"),
    N_("Concatenate [cₜ; hₜᵈ], then tanh(W_c[…])"),
    N_("The next word: softmax over the vocabulary"),
    N_("The next step"),
)
N_STAGES = len(STAGES)

bundle, beam = sidebar()
st.title(_("Lecture walk-through"))
if bundle is None:
    st.stop()
model = bundle.model


def strips(rows: list[tuple[str, np.ndarray]], key: str) -> None:
    """Vectors as colour strips, and the same numbers as a table."""
    chart(plots.vector_strips(rows), key=key)
    with st.expander(_("Show as table")):
        st.dataframe(pd.DataFrame({label: vector for label, vector in rows}).rename_axis(_("dimension")))


def bars(fig: go.Figure, key: str, pieces: Sequence[str], name: str, values: np.ndarray) -> None:
    """A chart of one number per piece, and the same numbers as a table."""
    chart(fig, key=key)
    with st.expander(_("Show as table")):
        st.dataframe(pd.DataFrame({_("piece"): list(pieces), name: values}), hide_index=True)


def check(text: str, difference: float) -> None:
    """A recomputation and how far it is from the Trace's numbers (float32 rounding is about 1e-6)."""
    st.caption(_("{check}: largest difference {diff:.1e}.").format(check=text, diff=difference))


def no_attention() -> None:
    st.info(
        _(
            "This model has no attention, so it has no scores, no softmax and no weighted sum: its context "
            "is the same fixed latent vector h₀ᵈ at every step (the Bottleneck page shows what that costs)."
        )
    )


def stage_encoder(trace: Trace, t: int) -> None:
    S = len(trace.source_pieces)
    st.markdown(
        _(
            "A bidirectional GRU reads the {S} pieces of the sentence, one state per piece: h₁ᵉ … h{sub_S}ᵉ "
            "(written hᵢ on the other pages). Each state has {H} numbers: the first half from the GRU "
            "reading left to right, the second from the one reading right to left."
        ).format(S=S, sub_S=sub(S), H=trace.encoder_states.shape[1])
    )
    rows = [(f"h{sub(i + 1)}ᵉ ({p})", trace.encoder_states[i]) for i, p in enumerate(trace.source_pieces)]
    strips(rows, key=f"lec-enc-{t}")


def stage_bridge(trace: Trace, t: int) -> None:
    half = trace.encoder_states.shape[1] // 2
    S = len(trace.source_pieces)
    st.markdown(
        _(
            "The lecture says the encoder's last hidden state becomes the decoder's first state h₀ᵈ "
            "(s₀ on the other pages). In this model it is not that state itself: the encoder reads in both "
            "directions, so a learned bridge makes h₀ᵈ from both directions' final states - the forward "
            "GRU's last state (the first {half} numbers of h{sub_S}ᵉ) and the backward GRU's last state (the "
            "last {half} numbers of h₁ᵉ, which it reached at the first piece)."
        ).format(half=half, sub_S=sub(S))
    )
    st.latex(f"h^d_0 = \\tanh(W_b\\,[\\overrightarrow{{h}}_{{{S}}};\\ \\overleftarrow{{h}}_{{1}}] + b_b)")
    joined = explain.bridge_input(trace)
    strips(
        [
            (f"h{sub(S)}ᵉ", trace.encoder_states[-1]),
            (f"[h{sub(S)}→; h₁←]", joined),
            ("h₀ᵈ", trace.latent),
        ],
        key=f"lec-bridge-{t}",
    )
    equal = np.allclose(trace.latent, trace.encoder_states[-1], atol=1e-5)
    gap = float(np.abs(trace.latent - trace.encoder_states[-1]).max())
    st.markdown(
        (
            _("h₀ᵈ equals h{sub_S}ᵉ here (largest difference {gap:.1e}).")
            if equal
            else _("h₀ᵈ is not h{sub_S}ᵉ: they differ by up to {gap:.3f} in one dimension.")
        ).format(sub_S=sub(S), gap=gap)
    )
    check(
        _("h₀ᵈ recomputed with the model's own bridge W_b, b_b"),
        float(np.abs(explain.bridge_recompute(trace, model) - trace.latent).max()),
    )


def stage_read(trace: Trace, t: int) -> None:
    piece = explain.lecture_previous(trace, t)
    if t == 0:
        st.markdown(
            _(
                "At step 1 the decoder reads {start} (the tokenizer's start piece <s>) and its first "
                "state h₀ᵈ, and its GRU makes h₁ᵈ."
            ).format(start=literal(explain.START))
        )
    else:
        st.markdown(
            _(
                "At step {step} the decoder reads “{piece}”, the piece it emitted at step {before}, and its "
                "state h{sub_before}ᵈ; its GRU makes h{sub_step}ᵈ."
            ).format(step=t + 1, sub_step=sub(t + 1), before=t, sub_before=sub(t), piece=literal(piece))
        )
    st.latex(explain.lecture_hidden_formula(trace, t))
    previous = trace.latent if t == 0 else trace.hidden[t - 1]
    strips([(f"h{sub(t)}ᵈ", previous), (f"h{sub(t + 1)}ᵈ", trace.hidden[t])], key=f"lec-read-{t}")
    check(
        _("h{sub_step}ᵈ recomputed with the model's own GRU cell").format(sub_step=sub(t + 1)),
        float(np.abs(explain.gru_recompute(trace, model, t) - trace.hidden[t]).max()),
    )


def stage_scores(trace: Trace, t: int) -> None:
    if trace.attention == "none":
        no_attention()
        return
    if trace.attention == "dot":
        st.markdown(
            _(
                "As in the lecture, this model scores with the dot product of h{sub_step}ᵈ and each hᵢᵉ."
            ).format(sub_step=sub(t + 1))
        )
    else:
        st.markdown(
            _("The lecture scores with the dot product; this model does not. It uses {explanation}").format(
                explanation=explain.score_words(trace)
            )
        )
    st.latex(explain.lecture_score_definition(trace, t))
    st.latex(explain.lecture_score_formula(trace, t))
    bars(plots.score_chart(trace, t), f"lec-scores-{t}", trace.source_pieces, _("score"), trace.scores[t])


def stage_softmax(trace: Trace, t: int) -> None:
    if trace.attention == "none":
        no_attention()
        return
    st.markdown(_("The softmax makes the scores positive weights αᵢ that sum to 1."))
    st.latex(explain.softmax_formula(trace, t))
    bars(plots.weight_chart(trace, t), f"lec-weights-{t}", trace.source_pieces, _("weight"), trace.weights[t])
    lecture = ", ".join(f"{w:g}" for w in explain.LECTURE_WEIGHTS)
    real = ", ".join(f"{w:.4f}" for w in explain.softmax(np.array(explain.LECTURE_SCORES)))
    st.info(
        _(
            "The lecture's example gives the scores (7, 1, -1, -2) the weights ({lecture}); their real "
            "softmax is ({real}). The Sandbox of the Step page computes both."
        ).format(lecture=lecture, real=real)
    )
    st.page_link("pages/step.py", label=_("Open the Sandbox (Step through)"), icon=":material/calculate:")


def stage_context(trace: Trace, t: int) -> None:
    if trace.attention == "none":
        no_attention()
        return
    st.markdown(
        _(
            "Each encoder state hᵢᵉ is scaled by its weight and the results are added: the context "
            "vector c{sub_step}. (The lecture's slide writes h₁ᵈ in this sum by a slip: it is the encoder "
            "states hᵢᵉ that are summed.)"
        ).format(sub_step=sub(t + 1))
    )
    st.latex(explain.lecture_context_formula(trace, t))
    strips(explain.context_terms(trace, t), key=f"lec-context-{t}")
    check(
        _("c{sub_step} recomputed as Σ αᵢ hᵢᵉ from the weights and the encoder states").format(
            sub_step=sub(t + 1)
        ),
        float(np.abs(trace.weights[t] @ trace.encoder_states - trace.context[t]).max()),
    )


def stage_concat(trace: Trace, t: int) -> None:
    if trace.attention == "none":
        st.markdown(_("Without attention the context c{sub_step} is h₀ᵈ itself.").format(sub_step=sub(t + 1)))
    st.markdown(
        _(
            "The context and the decoder state are put end to end, [c{sub_step}; h{sub_step}ᵈ] ({H2} "
            "numbers), and a learned matrix W_c with tanh makes the attentional vector h̃{sub_step} ({H} "
            "numbers)."
        ).format(sub_step=sub(t + 1), H=trace.hidden.shape[1], H2=2 * trace.hidden.shape[1])
    )
    st.latex(explain.lecture_output_formula(trace, t))
    rows = [
        (f"c{sub(t + 1)}", trace.context[t]),
        (f"h{sub(t + 1)}ᵈ", trace.hidden[t]),
        (f"h̃{sub(t + 1)} = tanh(W_c[c; hᵈ] + b_c)", trace.attentional[t]),
    ]
    strips(rows, key=f"lec-concat-{t}")
    check(
        _("h̃{sub_step} recomputed with the model's own W_c").format(sub_step=sub(t + 1)),
        float(np.abs(explain.attentional_recompute(trace, model, t) - trace.attentional[t]).max()),
    )


def stage_next(trace: Trace, t: int) -> None:
    st.markdown(
        _(
            "W_out turns h̃{sub_step} into one score per piece of the vocabulary ({V} pieces) and a softmax "
            "makes them probabilities. The model emits “{piece}”."
        ).format(sub_step=sub(t + 1), V=model.config.tgt_vocab, piece=literal(trace.target_pieces[t]))
    )
    bars(
        plots.topk_chart(trace, t),
        f"lec-topk-{t}",
        trace.topk_pieces[t],
        _("probability"),
        trace.topk_probs[t],
    )
    top = explain.vocab_recompute(trace, model, t)
    k = len(trace.topk_probs[t])
    check(
        _("The top probabilities recomputed with the model's own W_out and b"),
        float(np.abs(np.sort(top)[::-1][:k] - trace.topk_probs[t]).max()),
    )


def stage_step(trace: Trace, t: int) -> None:
    T = trace.num_steps
    if t + 1 >= T:
        if trace.finished:
            st.markdown(_("“</s>” ends the sentence: the translation is complete."))
        else:
            st.markdown(_("Decoding stopped at the model's length limit before “</s>”."))
        st.code(trace.translation or _("(empty)"), language=None, wrap_lines=True)
        return
    piece = literal(trace.target_pieces[t])
    if beam == 1:
        st.markdown(
            _(
                "Greedy decoding: at step {next} the decoder reads “{piece}”, the most probable piece it "
                "just emitted, and stages 3 to 9 repeat with h{sub_next}ᵈ."
            ).format(next=t + 2, sub_next=sub(t + 2), piece=piece)
        )
    else:
        best = trace.topk_pieces[t][0] == trace.target_pieces[t]
        st.markdown(
            (
                _(
                    "Beam search (beam {k}) keeps several hypotheses; this walk-through follows the best "
                    "finished one. At step {next} it reads “{piece}”, that hypothesis's piece of step "
                    "{step}, which is also the most probable piece there."
                )
                if best
                else _(
                    "Beam search (beam {k}) keeps several hypotheses; this walk-through follows the best "
                    "finished one. At step {next} it reads “{piece}”, that hypothesis's piece of step "
                    "{step} - not the most probable piece there: greedy decoding would have taken another."
                )
            ).format(k=beam, next=t + 2, step=t + 1, piece=piece)
        )


DRAW = (
    stage_encoder,
    stage_bridge,
    stage_read,
    stage_scores,
    stage_softmax,
    stage_context,
    stage_concat,
    stage_next,
    stage_step,
)


def heading(stage: int) -> None:
    st.subheader(f"{stage}. {_(STAGES[stage - 1])}")


text = sentence_input(bundle)
trace = trace_or_message(bundle, text, beam)
if trace is None:
    st.stop()
T = trace.num_steps
state = st.session_state
if state.get("lecture_for") != (text, bundle.name, beam):
    first = "lecture_for" not in state  # only a link's own values (the session's first) are said to be odd
    state.lecture_stage = url_int("stage", 1, 1, N_STAGES) if first else 1
    state.lecture_step = min(url_int("step", 1, 1, T if first else 999_999), T)
    state.lecture_for = (text, bundle.name, beam)
if "lecture_all" not in state:
    state.lecture_all = url_flag("all")


def move(delta: int) -> None:
    """One stage on or back; past stage 9 comes stage 3 of the next step, before stage 3 stage 9 of the
    step before (stages 1 and 2 happen once, before step 1)."""
    stage, step = state.lecture_stage + delta, state.lecture_step
    if stage > N_STAGES and step < T:
        stage, step = 3, step + 1
    elif stage < 3 and step > 1:
        stage, step = N_STAGES, step - 1
    state.lecture_stage = min(max(stage, 1), N_STAGES)
    state.lecture_step = step


def at_start() -> bool:
    return state.lecture_stage <= 1 and state.lecture_step <= 1


def at_end() -> bool:
    return state.lecture_stage >= N_STAGES and state.lecture_step >= T


# One compact row of controls, so that at a projector's 1024x768 the stage itself is on the first screen.
c1, c2, c3 = st.columns([1, 4, 1], vertical_alignment="center")
c1.button(_("◀ Previous"), on_click=move, args=(-1,), disabled=at_start(), shortcut="Left", key="lec_prev")
c3.button(_("Next ▶"), on_click=move, args=(1,), disabled=at_end(), shortcut="Right", key="lec_next")
stage, t = state.lecture_stage, state.lecture_step - 1
# Progress through the whole walk: stages 1-2 once, then 7 stages per step.
done = (stage if t == 0 else 2 + 7 * t + stage - 2) / (2 + 7 * T)
c2.progress(
    min(done, 1.0),
    text=_("Stage {stage} of {stages}, decoder step {step} of {steps}").format(
        stage=stage, stages=N_STAGES, step=t + 1, steps=T
    ),
)
st.caption(md(_("Translation: {translation}"), translation=trace.translation or _("(empty)")))
show_all = state.lecture_all
st.query_params["stage"] = str(stage)
st.query_params["step"] = str(t + 1)
if show_all:
    st.query_params["all"] = "1"
else:
    st.query_params.pop("all", None)
if show_all:
    st.caption(md(_("Step {step}: emits “{piece}”."), step=t + 1, piece=trace.target_pieces[t]))
    for s in range(1 if t == 0 else 3, N_STAGES + 1):
        heading(s)
        DRAW[s - 1](trace, t)
else:
    heading(stage)
    DRAW[stage - 1](trace, t)
st.divider()
st.toggle(_("All stages of this step at once"), key="lecture_all", help=_("The link keeps it: all=1."))
st.caption(
    _(
        "The lecture's order, with this model's own numbers. Notation: hᵢᵉ are the encoder states (hᵢ on "
        "the other pages), hₜᵈ the decoder states (sₜ on the other pages), h₀ᵈ the decoder's first state "
        "(s₀), {start} the piece the decoder reads first."
    ).format(start=literal(explain.START))
)
