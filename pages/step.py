"""Step through: one decoder step at a time, every number the model's own; and a softmax sandbox."""

import numpy as np
import pandas as pd
import streamlit as st

from attnviz import explain, plots, stepfig
from attnviz.trace import Trace
from pages.lang import _
from pages.layout import chart
from pages.params import url_choice, url_float, url_int
from pages.player import player
from pages.text import literal
from pages.whatif import what_if
from pages.widgets import sentence_input, sidebar, trace_or_message


def _temperature(name: str) -> float:
    """A temperature from the URL, on the sliders' grid (0.1 to 5 in steps of 0.1); 1 when odd."""
    return round(url_float(name, 1.0, 0.1, 5.0), 1)


bundle, beam = sidebar()
st.title(_("Step through"))
if bundle is None:
    st.stop()

walk, whatif, sandbox = st.tabs([_("Decoder steps"), _("What if"), _("Sandbox")])


def table(labels: list[str], columns: dict[str, np.ndarray]) -> None:
    """The "show as table" fallback: the same numbers as the chart above it (columns: header to numbers)."""
    with st.expander(_("Show as table")):
        st.dataframe(pd.DataFrame({_("piece"): labels, **columns}), hide_index=True)


def strips(rows: list[tuple[str, np.ndarray]], key: str, folded: bool = True) -> None:
    """Vectors as colour strips, and below them the same numbers as a table (a column per vector);
    folded=False shows the table without an expander of its own (expanders do not nest)."""
    chart(plots.vector_strips(rows), key=key)
    frame = pd.DataFrame({label: vector for label, vector in rows}).rename_axis(_("dimension"))
    if folded:
        with st.expander(_("Show as table")):
            st.dataframe(frame)
    else:
        st.dataframe(frame)


def draw_hidden(trace: Trace, t: int) -> None:
    """1. The decoder's new hidden state."""
    st.markdown(
        _(
            "**1. Decoder hidden state** - the GRU reads its last state and the embedding e(·) of the "
            "previous piece."
        )
    )
    st.latex(explain.hidden_formula(trace, t))
    strips([(f"s_{t + 1}", trace.hidden[t])], key=f"hidden{t}")


def draw_scores(trace: Trace, t: int) -> None:
    """2. The scores of every encoder state, and every number they are computed from."""
    st.markdown(_("**2. Scores** - {explanation}").format(explanation=explain.score_words(trace)))
    st.latex(explain.score_definition(trace, t))
    st.latex(explain.score_formula(trace, t))
    chart(plots.score_chart(trace, t), key=f"scores{t}")
    table(list(trace.source_pieces), {_("score"): trace.scores[t]})
    with st.expander(_("Every number behind these scores")):
        st.caption(explain.score_reading(trace))
        for g, (title, rows) in enumerate(explain.score_inputs(trace, t)):
            st.markdown(f"*{title}*")
            strips(rows, key=f"scoreinputs{t}-{g}", folded=False)


def what_if_temperature(t: int) -> float:
    """The what-if temperature slider of step t, kept in the URL while it is not 1."""
    if f"temp{t}" not in st.session_state:  # a what-if carries over to the next step, and the URL
        st.session_state[f"temp{t}"] = _temperature("temp")
    temperature = st.slider(
        _("What-if temperature (not the model's output)"),
        0.1,
        5.0,
        step=0.1,
        key=f"temp{t}",
        help=_("softmax(scores / temperature): below 1 sharpens, above 1 flattens. The model uses 1."),
    )
    if temperature == 1.0:
        st.query_params.pop("temp", None)
    else:
        st.query_params["temp"] = f"{temperature:g}"
    return temperature


def draw_softmax(trace: Trace, t: int) -> None:
    """3. The weights, and beside them the weights a what-if temperature would give."""
    st.markdown(_("**3. Softmax** - scores become weights that are positive and sum to 1."))
    st.latex(explain.softmax_formula(trace, t))
    temperature = what_if_temperature(t)
    what_if = None if temperature == 1.0 else explain.softmax(trace.scores[t], temperature)
    chart(plots.weight_chart(trace, t, what_if, temperature), key=f"weights{t}")
    columns = {_("weight"): trace.weights[t]}
    if what_if is not None:
        columns[_("what-if weight")] = what_if
    table(list(trace.source_pieces), columns)


def draw_context(trace: Trace, t: int) -> None:
    """4. The context vector, as the weighted sum of the encoder states."""
    st.markdown(_("**4. Context vector** - the encoder states, each scaled by its weight, summed."))
    st.latex(explain.context_formula(trace, t))
    strips(explain.context_terms(trace, t), key=f"context{t}")


