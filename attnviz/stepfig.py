"""One decoder step on one screen, as the lecture draws it, with the model's own numbers (no Streamlit here).

Left, over the source pieces: the encoder states h_i as a row of boxes (each box a column of the first
few dimensions, coloured by value), the score of the decoder state against each of them, and the softmax
weights. Right: the decoder state s_t, the context c_t = sum_i a_i h_i, the concatenation [c_t; s_t], the
attentional vector tanh(W_c [c_t; s_t]) and the most probable next pieces. A model without attention has
no scores and no weights: its context is the fixed latent vector s_0, drawn as such.

Every number comes from the Trace: step_figure(trace, t) for one step, animated_figure(trace) for all of
them as plotly frames (plotly's own play, pause and speed buttons and a step slider, so that it also plays
as a file saved from the page, with no server). The hover shows every drawn number.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from attnviz.figstyle import (
    BLUE,
    FONT,
    GREY,
    ORANGE,
    TITLE_FONT,
    UPRIGHT,
    VERMILLION,
    WIDE_WIDTH,
    axis_title,
    escape,
    label_axis,
    readable,
    text_width,
)
from attnviz.i18n import _
from attnviz.trace import Trace

DIMS = 8  # dimensions of each vector drawn (the first ones); the hover says each number
HEIGHT = 540  # px: one step; with the animation's controls under it (CONTROLS) it fits a 1024x768 projector
# px the source axis has at a projector's 1024x768: the left panel's share of a full-width chart.
SOURCE_WIDTH = 0.58 * WIDE_WIDTH
LEFT, RIGHT = (0.0, 0.58), (0.7, 1.0)  # the two panels' shares of the width


def shown_dims(trace: Trace) -> int:
    """How many dimensions of each vector are drawn: the first DIMS, or all where there are fewer."""
    return min(DIMS, trace.encoder_states.shape[1])


def has_attention(trace: Trace) -> bool:
    return trace.weights.shape[1] > 0


def score_label(trace: Trace, t: int) -> str:
    """What the score is for this model's scoring function, at step t (1-based in the text), as plotly's
    little HTML: the same formulas as explain.score_definition."""
    s, h = f"s<sub>{t + 1}</sub>", "h<sub>i</sub>"
    H = trace.encoder_states.shape[1]
    return {
        "dot": f"{s}·{h}",
        "scaled_dot": f"{s}·{h} / √{H}",
        "general": f"{s}·(W {h})",
        "concat": f"v·tanh(W<sub>s</sub> {s} + W<sub>h</sub> {h} + b)",
    }.get(trace.attention, "")


def context_label(trace: Trace, t: int, shown: int = 2) -> str:
    """c_t as its biggest terms, a_i h_i, with the model's weights: "c3 = 0.91·h2 + 0.05·h4 + …"."""
    c = f"c<sub>{t + 1}</sub>"
    if not has_attention(trace):
        return _("{c} = s<sub>0</sub> (fixed, no attention)").format(c=c)
    weights = trace.weights[t]
    order = np.argsort(-weights)[:shown]
    terms = " + ".join(f"{weights[i]:.2f}·h<sub>{i + 1}</sub>" for i in order)
    more = " + …" if len(weights) > shown else ""
    return f"{c} = {terms}{more}"


def vector_columns(trace: Trace, t: int) -> tuple[list[str], np.ndarray]:
    """The right panel's vectors as columns of the first D dimensions: s_t, c_t, [c_t; s_t] (2D rows,
    the context's first D dimensions over the state's) and tanh(W_c [c_t; s_t]). Returns the column
    labels and the (2D, 4) numbers, NaN below the D rows of a plain vector."""
    D = shown_dims(trace)
    z = np.full((2 * D, 4), np.nan)
    z[:D, 0] = trace.hidden[t][:D]
    z[:D, 1] = trace.context[t][:D]
    z[:D, 2] = trace.context[t][:D]
    z[D:, 2] = trace.hidden[t][:D]
    z[:D, 3] = trace.attentional[t][:D]
    step = t + 1
    labels = [f"s<sub>{step}</sub>", f"c<sub>{step}</sub>", f"[c<sub>{step}</sub>; s<sub>{step}</sub>]", "h̃"]
    return labels, z


