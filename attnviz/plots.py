"""Pure plotly figures built from a Trace: arrays and labels in, a Figure out (no Streamlit here).

Axes use positions with tick text, never the piece strings as categories: plotly merges equal category
labels, and a sentence often repeats a piece ("the ... the").
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

import numpy as np
import plotly.graph_objects as go

from attnviz.trace import Trace

COLORSCALE = "Cividis"  # perceptually uniform and readable with red-green colour blindness


def escape(labels: tuple[str, ...] | list[str]) -> list[str]:
    """Plotly reads text as a little HTML ("</s>" would vanish as a closing tag): escape it."""
    return [html.escape(label, quote=False) for label in labels]


def alignment_heatmap(
    trace: Trace,
    *,
    mark_argmax: bool = False,
    title: str | None = None,
    gold: Iterable[tuple[int, int]] | None = None,
    compact: bool = False,
) -> go.Figure:
    """Attention weights: source pieces along the top, target pieces down the side.

    gold: (t, s) links of a reference alignment, drawn as open squares.
    compact: for maps side by side (Compare): no colour bar (the scale is always 0 to 1, so the page
    says it once), no axis titles, source pieces written upright so narrow maps stay readable.
    """
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
            showscale=not compact,
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
    if gold is not None:
        links = sorted(gold)
        fig.add_trace(
            go.Scatter(
                x=[s for _, s in links],
                y=[t for t, _ in links],
                mode="markers",
                marker={"symbol": "square-open", "size": 22, "color": "#2b8a3e", "line": {"width": 2}},
                name="gold link",
                hoverinfo="skip",
                showlegend=False,
            )
        )
    cell = 28
    longest = max((len(p) for p in src), default=0)
    if compact:
        angle = -90 if S > 4 and longest > 2 else 0
    else:
        angle = -45 if S > 12 and longest > 2 else 0
    fig.update_layout(
        title=title,
        xaxis={
            "tickmode": "array",
            "tickvals": list(range(S)),
            "ticktext": src,
            "side": "top",
            "tickangle": angle,
            "title": {"text": "" if compact else "source"},
            "range": [-0.5, S - 0.5],
            "showgrid": False,
        },
        yaxis={
            "tickmode": "array",
            "tickvals": list(range(T)),
            "ticktext": tgt,
            "range": [T - 0.5, -0.5],  # first step at the top
            "title": {"text": "" if compact else "target"},
            "showgrid": False,
        },
        height=max(320, 140 + cell * T),
        margin={"l": 60 if compact else 90, "r": 10 if compact else 20, "t": 110, "b": 20},
        plot_bgcolor="rgba(0,0,0,0)",
    )
    return fig


def _bars(labels: list[str], values: np.ndarray, name: str, color: str, fmt: str) -> go.Bar:
    return go.Bar(
        x=list(range(len(labels))),
        y=values,
        name=name,
        marker_color=color,
        customdata=escape(labels),
        text=[format(float(v), fmt) for v in values],
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{customdata}: %{y:.4g}<extra>" + name + "</extra>",
    )


def _source_axis(fig: go.Figure, trace: Trace, yaxis: str, height: int = 300) -> go.Figure:
    S = len(trace.source_pieces)
    fig.update_layout(
        xaxis={"tickmode": "array", "tickvals": list(range(S)), "ticktext": escape(trace.source_pieces)},
        yaxis={"title": {"text": yaxis}, "zeroline": True},
        height=height,
        margin={"l": 60, "r": 20, "t": 40, "b": 40},
        barmode="group",
        legend={"orientation": "h", "y": 1.12},
    )
    return fig


def score_chart(trace: Trace, t: int) -> go.Figure:
    """Step t's raw scores s_t . h_i, one bar per source piece."""
    fig = go.Figure(_bars(list(trace.source_pieces), trace.scores[t], "score", "#3b6ea8", ".3g"))
    return _source_axis(fig, trace, "score s·h")


