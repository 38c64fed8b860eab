"""Deep links: a page opened first by its own URL (/step?...) still runs inside app.py's navigation.

Streamlit has no public option for this (streamlit/streamlit#9624 and the review of PR #10276 describe
it): an entry point with a `pages/` folder beside it starts in Streamlit's old pages-directory mode, and
`client.showSidebarNavigation` or st.navigation's `position` only change where a menu is drawn, not which
script runs. So this module flips Streamlit's own switch, and relies on exactly this in Streamlit 1.67.0:

1. `streamlit.runtime.pages_manager.PagesManager.uses_pages_directory` is a class attribute, one for the
   whole server process. The first session's PagesManager sets it from "does pages/ exist beside the
   entry point" (it does: our pages live there), and it stays so until something sets it again.
2. While it is true, the script runner (`runtime/scriptrunner/script_runner.py`, `_mpa_v1`) does not run
   app.py: it builds a navigation of its own over pages/*.py and runs the requested page file alone.
3. `st.navigation` sets it to False; its documentation says "As soon as any session of your app executes
   the st.navigation command, your app will ignore the pages/ directory (across all sessions)". This is
   what we do early, for a server whose first visitor did not start at app.py.
4. A page's identity (its script hash) is a hash of its URL path, so pages/step.py in that old-mode
   navigation and app.py's `st.Page("pages/step.py", url_path="step")` are the same page: the rerun
   below lands on the page the link named, now inside app.py.

tests/test_routing.py checks 1-4, so a Streamlit upgrade that changes them fails there, not in a browser.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def _require_switch() -> None:
    """Fail loudly if this Streamlit no longer has the switch: setting a missing attribute would create
    it and change nothing, and every deep link would quietly show a page without the app around it."""
    if not hasattr(PagesManager, "uses_pages_directory"):
        raise RuntimeError(
            f"Streamlit {st.__version__} has no PagesManager.uses_pages_directory, which pages/routing.py "
            "(written for Streamlit 1.67.0) flips to run deep links inside app.py's navigation. Read its "
            "docstring and tests/test_routing.py, and check how this Streamlit runs a pages/ directory."
        )


def through_app_py() -> None:
    """Make sure the page runs inside app.py's navigation (every page calls this through the sidebar).

    When the first request a fresh server gets is a deep link (/step?...), Streamlit runs the page file on
    its own, in its old `pages/` directory mode, and keeps doing so for every session until app.py has
    called st.navigation once. Leave that mode and run again: app.py then routes to the same page.
    """
    _require_switch()
    if PagesManager.uses_pages_directory and not st.session_state.get("_routed"):
        # Once per session: AppTest turns the switch back on before each of its runs, and a rerun
        # would drop the click that started that run.
        st.session_state._routed = True
        PagesManager.uses_pages_directory = False  # what st.navigation itself does (see 3 above)
        st.rerun()
