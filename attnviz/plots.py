"""Pure plotly figures built from a Trace (or a table of results): arrays and labels in, a Figure out (no
Streamlit here).

Axes use positions with tick text, never the piece strings as categories: plotly merges equal category
labels, and a sentence often repeats a piece ("the ... the"). Colours are Okabe & Ito's (2008), marks
differ by shape as well as colour, and type is at least 12 px.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from attnviz.checks import unknown_pieces
from attnviz.figstyle import (
    ARGMAX_MARK,
    BLACK,
    BLUE,
    COLORSCALE,
    COMPACT_WIDTH,
    FONT,
    GOLD_HALO,
    GOLD_MARK,
    GREEN,
    GREY,
    HALF_WIDTH,
    LINK_MARKS,
    MAP_WIDTH,
    ORANGE,
    PURPLE,
    SKY_BLUE,
    UPRIGHT,
    VERMILLION,
    WIDE_WIDTH,
    axis_title,
    escape,
    label_axis,
    label_height,
    readable,
    text_width,
)
from attnviz.i18n import N_, _
from attnviz.trace import Trace
from attnviz.words import WordMap


def _add_links(
    fig: go.Figure,
    links: Iterable[tuple[int, int]],
    markers: Sequence[tuple[dict, str]],
    group: str,
    legend: int,
    compact: bool,
) -> None:
    """(t, s) links as markers on a map, one trace per (marker, name), drawn in order; the legend shows
    markers[legend] once for the group (none on a compact map)."""
    links = sorted(links)
    for k, (marker, name) in enumerate(markers):
        fig.add_trace(
            go.Scatter(
                x=[s for _, s in links],
                y=[t for t, _ in links],
                mode="markers",
                marker=marker,
                name=name,
                legendgroup=group,
                hoverinfo="skip",
                showlegend=k == legend and not compact,
            )
        )


def weights_heatmap(
    weights: np.ndarray,
    source: Sequence[str],
    target: Sequence[str],
    *,
    source_hover: Sequence[str] | None = None,
    target_hover: Sequence[str] | None = None,
    mark_argmax: bool = False,
    title: str | None = None,
    gold: Iterable[tuple[int, int]] | None = None,
    compact: bool = False,
    unknown: Sequence[int] = (),
    width: float | None = None,
    methods: Sequence[tuple[str, Iterable[tuple[int, int]]]] = (),
) -> go.Figure:
    """An attention map from arrays: weights (T, S), `source` labels along the top, `target` down the side.

    source_hover, target_hover: what the hover names for each column and row (default: the labels).
    mark_argmax: a cross on each row's strongest link. gold: (t, s) links of a reference alignment,
    drawn as open squares. methods: (name, (t, s) links) of up to three methods, each drawn with a marker
    shape of its own (figstyle.LINK_MARKS). unknown: source positions outlined by a dashed box.
    compact: for maps side by side (Compare): no colour bar (the scale is always 0 to 1, so the page
    says it once), no axis titles, no legend.
    width: the plot width in px the source labels must fit in, upright or thinned where they do not
    (default: about the narrowest a map of this kind gets at 1024x768).
    """
    T, S = weights.shape  # (T, S)
    src_hover = escape(source if source_hover is None else source_hover)
    tgt_hover = escape(target if target_hover is None else target_hover)
    hover = np.empty((T, S, 2), dtype=object)
    for t in range(T):
        for s in range(S):
            hover[t, s] = (src_hover[s], tgt_hover[t])
    fig = go.Figure(
        go.Heatmap(
            z=weights,
            x=list(range(S)),
            y=list(range(T)),
            customdata=hover,
            hovertemplate=(
                _("source: %{customdata[0]}<br>target: %{customdata[1]}<br>weight: %{z:.4f}<extra></extra>")
            ),
            colorscale=COLORSCALE,
            zmin=0.0,
            zmax=1.0,
            colorbar={"title": {"text": _("weight")}},
            showscale=not compact,
        )
    )
    if mark_argmax and S:
        fig.add_trace(
            go.Scatter(
                x=weights.argmax(axis=1).tolist(),
                y=list(range(T)),
                mode="markers",
                marker=ARGMAX_MARK,
                name=_("argmax (each row's strongest link)"),
                legendgroup="argmax",
                hoverinfo="skip",
                showlegend=not compact,
            )
        )
    if gold is not None:
        _add_links(
            fig, gold, ((GOLD_HALO, _("gold link outline")), (GOLD_MARK, _("gold link"))), "gold", 1, compact
        )
    for (name, found), markers in zip(methods, LINK_MARKS, strict=False):
        # The dark outline (in the legend) first, the light mark over it.
        _add_links(fig, found, [(marker, name) for marker in markers], name, 0, compact)
    for s in unknown:
        # A dashed box, not a colour: it reads the same in every colour vision and on every theme.
        fig.add_shape(
            type="rect",
            x0=s - 0.5,
            x1=s + 0.5,
            y0=-0.5,
            y1=T - 0.5,
            layer="above",
            line={"color": "#c92a2a", "width": 2, "dash": "dash"},
            name=_("unknown piece"),
        )
    xaxis = label_axis(source, width or (COMPACT_WIDTH if compact else MAP_WIDTH))
    legend = not compact and any(trace.showlegend for trace in fig.data[1:])
    top = 30 + label_height(source, xaxis) + (0 if compact else 24) + (34 if title else 0)
    bottom = 50 if legend else 20
    cell = 28
    fig.update_layout(
        title=title,
        xaxis={
            **xaxis,
            "side": "top",
            "title": {"text": "" if compact else axis_title(_("source"), xaxis, S)},
            "range": [-0.5, S - 0.5],
            "showgrid": False,
        },
        yaxis={
            "tickmode": "array",
            "tickvals": list(range(T)),
            "ticktext": escape(target),
            "range": [T - 0.5, -0.5],  # first step at the top
            "title": {"text": "" if compact else _("target")},
            "showgrid": False,
            "automargin": True,
        },
        height=max(320, int(top + bottom + cell * T)),
        margin={"l": 60 if compact else 90, "r": 10 if compact else 20, "t": int(top), "b": bottom},
        plot_bgcolor="rgba(0,0,0,0)",
        showlegend=legend,
        legend={"orientation": "h", "x": 0, "y": 0, "yanchor": "top"},
    )
    return readable(fig)


def alignment_heatmap(
    trace: Trace,
    *,
    mark_argmax: bool = False,
    title: str | None = None,
    gold: Iterable[tuple[int, int]] | None = None,
    compact: bool = False,
    unknown: Sequence[int] | None = None,
    width: float | None = None,
) -> go.Figure:
    """Attention weights: source pieces along the top, target pieces down the side.

    gold: (t, s) links of a reference alignment, drawn as open squares; argmax marks are crosses.
    unknown: source positions the model read as <unk>, each column outlined by a dashed box (None: the
    trace's own, checks.unknown_pieces).
    compact, width: as in weights_heatmap (compact maps write long source pieces upright).
    """
    return weights_heatmap(
        trace.weights,
        trace.source_pieces,
        trace.target_pieces,
        target_hover=[f"{p} (step {t + 1})" for t, p in enumerate(trace.target_pieces)],
        mark_argmax=mark_argmax,
        title=title,
        gold=gold,
        compact=compact,
        unknown=unknown_pieces(trace) if unknown is None else unknown,
        width=width,
    )


def word_heatmap(trace: Trace, merged: WordMap, *, mark_argmax: bool = False) -> go.Figure:
    """The map over words (words.merge(trace)): a word's column sums its pieces' attention, its row
    averages its steps' rows. The hover names each word's pieces; words holding an <unk> are boxed."""
    unknown = set(unknown_pieces(trace))

    def pieces(labels: Sequence[str], group: tuple[int, ...], unit: str) -> str:
        return f"({unit} {' '.join(labels[i] for i in group)})"

    return weights_heatmap(
        merged.weights,
        merged.source_words,
        merged.target_words,
        source_hover=[
            f"{w} {pieces(trace.source_pieces, g, 'pieces')}"
            for w, g in zip(merged.source_words, merged.source_groups, strict=True)
        ],
        target_hover=[
            f"{w} (steps {g[0] + 1}-{g[-1] + 1}, the mean of their rows)"
            if len(g) > 1
            else f"{w} (step {g[0] + 1})"
            for w, g in zip(merged.target_words, merged.target_groups, strict=True)
        ],
        mark_argmax=mark_argmax,
        unknown=[j for j, g in enumerate(merged.source_groups) if unknown & set(g)],
    )


def _bars(labels: Sequence[str], values: np.ndarray, name: str, color: str, fmt: str, width: float) -> go.Bar:
    """One bar per label, each bar's value written over it where the values fit (level, else upright);
    where even upright they would overlap, only the hover says them."""
    texts = [format(float(v), fmt) for v in values]
    n = len(texts)
    level = max((text_width(t) for t in texts), default=0.0) + 4
    angle = 0 if n * level <= width else -90
    shown = n * level <= width or n * UPRIGHT <= width
    return go.Bar(
        x=list(range(len(labels))),
        y=values,
        name=name,
        marker_color=color,
        customdata=escape(labels),
        text=texts if shown else None,
        textangle=angle,
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{customdata}: %{y:.4g}<extra>" + name + "</extra>",
    )


def _source_axis(fig: go.Figure, trace: Trace, yaxis: str, width: float, height: int = 300) -> go.Figure:
    xaxis = label_axis(trace.source_pieces, width)
    extra = label_height(trace.source_pieces, xaxis) - FONT - 4  # room for upright labels
    fig.update_layout(
        xaxis={**xaxis, "title": {"text": axis_title("", xaxis, len(trace.source_pieces))}},
        yaxis={"title": {"text": yaxis}, "zeroline": True},
        height=int(height + extra),
        margin={"l": 60, "r": 20, "t": 40, "b": int(40 + extra)},
        barmode="group",
        legend={"orientation": "h", "y": 1.12},
    )
    return readable(fig)


# The y axis of the score chart names the model's own scoring function (attention.py).
SCORE_AXIS = {
    "dot": N_("score s·h"),
    "scaled_dot": N_("score s·h / √H"),
    "general": N_("score s·(W h)"),
    "concat": N_("score v·tanh(W_s s + W_h h + b)"),
}


def score_chart(trace: Trace, t: int, width: float = WIDE_WIDTH) -> go.Figure:
    """Step t's raw scores (before the softmax), one bar per source piece."""
    fig = go.Figure(_bars(trace.source_pieces, trace.scores[t], "score", BLUE, ".3g", width))
    return _source_axis(fig, trace, _(SCORE_AXIS.get(trace.attention, N_("score"))), width)


def weight_chart(
    trace: Trace,
    t: int,
    what_if: np.ndarray | None = None,
    temperature: float = 1.0,
    width: float = WIDE_WIDTH,
) -> go.Figure:
    """Step t's attention weights; with `what_if`, a second, hatched series for another temperature."""
    # Two series share the width: each bar's value gets half of it.
    share = width / (2 if what_if is not None else 1)
    fig = go.Figure(_bars(trace.source_pieces, trace.weights[t], "weight (model)", ORANGE, ".3f", share))
    if what_if is not None:
        name = f"what-if, temperature {temperature:g}"
        bars = _bars(trace.source_pieces, what_if, name, GREY, ".3f", share)
        bars.marker.pattern = {"shape": "/"}
        fig.add_trace(bars)
    fig.update_yaxes(range=[0, 1.15])
    return _source_axis(fig, trace, _("softmax weight"), width)


def topk_chart(trace: Trace, t: int) -> go.Figure:
    """The most probable next pieces at step t, the emitted one marked (by colour and by its label)."""
    pieces, probs = list(trace.topk_pieces[t]), trace.topk_probs[t]
    chosen = trace.target_pieces[t]
    colors = [VERMILLION if p == chosen else BLUE for p in pieces]
    fig = go.Figure(
        go.Bar(
            y=list(range(len(pieces))),
            x=probs,
            orientation="h",
            marker_color=colors,
            text=[
                _("{p:.3f} emitted").format(p=q) if p == chosen else f"{q:.3f}"
                for p, q in zip(pieces, probs, strict=True)
            ],
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
            "automargin": True,
        },
        xaxis={"title": {"text": _("p(next piece)")}, "range": [0, 1.3]},
        height=60 + 28 * len(pieces),
        margin={"l": 90, "r": 20, "t": 20, "b": 40},
    )
    return readable(fig)


def reference_chart(trace: Trace, width: float = WIDE_WIDTH) -> go.Figure:
    """Forced decoding (search.force): the model's probability of each piece of a given translation.
    A piece the model would not have picked itself (its own most probable piece differs) is hatched,
    and the hover names what it preferred."""
    T = trace.num_steps
    probs = np.exp(trace.log_probs)  # (T,)
    own = [row[0] for row in trace.topk_pieces]
    agree = [o == p for o, p in zip(own, trace.target_pieces, strict=True)]
    fig = go.Figure(
        go.Bar(
            x=list(range(T)),
            y=probs,
            marker_color=[BLUE if a else VERMILLION for a in agree],
            marker_pattern_shape=["" if a else "/" for a in agree],
            text=[f"{q:.2f}" if q >= 0.005 else f"{q:.0e}" for q in probs],
            textposition="outside",
            cliponaxis=False,
            customdata=[
                [
                    p,
                    t + 1,
                    _("its own first choice")
                    if a
                    else _("it preferred {piece} ({p:.3f})").format(piece=o, p=q),
                ]
                for t, (p, o, a, q) in enumerate(
                    zip(escape(trace.target_pieces), escape(own), agree, trace.topk_probs[:, 0], strict=True)
                )
            ],
            hovertemplate=_("step %{customdata[1]}: p(%{customdata[0]}) = %{y:.4f}<br>%{customdata[2]}")
            + "<extra></extra>",
        )
    )
    xaxis = label_axis(trace.target_pieces, width)
    extra = label_height(trace.target_pieces, xaxis) - FONT - 4
    fig.update_layout(
        xaxis={**xaxis, "title": {"text": axis_title("your translation, piece by piece", xaxis, T)}},
        yaxis={"title": {"text": _("p(piece) by the model")}, "range": [0.0, 1.15]},
        height=int(300 + extra),
        margin={"l": 60, "r": 20, "t": 20, "b": int(50 + extra)},
    )
    return readable(fig)


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
            hovertemplate=_("%{customdata}<br>dim %{x}: %{z:.4f}") + "<extra></extra>",
        )
    )
    fig.update_layout(
        title=title,
        yaxis={
            "tickmode": "array",
            "tickvals": list(range(len(rows))),
            "ticktext": escape(labels),
            "autorange": "reversed",
            "automargin": True,
        },
        xaxis={"title": {"text": _("dimension")}},
        height=80 + 34 * len(rows),
        margin={"l": 170, "r": 20, "t": 40 if title else 20, "b": 40},
    )
    return readable(fig)


