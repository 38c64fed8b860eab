"""How every figure looks: a colour-blind-safe palette, marks that differ by shape as well as colour,
type of at least 12 px, and tick labels that fit (level, upright, or every k-th) - for plots.py.

Okabe & Ito (2008), "Color Universal Design"; Machado et al. (2009) for the colour-vision check in
tests/test_plots.py.
"""

from __future__ import annotations

import html
import math
import unicodedata
from collections.abc import Sequence

import plotly.graph_objects as go

from attnviz.i18n import _

COLORSCALE = "Cividis"  # perceptually uniform and readable with red-green colour blindness

# Okabe & Ito (2008), "Color Universal Design": colours told apart in every common colour vision.
BLACK, ORANGE, SKY_BLUE, GREEN, YELLOW, BLUE, VERMILLION, PURPLE = (
    "#000000",
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
)
WHITE, GREY = "#FFFFFF", "#999999"

# A mark can sit on any cell from Cividis's dark blue to its yellow, so each is drawn in a dark and a
# light colour: one of the two stands out on every cell in every colour vision (tests/test_plots.py
# simulates deuteranopia and protanopia). Shapes tell the two kinds apart, and read as "x in a box"
# where the model's strongest link is the gold one: a black cross edged in white, a yellow ring edged
# in black.
ARGMAX_MARK = {"symbol": "x", "size": 13, "color": BLACK, "line": {"color": WHITE, "width": 1.5}}
GOLD_MARK = {"symbol": "square-open", "size": 22, "color": YELLOW, "line": {"width": 2.5}}
GOLD_HALO = {"symbol": "square-open", "size": 22, "color": BLACK, "line": {"width": 5.5}}  # under it
# Links found by a method (attention read some way, an aligner): a shape each, not a colour alone. The
# first is a filled dot; the others are open shapes around it (so a link both methods have shows both),
# each drawn twice - a thick dark outline under a thin light one - to read on dark and light cells alike.
LINK_MARKS = (
    ({"symbol": "circle", "size": 9, "color": BLACK, "line": {"color": WHITE, "width": 1.5}},),
    (
        {"symbol": "diamond-open", "size": 17, "color": BLACK, "line": {"width": 4}},
        {"symbol": "diamond-open", "size": 17, "color": WHITE, "line": {"width": 1.5}},
    ),
    (
        {"symbol": "triangle-up-open", "size": 17, "color": BLACK, "line": {"width": 4}},
        {"symbol": "triangle-up-open", "size": 17, "color": WHITE, "line": {"width": 1.5}},
    ),
)

FONT = 13  # px: ticks, values, hover, legend; a projector at 1024x768 needs at least 12
TITLE_FONT = 15
UPRIGHT = FONT + 4  # px across a label written upright: one line box (17 px measured in Chromium)
# The plot widths (px) labels must fit in: the narrowest each kind of chart got in Chromium at a
# projector's 1024x768 with the sidebar open (356-363, 474-477, 184-193, 125-135). A full-width map
# less its colour bar; a full-width bar chart (Step page); a chart in one of two columns; a map in one
# of Compare's three columns.
MAP_WIDTH, WIDE_WIDTH, HALF_WIDTH, COMPACT_WIDTH = 350, 470, 180, 120


def escape(labels: Sequence[str]) -> list[str]:
    """Plotly reads text as a little HTML ("</s>" would vanish as a closing tag): escape it."""
    return [html.escape(label, quote=False) for label in labels]


def text_width(label: str) -> float:
    """About how wide `label` is in px at FONT: a wide (CJK) character an em, others 0.6 em."""
    return sum(FONT if unicodedata.east_asian_width(ch) in "WF" else 0.6 * FONT for ch in label)


def label_axis(labels: Sequence[str], width: float) -> dict:
    """Ticks for one label per position that do not overlap in `width` px: level if they fit; else
    upright (-90 degrees) where that is narrower; and if even that does not fit, every k-th label only
    (the hover names every one). The labels are escaped here."""
    n = len(labels)
    level = max((text_width(label) for label in labels), default=0.0) + 8  # px a label needs, with a gap
    angle, pitch = 0, level
    if n * level > width and UPRIGHT < level:
        angle, pitch = -90, UPRIGHT
    step = max(1, math.ceil(n * pitch / width))
    shown = list(range(0, n, step))
    text = escape(labels)
    return {
        "tickmode": "array",
        "tickvals": shown,
        "ticktext": [text[i] for i in shown],
        "tickangle": angle,
        "tickfont": {"size": FONT},
        "automargin": True,
    }


def label_height(labels: Sequence[str], axis: dict) -> float:
    """px the tick labels take across the axis: their length when upright, one line when level."""
    return max((text_width(label) for label in labels), default=0.0) if axis["tickangle"] else FONT + 4


def axis_title(text: str, axis: dict, n: int) -> str:
    """The axis title, saying so when only every k-th label is shown."""
    step = axis["tickvals"][1] if len(axis["tickvals"]) < n else 1
    if step == 1:
        return text
    note = _("1 label in {step} shown; hover names every one").format(step=step)
    return f"{text} ({note})" if text else note


def readable(fig: go.Figure) -> go.Figure:
    """Type of at least FONT px everywhere, over the Streamlit theme's template (12 px and less)."""
    fig.update_layout(
        font={"size": FONT},
        title_font={"size": TITLE_FONT},
        hoverlabel={"font": {"size": FONT}},
        legend={"font": {"size": FONT}},
    )
    fig.update_xaxes(tickfont={"size": FONT}, title_font={"size": FONT})
    fig.update_yaxes(tickfont={"size": FONT}, title_font={"size": FONT})
    fig.update_traces(textfont={"size": FONT}, selector={"type": "bar"})
    fig.update_traces(
        colorbar={"tickfont": {"size": FONT}, "title": {"font": {"size": FONT}}}, selector={"type": "heatmap"}
    )
    return fig