def draw_output(trace: Trace, t: int, tied: bool) -> None:
    """5. The attentional vector and the distribution over the next piece; tied: W_out is the target
    embedding matrix."""
    st.markdown(_("**5. Concatenate, tanh, and the distribution over the next piece.**"))
    st.latex(explain.output_formula(trace, t))
    if tied:
        st.caption(
            _(
                "In this model W_out is the target embedding matrix itself (tied): a piece's score is the "
                "dot product of the attentional vector with that piece's own embedding, plus its bias."
            )
        )
    strips(explain.attentional_rows(trace, t), key=f"concat{t}")
    chart(plots.topk_chart(trace, t), key=f"topk{t}")
    table(list(trace.topk_pieces[t]), {_("probability"): trace.topk_probs[t]})


def draw_step(trace: Trace, t: int) -> None:
    """Decoder step t (0-based) in its five numbered parts; a model without attention skips 2 to 4."""
    st.subheader(
        _("Step {step} of {steps}: emits “{piece}”").format(
            step=t + 1, steps=trace.num_steps, piece=literal(trace.target_pieces[t])
        )
    )
    draw_hidden(trace, t)
    if trace.weights.shape[1] == 0:
        st.info(
            _(
                "This model has no attention: instead of a weighted sum of encoder states, its context is "
                "the same fixed latent vector s_0 at every step - the bottleneck attention removes."
            )
        )
    else:
        draw_scores(trace, t)
        draw_softmax(trace, t)
        draw_context(trace, t)
    draw_output(trace, t, bundle.config.tie_output)


def onescreen(trace: Trace, T: int, seconds: float) -> None:
    """The whole walk as one figure, as the lecture draws a step (attnviz/stepfig.py), with every step as
    a plotly frame: play, pause, speed and the step slider run in the browser, the keyboard and the URL
    (step=, speed=) are pages/player.py's."""
    state = st.session_state
    speed = min(stepfig.SPEEDS, key=lambda s: abs(s - seconds))  # the nearest of the figure's speeds
    st.query_params["step"] = str(state.step)
    st.query_params["speed"] = f"{speed:g}"
    chart(stepfig.animated_figure(trace, state.step - 1), key="stepfig")

    def settled(step: int, seconds: float | None) -> None:
        state.step = min(max(step, 1), T)
        if seconds is not None:
            state.onescreen_speed = seconds

    player("stepfig", state.step, settled, stepfig.SPEEDS, speed, label=_("Decoder step"), scroll=True)
    st.caption(
        _(
            "Keys: Left/Right a step back/on, Home/End the first/last step, Space plays or pauses (Tab "
            "reaches the figure's buttons and slider too). Hover over a box or bar for its number. Boxes "
            "show the first {D} of {H} dimensions; the colours of every vector share one scale. Turn “One "
            "screen” off for every number of the step."
        ).format(D=stepfig.shown_dims(trace), H=trace.encoder_states.shape[1])
    )
    st.download_button(
        _("Download the animation (HTML: plays in a browser, offline)"),
        data=lambda: stepfig.animated_figure(trace, state.step - 1).to_html(include_plotlyjs=True),
        file_name="attnviz-steps.html",
        mime="text/html",
        on_click="ignore",
    )


SECONDS_PER_STEP = (0.5, 1.0, 2.0, 3.0, 5.0)
VIEWS = ("long", "one")  # view= in the URL: every number step by step, or one screen


def step_view(trace: Trace, T: int) -> None:
    """The chosen step with its controls: a fragment, so that playback only redraws this part.

    While playing, the browser reruns this fragment every few seconds (st.fragment's run_every is a
    timer in the browser, not a sleep on the server). A tick moves one step on only once the step before
    it has been drawn to the end, so a slow server delays steps but never skips one; heading, slider and
    URL are all drawn from state.step, the one number of the current step.
    """
    state = st.session_state
    # A timer tick: the step shown has been drawn to the end (a whole-page run sets drawn to 0, so the
    # fragment's first run there is not a tick).
    if state.playing and state.drawn == state.step:
        state.step = min(state.step + 1, T)

    def move(delta: int) -> None:
        state.step = min(max(state.step + delta, 1), T)

    def slide(key: str) -> None:
        state.step = state[key]

    c1, c2 = st.columns(2)
    c1.button(
        _("◀ Previous"), on_click=move, args=(-1,), disabled=state.playing or state.step <= 1, shortcut="Left"
    )
    c2.button(
        _("Next ▶"), on_click=move, args=(1,), disabled=state.playing or state.step >= T, shortcut="Right"
    )
    if T > 1:
        # A slider of its own for each step: the browser echoes a slider's value back a moment after the
        # server moved it, and during playback that echo (the step before) would pull the step back.
        # The echo of a slider that is no longer drawn is ignored.
        key = f"step_slider_{state.step}"
        st.slider(
            _("Decoder step"),
            1,
            T,
            value=state.step,
            key=key,
            on_change=slide,
            args=(key,),
            disabled=state.playing,
        )
    st.query_params["step"] = str(state.step)  # before the step is drawn: the URL never lags it
    draw_step(trace, state.step - 1)
    state.drawn = state.step
    if state.playing and state.step >= T:  # the last step is drawn: stop the timer (a whole-page run)
        state.playing = False
        st.rerun(scope="app")