def coverage_chart(trace: Trace, coverage: np.ndarray, width: float = HALF_WIDTH) -> go.Figure:
    """Total attention per source piece: pieces near 0 were never looked at, above 1 looked at often."""
    fig = go.Figure(_bars(trace.source_pieces, coverage, "coverage", BLUE, ".2f", width))
    fig.add_hline(y=1.0, line_dash="dot", line_color=GREY)
    return _source_axis(fig, trace, _("total attention"), width)


def entropy_chart(trace: Trace, entropy: np.ndarray, width: float = HALF_WIDTH) -> go.Figure:
    """Attention entropy per decoder step, in bits, on a fixed axis from 0 to log2(S), the most a step can
    have (its attention spread evenly over all S source pieces): a tiny value draws as a tiny bar."""
    T, S = trace.num_steps, len(trace.source_pieces)
    top = math.log2(S) if S > 1 else 1.0  # one source piece: every entropy is 0
    most = f"{math.log2(S):.2f}" if S else "0"
    fig = go.Figure(
        go.Bar(
            x=list(range(T)),
            y=entropy,
            marker_color=GREEN,
            customdata=[[p, t + 1] for t, p in enumerate(escape(trace.target_pieces))],
            hovertemplate=_("step %{customdata[1]}: %{customdata[0]}<br>%{y:.3f} bits of at most")
            + f" log2({S}) = {most}<extra></extra>",
        )
    )
    fig.add_hline(
        y=math.log2(S) if S else 0.0,
        line_dash="dot",
        line_color=GREY,
        annotation_text=_("max log2({n}) = {bits} bits: spread evenly").format(n=S, bits=most),
        annotation_position="top right",
        annotation_font_size=FONT,
    )
    xaxis = label_axis(trace.target_pieces, width)
    extra = label_height(trace.target_pieces, xaxis) - FONT - 4
    fig.update_layout(
        xaxis={**xaxis, "title": {"text": axis_title("", xaxis, T)}},
        yaxis={"title": {"text": _("entropy (bits)")}, "range": [0.0, top]},
        height=int(280 + extra),
        margin={"l": 60, "r": 20, "t": 34, "b": int(40 + extra)},
    )
    return readable(fig)


