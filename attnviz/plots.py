"""Pure plotly figures built from a Trace: arrays and labels in, a Figure out (no Streamlit here).

Axes use positions with tick text, never the piece strings as categories: plotly merges equal category
labels, and a sentence often repeats a piece ("the ... the").
"""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

from attnviz.trace import Trace

COLORSCALE = "Cividis"  # perceptually uniform and readable with red-green colour blindness


def escape(labels: tuple[str, ...] | list[str]) -> list[str]:
    """Plotly reads text as a little HTML ("</s>" would vanish as a closing tag): escape it."""
    return [html.escape(label, quote=False) for label in labels]


def alignment_heatmap(trace: Trace, *, mark_argmax: bool = False, title: str | None = None) -> go.Figure:
    """Attention weights: source pieces along the top, target pieces down the side."""
    weights = trace.weights  # (T, S)
    T, S = weights.shape
    src, tgt = escape(trace.source_pieces), escape(trace.target_pieces)
    hover = np.empty((T, S, 3), dtype=object)
    for t in range(T):
        for s in range(S):
            hover[t, s] = (src[s], tgt[t], t + 1)
    fig = go.Figure(
        go.Heatmap(
            z=weights,
            x=list(range(S)),
            y=list(range(T)),
            customdata=hover,
            hovertemplate=(
                "source: %{customdata[0]}<br>target: %{customdata[1]}<br>"
                "step: %{customdata[2]}<br>weight: %{z:.4f}<extra></extra>"
            ),
            colorscale=COLORSCALE,
            zmin=0.0,
            zmax=1.0,
            colorbar={"title": {"text": "weight"}},
        )
    )
    if mark_argmax and S:
        best = weights.argmax(axis=1)
        fig.add_trace(
            go.Scatter(
                x=best.tolist(),
                y=list(range(T)),
                mode="markers",
                marker={"symbol": "circle-open", "size": 14, "color": "#e8590c", "line": {"width": 2}},
                name="argmax",
                hoverinfo="skip",
                showlegend=False,
            )
        )
    cell = 28
    rotate = S > 12 and max((len(p) for p in src), default=0) > 2
    fig.update_layout(
        title=title,
        xaxis={
            "tickmode": "array",
            "tickvals": list(range(S)),
            "ticktext": src,
            "side": "top",
            "tickangle": -45 if rotate else 0,
            "title": {"text": "source"},
            "range": [-0.5, S - 0.5],
            "showgrid": False,
        },
        yaxis={
            "tickmode": "array",
            "tickvals": list(range(T)),
            "ticktext": tgt,
            "range": [T - 0.5, -0.5],  # first step at the top
            "title": {"text": "target"},
            "showgrid": False,
        },
        height=max(320, 140 + cell * T),
        margin={"l": 90, "r": 20, "t": 110, "b": 20},
        plot_bgcolor="rgba(0,0,0,0)",
    )
    return fig