def weight_chart(
    trace: Trace, t: int, what_if: np.ndarray | None = None, temperature: float = 1.0
) -> go.Figure:
    """Step t's attention weights; with `what_if`, a second, hatched series for another temperature."""
    fig = go.Figure(_bars(list(trace.source_pieces), trace.weights[t], "weight (model)", "#e0a100", ".3f"))
    if what_if is not None:
        bars = _bars(
            list(trace.source_pieces), what_if, f"what-if, temperature {temperature:g}", "#8c8c8c", ".3f"
        )
        bars.marker.pattern = {"shape": "/"}
        fig.add_trace(bars)
    fig.update_yaxes(range=[0, 1.15])
    return _source_axis(fig, trace, "softmax weight")


def topk_chart(trace: Trace, t: int) -> go.Figure:
    """The most probable next pieces at step t, the emitted one marked."""
    pieces, probs = list(trace.topk_pieces[t]), trace.topk_probs[t]
    chosen = trace.target_pieces[t]
    colors = ["#e8590c" if p == chosen else "#3b6ea8" for p in pieces]
    fig = go.Figure(
        go.Bar(
            y=list(range(len(pieces))),
            x=probs,
            orientation="h",
            marker_color=colors,
            text=[f"{p:.3f}" for p in probs],
            textposition="outside",
            cliponaxis=False,
            customdata=escape(pieces),
            hovertemplate="%{customdata}: %{x:.4f}<extra></extra>",
        )
    )
    fig.update_layout(
        yaxis={
            "tickmode": "array",
            "tickvals": list(range(len(pieces))),
            "ticktext": escape(pieces),
            "autorange": "reversed",
        },
        xaxis={"title": {"text": "p(next piece)"}, "range": [0, 1.15]},
        height=60 + 26 * len(pieces),
        margin={"l": 90, "r": 20, "t": 20, "b": 40},
    )
    return fig


def vector_strips(rows: list[tuple[str, np.ndarray]], title: str | None = None) -> go.Figure:
    """Vectors as colour strips, one row each (e.g. weight_i * h_i rows and their sum, the context)."""
    labels = [label for label, _ in rows]
    z = np.stack([v for _, v in rows])  # (rows, H)
    bound = float(np.abs(z).max()) or 1.0
    fig = go.Figure(
        go.Heatmap(
            z=z,
            y=list(range(len(rows))),
            colorscale="RdBu",
            zmid=0.0,
            zmin=-bound,
            zmax=bound,
            customdata=np.repeat(np.array(escape(labels), dtype=object)[:, None], z.shape[1], axis=1),
            hovertemplate="%{customdata}<br>dim %{x}: %{z:.4f}<extra></extra>",
        )
    )
    fig.update_layout(
        title=title,
        yaxis={
            "tickmode": "array",
            "tickvals": list(range(len(rows))),
            "ticktext": escape(labels),
            "autorange": "reversed",
        },
        xaxis={"title": {"text": "dimension"}},
        height=80 + 34 * len(rows),
        margin={"l": 170, "r": 20, "t": 40 if title else 20, "b": 40},
    )
    return fig


def coverage_chart(trace: Trace, coverage: np.ndarray) -> go.Figure:
    """Total attention per source piece: pieces near 0 were never looked at, above 1 looked at often."""
    fig = go.Figure(_bars(list(trace.source_pieces), coverage, "coverage", "#3b6ea8", ".2f"))
    fig.add_hline(y=1.0, line_dash="dot", line_color="#888")
    return _source_axis(fig, trace, "total attention")


def entropy_chart(trace: Trace, entropy: np.ndarray) -> go.Figure:
    """Attention entropy per decoder step, in bits."""
    T = trace.num_steps
    fig = go.Figure(
        go.Bar(
            x=list(range(T)),
            y=entropy,
            marker_color="#6a4c93",
            customdata=escape(trace.target_pieces),
            hovertemplate="step %{x}: %{customdata}<br>%{y:.3f} bits<extra></extra>",
        )
    )
    fig.update_layout(
        xaxis={"tickmode": "array", "tickvals": list(range(T)), "ticktext": escape(trace.target_pieces)},
        yaxis={"title": {"text": "entropy (bits)"}},
        height=260,
        margin={"l": 60, "r": 20, "t": 20, "b": 40},
    )
    return fig