def bucket_chart(table: pd.DataFrame, min_n: int = 20) -> go.Figure:
    """BLEU by source-length bucket, one series per model, from the table of `bottleneck.buckets`
    (columns model, bucket, bleu, n, ci_low, ci_high; NaN where metrics.json has no number).

    ci_low..ci_high, the bucket's 95% bootstrap interval, is drawn as error bars; a missing BLEU as a bar
    of 0. Buckets with fewer than `min_n` test sentences are drawn faint: one sentence's BLEU says little.
    """
    fig = go.Figure()
    for model in table.model.unique():  # in the table's order
        mine = table[table.model == model]
        bleu = mine.bleu.fillna(0.0)
        has_ci = mine.ci_low.notna()
        low, high = mine.ci_low.fillna(bleu), mine.ci_high.fillna(bleu)  # no interval: bars of length 0
        fig.add_trace(
            go.Bar(
                x=[
                    _("{bucket} words (n={n})").format(bucket=b, n=n)
                    for b, n in zip(mine.bucket, mine.n, strict=True)
                ],
                y=bleu.tolist(),
                name=model,
                marker_opacity=[1.0 if n >= min_n else 0.35 for n in mine.n],
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": (high - bleu).tolist(),
                    "arrayminus": (bleu - low).tolist(),
                    "thickness": 1,
                    "width": 3,
                },
                customdata=[
                    [
                        int(n),
                        _("{low:.2f} to {high:.2f}").format(low=lo, high=hi)
                        if ci
                        else _("none (too few sentences)"),
                    ]
                    for n, lo, hi, ci in zip(mine.n, low, high, has_ci, strict=True)
                ],
                hovertemplate=model
                + _("<br>%{x}: BLEU %{y:.2f}, 95% interval %{customdata[1]} (%{customdata[0]} sentences)")
                + "<extra></extra>",
            )
        )
    fig.update_layout(
        barmode="group",
        colorway=[BLUE, ORANGE, GREEN, VERMILLION, SKY_BLUE, PURPLE, BLACK],
        yaxis={"title": {"text": _("test BLEU (greedy)")}},
        height=360,
        margin={"l": 60, "r": 20, "t": 30, "b": 40},
        legend={"orientation": "h", "y": 1.1},
    )
    return readable(fig)