def _bound(trace: Trace) -> float:
    """One colour scale for every vector of the sentence, so that colours compare across boxes and steps."""
    D = shown_dims(trace)
    parts = [trace.encoder_states[:, :D], trace.hidden[:, :D], trace.context[:, :D], trace.attentional[:, :D]]
    return float(max(np.abs(p).max() if p.size else 0.0 for p in parts)) or 1.0


def _step_traces(trace: Trace, t: int) -> list[go.BaseTraceType]:
    """The figure's data at step t, always in the same order (frames replace them one for one)."""
    D = shown_dims(trace)
    S = len(trace.source_pieces)
    pieces = escape(trace.source_pieces)
    bound = _bound(trace)
    heat = {"colorscale": "RdBu", "zmid": 0.0, "zmin": -bound, "zmax": bound}
    box_hover = np.array(
        [[f"h<sub>{i + 1}</sub> ({pieces[i]})" for i in range(S)] for _d in range(D)], dtype=object
    )
    data: list[go.BaseTraceType] = [
        go.Heatmap(
            z=trace.encoder_states[:, :D].T,
            x=list(range(S)),
            y=list(range(D)),
            xgap=3,
            customdata=box_hover,
            hovertemplate=_("%{customdata}<br>dim %{y}: %{z:.4f}") + "<extra></extra>",
            showscale=False,
            meta="encoder",
            xaxis="x",
            yaxis="y",
            **heat,
        )
    ]
    if has_attention(trace):
        chosen = int(np.argmax(trace.weights[t]))
        data.append(
            go.Bar(
                x=list(range(S)),
                y=trace.scores[t],
                marker_color=BLUE,
                customdata=pieces,
                hovertemplate="%{customdata}: %{y:.4g}<extra>" + _("score") + "</extra>",
                meta="scores",
                xaxis="x2",
                yaxis="y2",
            )
        )
        data.append(
            go.Bar(
                x=list(range(S)),
                y=trace.weights[t],
                marker_color=[VERMILLION if i == chosen else ORANGE for i in range(S)],
                customdata=pieces,
                hovertemplate="%{customdata}: %{y:.4f}<extra>" + _("weight") + "</extra>",
                meta="weights",
                xaxis="x3",
                yaxis="y3",
            )
        )
    labels, z = vector_columns(trace, t)
    data.append(
        go.Heatmap(
            z=z,
            x=list(range(4)),
            y=list(range(2 * D)),
            xgap=6,
            customdata=np.array([labels] * (2 * D), dtype=object),
            hovertemplate=_("%{customdata}<br>dim %{y}: %{z:.4f}") + "<extra></extra>",
            showscale=True,
            colorbar={"thickness": 10, "len": 0.34, "y": 0.73, "x": 1.02, "tickfont": {"size": FONT}},
            meta="vectors",
            xaxis="x4",
            yaxis="y4",
            **heat,
        )
    )
    top, probs = list(trace.topk_pieces[t]), trace.topk_probs[t]
    emitted = trace.target_pieces[t]
    data.append(
        go.Bar(
            y=list(range(len(top))),
            x=probs,
            orientation="h",
            marker_color=[VERMILLION if p == emitted else BLUE for p in top],
            text=[f"{q:.2f}" for q in probs],
            textposition="outside",
            cliponaxis=False,
            customdata=escape(top),
            hovertemplate="%{customdata}: %{x:.4f}<extra></extra>",
            meta="topk",
            xaxis="x5",
            yaxis="y5",
        )
    )
    return data