def bucket_chart(
    rows: list[tuple[str, str, float | None, int, list[float] | None]], min_n: int = 20
) -> go.Figure:
    """BLEU by source-length bucket, one series per model: rows of (model, bucket, bleu, n, ci), ci the
    bucket's 95% bootstrap interval [low, high] (None where metrics.json has none), drawn as error bars.

    Buckets with fewer than `min_n` test sentences are drawn faint: one sentence's BLEU says little.
    """
    fig = go.Figure()
    for model in dict.fromkeys(r[0] for r in rows):
        mine = [r for r in rows if r[0] == model]
        bleu = [v if v is not None else 0.0 for _, _, v, _, _ in mine]
        ci = [c or [v, v] for (*_, c), v in zip(mine, bleu, strict=True)]
        fig.add_trace(
            go.Bar(
                x=[f"{b} words (n={n})" for _, b, _, n, _ in mine],
                y=bleu,
                name=model,
                marker_opacity=[1.0 if n >= min_n else 0.35 for _, _, _, n, _ in mine],
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [high - v for (_, high), v in zip(ci, bleu, strict=True)],
                    "arrayminus": [v - low for (low, _), v in zip(ci, bleu, strict=True)],
                    "thickness": 1,
                    "width": 3,
                },
                customdata=[
                    [n, f"{c[0]:.2f} to {c[1]:.2f}" if c else "none (too few sentences)"]
                    for _, _, _, n, c in mine
                ],
                hovertemplate=model + "<br>%{x}: BLEU %{y:.2f}, 95% interval %{customdata[1]} "
                "(%{customdata[0]} sentences)<extra></extra>",
            )
        )
    fig.update_layout(
        barmode="group",
        yaxis={"title": {"text": "test BLEU (greedy)"}},
        height=360,
        margin={"l": 60, "r": 20, "t": 30, "b": 40},
        legend={"orientation": "h", "y": 1.1},
    )
    return fig


METRIC_LABELS = {"exact_match": "dev exact match (%)", "bleu": "dev BLEU"}


def training_chart(
    losses: Sequence[tuple[float, float]], dev: Sequence[tuple[float, float, float]], metric: str
) -> go.Figure:
    """Running training loss (a line) and dev loss after each epoch (diamonds) on the left axis, log
    scale, and the dev metric (higher is better) on the right. dev: (where the epoch ended, as a float
    epoch; dev loss; dev metric)."""
    label = METRIC_LABELS.get(metric, metric)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[e for e, _ in losses],
            y=[v for _, v in losses],
            mode="lines",
            name="training loss",
            line={"color": "#3b6ea8"},
            hovertemplate="epoch %{x:.2f}: loss %{y:.4f}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[e for e, _, _ in dev],
            y=[v for _, v, _ in dev],
            mode="markers",
            name="dev loss",
            marker={"color": "#3b6ea8", "symbol": "diamond", "size": 9},
            hovertemplate="epoch %{x}: dev loss %{y:.4f}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[e for e, _, _ in dev],
            y=[v for _, _, v in dev],
            mode="lines+markers",
            name=label,
            yaxis="y2",
            line={"color": "#e8590c"},
            hovertemplate="epoch %{x}: " + label + " %{y:.2f}<extra></extra>",
        )
    )
    # The right axis has its own ticks (an overlaying axis would otherwise copy the log axis's grid
    # positions: odd numbers like 0.909) and a fixed range, with room below 0 so a 0 stays in sight.
    top = 100.0 if metric == "exact_match" else max([1.0] + [1.1 * v for _, _, v in dev])
    fig.update_layout(
        xaxis={"title": {"text": "epoch"}, "rangemode": "tozero"},
        yaxis={"title": {"text": "loss (log scale)"}, "type": "log"},
        yaxis2={
            "title": {"text": label},
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "tickmode": "auto",
            "range": [-0.03 * top, 1.005 * top],
        },
        height=320,
        margin={"l": 60, "r": 60, "t": 30, "b": 40},
        legend={"orientation": "h", "y": 1.15},
    )
    return fig
