"""How every page looks: the page-wide styles, presentation mode (larger type for a projector) and the
chart() wrapper that every figure goes through."""

from __future__ import annotations

from typing import Any

import streamlit as st

from pages.lang import _

IMAGE_FORMATS = {"png": "PNG", "svg": "SVG"}  # what a chart's camera button can save, as the sidebar says it

# Always: a formula wider than the page scrolls sideways instead of being cut off, and on a narrow
# screen (a projector's 1024 px) the sidebar takes less of the width.
PAGE_CSS = """<style>
.katex-display { overflow-x: auto; overflow-y: hidden; padding: 0.2rem 0; }
@media (max-width: 1100px) {
  section[data-testid="stSidebar"][aria-expanded="true"] {
    width: 15rem !important; min-width: 15rem !important;
  }
}
</style>"""
# Presentation mode: larger type everywhere (Streamlit sizes its text in rem) and in every chart.
PRESENT_CSS = """<style>
html { font-size: 20px; }
.katex { font-size: 1.3em; }
</style>"""
PRESENT_FONT = 18  # px, chart text in presentation mode (tick labels one size below)


def presenting() -> bool:
    """Whether presentation mode is on: the sidebar switch, or present=1 in the URL."""
    if "present" in st.session_state:
        return bool(st.session_state.present)
    return st.query_params.get("present") == "1"


def presentation_switch() -> bool:
    """The sidebar's presentation switch (app.py draws it on every page) and the page-wide styles."""
    st.session_state.present = presenting()
    on = st.sidebar.toggle(
        _("Presentation mode"),
        key="present",
        help=_(
            "Larger type for a projector; the sidebar starts collapsed (open it again with the arrow "
            "at the top left). The link keeps it: present=1."
        ),
    )
    if on:
        st.query_params["present"] = "1"
    else:
        st.query_params.pop("present", None)
    st.html(PAGE_CSS + (PRESENT_CSS if on else ""))
    return on


def chart(fig: Any, key: str, where: Any = st) -> None:
    """Every figure goes through here: the camera button in its toolbar saves it in the format chosen in
    the sidebar (a crisp 2x PNG, or SVG), named after the figure; in presentation mode its type is larger."""
    if presenting():
        fig.update_layout(font={"size": PRESENT_FONT})
        fig.update_xaxes(tickfont={"size": PRESENT_FONT - 2}, title_font={"size": PRESENT_FONT})
        fig.update_yaxes(tickfont={"size": PRESENT_FONT - 2}, title_font={"size": PRESENT_FONT})
    fmt = st.session_state.get("image_format", "png")
    options = {"format": fmt, "filename": f"attnviz-{key}", "scale": 2 if fmt == "png" else 1}
    where.plotly_chart(
        fig, key=key, width="stretch", config={"toImageButtonOptions": options, "displaylogo": False}
    )