def _step_layout(trace: Trace, t: int) -> dict:
    """What changes in the layout from step to step: the panel titles and the next pieces' labels."""
    D = shown_dims(trace)
    H = trace.encoder_states.shape[1]
    step = t + 1
    top = list(trace.topk_pieces[t])
    bottom_left = 0.0 if has_attention(trace) else 0.55
    titles = [
        (
            LEFT,
            1.0,
            _("Encoder states h<sub>i</sub> (first {D} of {H} dimensions)").format(D=D, H=H),
        ),
        (
            RIGHT,
            0.905,
            _("Decoder state s, context c, [c; s]<br>and h̃ = tanh(W<sub>c</sub>[c; s] + b<sub>c</sub>)"),
        ),
        (RIGHT, 0.37, _("Next piece p(y<sub>{step}</sub>)").format(step=step)),
    ]
    if has_attention(trace):
        titles += [
            (LEFT, 0.665, _("Scores: score<sub>i</sub> = {score}").format(score=score_label(trace, t))),
            (
                LEFT,
                0.33,
                _("Softmax: weights a<sub>i</sub>; {context}").format(context=context_label(trace, t)),
            ),
        ]
    else:
        titles.append((LEFT, 0.45, context_label(trace, t)))
    annotations = [
        {
            "text": text,
            "x": domain[0],
            "y": y,
            "xref": "paper",
            "yref": "paper",
            "xanchor": "left",
            "yanchor": "bottom",
            "showarrow": False,
            "font": {"size": FONT},
        }
        for domain, y, text in titles
    ]
    if not has_attention(trace):
        annotations.append(
            {
                "text": _(
                    "This model has no attention: no scores, no softmax.<br>Its context is the same fixed "
                    "latent vector s<sub>0</sub><br>at every step - the bottleneck attention removes."
                ),
                "x": LEFT[0],
                "y": 0.4,
                "xref": "paper",
                "yref": "paper",
                "xanchor": "left",
                "yanchor": "top",
                "align": "left",
                "showarrow": False,
                "font": {"size": FONT, "color": GREY},
            }
        )
    return {
        "title": {
            "text": _("Step {step} of {steps}: emits “{piece}”").format(
                step=step, steps=trace.num_steps, piece=escape([trace.target_pieces[t]])[0]
            ),
            "font": {"size": TITLE_FONT},
            "x": 0.0,
            "xanchor": "left",
        },
        "annotations": annotations,
        "yaxis5": {
            "domain": [0.0, 0.33],
            "tickmode": "array",
            "tickvals": list(range(len(top))),
            "ticktext": escape(top),
            "autorange": "reversed",
            "automargin": True,
            "anchor": "x5",
        },
        "yaxis": {
            "domain": [0.73 if has_attention(trace) else bottom_left + 0.22, 0.98],
            "showticklabels": False,
            "autorange": "reversed",
            "anchor": "x",
        },
    }


def _source_ticks(trace: Trace) -> dict:
    axis = label_axis(trace.source_pieces, SOURCE_WIDTH)
    return {**axis, "title": {"text": axis_title("", axis, len(trace.source_pieces))}}