METRIC_LABELS = {"exact_match": N_("dev exact match (%)"), "bleu": N_("dev BLEU")}  # translated where drawn


def training_chart(
    losses: Sequence[tuple[float, float]], dev: Sequence[tuple[float, float, float]], metric: str
) -> go.Figure:
    """Running training loss (a line) and dev loss after each epoch (diamonds) on the left axis, log
    scale, and the dev metric (higher is better, a dashed line) on the right. dev: (where the epoch
    ended, as a float epoch; dev loss; dev metric)."""
    label = _(METRIC_LABELS[metric]) if metric in METRIC_LABELS else metric
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[e for e, _ in losses],
            y=[v for _, v in losses],
            mode="lines",
            name=_("training loss"),
            line={"color": BLUE},
            hovertemplate=_("epoch %{x:.2f}: loss %{y:.4f}") + "<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[e for e, _, _ in dev],
            y=[v for _, v, _ in dev],
            mode="markers",
            name=_("dev loss"),
            marker={"color": BLUE, "symbol": "diamond", "size": 9},
            hovertemplate=_("epoch %{x}: dev loss %{y:.4f}") + "<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[e for e, _, _ in dev],
            y=[v for _, _, v in dev],
            mode="lines+markers",
            name=label,
            yaxis="y2",
            line={"color": VERMILLION, "dash": "dash"},
            hovertemplate=_("epoch %{x}:") + f" {label} %{{y:.2f}}<extra></extra>",
        )
    )
    # The right axis has its own ticks (an overlaying axis would otherwise copy the log axis's grid
    # positions: odd numbers like 0.909) and a fixed range, with room below 0 so a 0 stays in sight.
    top = 100.0 if metric == "exact_match" else max([1.0] + [1.1 * v for _, _, v in dev])
    fig.update_layout(
        xaxis={"title": {"text": _("epoch")}, "rangemode": "tozero"},
        yaxis={"title": {"text": _("loss (log scale)")}, "type": "log"},
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
    return readable(fig)