with walk:
    text = sentence_input(bundle)
    trace = trace_or_message(bundle, text, beam)
    if trace is not None:
        st.code(trace.translation or _("(empty)"), language=None)
        T = trace.num_steps
        state = st.session_state
        if state.get("step_for") != (text, bundle.name, beam):
            # The URL's step follows the slider, so after the sentence changes it may be past the new
            # sentence's last step: only a link's own step (the session's first) is said to be out of range.
            start = min(url_int("step", 1, 1, T if "step_for" not in state else 999_999), T)
            state.step_for = (text, bundle.name, beam)
            state.step = start
            state.playing = False
        state.setdefault("playing", False)
        if "onescreen" not in state:  # a link's view, once; then the switch's own state
            state.onescreen = url_choice("view", VIEWS, "long") == "one"
        one = st.toggle(
            _("One screen"),
            key="onescreen",
            help=_(
                "The whole step in one figure, as the lecture draws it: encoder states, scores, softmax, "
                "context, concatenation and the next pieces. The link keeps it: view=one."
            ),
        )
        if one:
            st.query_params["view"] = "one"
        else:
            st.query_params.pop("view", None)
        if not one:
            state.drawn = 0  # a whole-page run: nothing of the fragment is drawn yet

            def toggle_play() -> None:
                if not state.playing and state.step >= T:
                    state.step = 1  # play again from the start
                state.playing = not state.playing

            p1, p2 = st.columns([1, 2])
            p1.button(
                _("⏸ Pause") if state.playing else _("▶ Play all steps"),
                on_click=toggle_play,
                disabled=T <= 1,
            )
            speed = p2.select_slider(
                _("Seconds per step"),
                options=SECONDS_PER_STEP,
                value=url_choice("speed", SECONDS_PER_STEP, 1.0),
                key="speed",
            )
            st.query_params["speed"] = f"{speed:g}"
            st.fragment(step_view, run_every=speed if state.playing else None)(trace, T)
        else:
            state.playing = False
            speed = state.get("onescreen_speed") or url_choice("speed", SECONDS_PER_STEP, 1.0)
            onescreen(trace, T, speed)

with whatif:
    if trace is not None:
        what_if(bundle, trace, text, beam)

with sandbox:
    st.markdown(
        _("Type your own scores and see the softmax and the weighted sum. It opens on the lecture's example.")
    )
    if "sandbox_scores" not in st.session_state:
        st.session_state.sandbox_scores = st.query_params.get("scores", "7, 1, -1, -2")[:2000]
    raw = st.text_input(_("Scores, separated by commas"), key="sandbox_scores", max_chars=2000)
    st.query_params["scores"] = raw
    try:
        scores = explain.parse_scores(raw)
    except ValueError as err:
        scores = None
        st.warning(literal(err))
    if scores is not None:
        if "sandbox_temp" not in st.session_state:
            st.session_state.sandbox_temp = _temperature("stemp")
        temperature = st.slider(_("Temperature"), 0.1, 5.0, step=0.1, key="sandbox_temp")
        st.query_params["stemp"] = f"{temperature:g}"
        weights = explain.softmax(scores, temperature)
        st.latex(explain.sandbox_softmax_formula(scores, weights))
        if tuple(scores) == explain.LECTURE_SCORES and temperature == 1.0:
            lecture = ", ".join(f"{w:g}" for w in explain.LECTURE_WEIGHTS)
            st.info(
                _(
                    "The lecture gives these scores the weights ({lecture}). Those are not their softmax: "
                    "softmax(7, 1, -1, -2) is (0.997, 0.0025, 0.0003, 0.0001), as computed above - a score "
                    "6 higher than the next makes a weight about e⁶ ≈ 400 times larger. (The lecture's "
                    "context sum also writes h₁ᵈ, a decoder state, where h₁ᵉ, the first encoder state, is "
                    "meant: the context is a weighted sum of encoder states.)"
                ).format(lecture=lecture)
            )
        names = [f"h{i + 1}" for i in range(len(scores))]
        st.bar_chart(pd.DataFrame({_("weight"): weights}, index=names))
        st.markdown(_("Small encoder states (edit them): the context is the weighted sum of the rows."))
        default = pd.DataFrame(np.eye(len(scores), 3)[:, :3] + 0.0, index=names, columns=["d1", "d2", "d3"])
        states = st.data_editor(default, key=f"sandbox_states{len(scores)}")
        context = weights @ states.to_numpy(dtype=float)
        st.latex(explain.sandbox_context_formula(weights, context))