def _base_layout(trace: Trace) -> dict:
    """The layout every step shares: the panels' places and the source axis."""
    D = shown_dims(trace)
    S = len(trace.source_pieces)
    source = _source_ticks(trace)
    plain = {"showticklabels": False, "range": [-0.5, S - 0.5]}
    # Upright source labels take their length below the lowest panel.
    below = max((text_width(p) for p in trace.source_pieces), default=0.0) if source["tickangle"] else UPRIGHT
    layout: dict = {
        "height": HEIGHT,
        "margin": {"l": 50, "r": 40, "t": 50, "b": int(30 + below)},
        "showlegend": False,
        "bargap": 0.15,
        "xaxis": {"domain": list(LEFT), "anchor": "y", **plain},
        "xaxis4": {
            "domain": list(RIGHT),
            "anchor": "y4",
            "tickmode": "array",
            "tickvals": list(range(4)),
            "ticktext": ["s", "c", "[c; s]", "h̃"],
            "tickfont": {"size": FONT},
            "side": "bottom",
        },
        "yaxis4": {
            "domain": [0.56, 0.9],
            "anchor": "x4",
            "autorange": "reversed",
            "tickmode": "array",
            "tickvals": [0, D - 1, D, 2 * D - 1],
            "ticktext": ["1", str(D), "1", str(D)],
            "title": {"text": _("dim")},
        },
        "xaxis5": {"domain": list(RIGHT), "anchor": "y5", "range": [0, 1.3], "showticklabels": False},
    }
    if has_attention(trace):
        layout["xaxis2"] = {"domain": list(LEFT), "anchor": "y2", "matches": "x", **plain}
        layout["yaxis2"] = {"domain": [0.4, 0.65], "anchor": "x2", "zeroline": True, "nticks": 4}
        layout["xaxis3"] = {"domain": list(LEFT), "anchor": "y3", "matches": "x", **source}
        layout["yaxis3"] = {"domain": [0.0, 0.31], "anchor": "x3", "range": [0, 1.05], "nticks": 3}
    else:
        layout["xaxis"] = {"domain": list(LEFT), "anchor": "y", **source, "range": [-0.5, S - 0.5]}
    return layout


def step_figure(trace: Trace, t: int) -> go.Figure:
    """Decoder step t (0-based) on one screen, every number the Trace's own."""
    fig = go.Figure(data=_step_traces(trace, t))
    fig.update_layout(**_base_layout(trace))
    fig.update_layout(**_step_layout(trace, t))
    return readable(fig)


SPEEDS = (0.5, 1.0, 2.0)  # seconds per step of the animation's play buttons
CONTROLS = 140  # px under the figure for the animation's buttons and slider


def animated_figure(trace: Trace, start: int = 0) -> go.Figure:
    """Every step as a plotly frame (frame k is step_figure(trace, k)'s data and titles), opened at step
    `start`, with play buttons at several speeds, a pause button and a slider over the steps: the
    animation runs in the browser, also from a saved HTML file."""
    fig = step_figure(trace, start)
    names = [str(k + 1) for k in range(trace.num_steps)]
    fig.frames = [
        go.Frame(data=_step_traces(trace, k), layout=_step_layout(trace, k), name=name)
        for k, name in enumerate(names)
    ]

    def play(seconds: float) -> dict:  # from the step shown on ("fromcurrent"), not from step 1
        ms = int(seconds * 1000)
        return {
            "label": _("▶ {seconds:g} s per step").format(seconds=seconds),
            "method": "animate",
            "args": [
                None,
                {
                    "frame": {"duration": ms, "redraw": True},
                    "transition": {"duration": 0},
                    "fromcurrent": True,
                },
            ],
        }

    pause = {
        "label": _("‖ Pause"),
        "method": "animate",
        "args": [[None], {"mode": "immediate", "frame": {"duration": 0, "redraw": False}}],
    }
    # Below the figure's own x labels: a row of buttons, then the slider across the whole width, placed
    # in pixels (paper coordinates are fractions of the plot area's height).
    margin = fig.layout.margin
    area = HEIGHT - margin.t - margin.b
    fig.update_layout(
        height=HEIGHT + CONTROLS,
        margin={**margin.to_plotly_json(), "b": margin.b + CONTROLS},
        updatemenus=[
            {
                "type": "buttons",
                "direction": "right",
                "buttons": [play(s) for s in SPEEDS] + [pause],
                "x": 0.0,
                "y": -(margin.b + 6) / area,
                "xanchor": "left",
                "yanchor": "top",
                "pad": {"t": 0},
            }
        ],
        sliders=[
            {
                "active": start,
                "currentvalue": {"prefix": _("Decoder step") + " "},
                "x": 0.0,
                "len": 1.0,
                "y": -(margin.b + 46) / area,
                "yanchor": "top",
                "steps": [
                    {
                        "label": name,
                        "method": "animate",
                        "args": [[name], {"mode": "immediate", "frame": {"duration": 0, "redraw": True}}],
                    }
                    for name in names
                ],
            }
        ],
    )
    return fig
