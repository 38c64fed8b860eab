"""The session's interface language: picked in the sidebar or by lang=ko|en in the URL, guessed first from
the browser's locale. Importing this module makes attnviz/i18n.py's `_` and `ngettext` (re-exported here)
speak the session's language, in pages and in the package alike."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from attnviz import i18n
from attnviz.i18n import LANGUAGES, _, ngettext, pick
from pages.params import url_choice

__all__ = ["NAMES", "_", "current", "language_switch", "ngettext"]

NAMES = {"en": "English", "ko": "한국어"}  # each language named in itself, so a reader finds their own


def current() -> str:
    """The session's language: the one chosen earlier in this session, else the URL's lang=, else the
    browser's locale, else English. It is kept under a plain key, `lang_choice`: Streamlit drops a
    widget's state on a page change, and the URL's parameters go with it."""
    state = st.session_state
    if state.get("lang_choice") not in LANGUAGES:
        state.lang_choice = "en"  # while lang= is read: a warning about an odd one asks for the language
        state.lang_choice = url_choice("lang", LANGUAGES, pick(st.context.locale))
    return state.lang_choice


def _session_language() -> str | None:
    """The language of the session whose script runs in this thread; None outside a script run (a test
    calling the package directly, the CLI importing a page module)."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    return current()


i18n.use_language(_session_language)


def language_switch() -> str:
    """The sidebar's language picker; the choice goes into the URL as lang=, so a link keeps it."""
    state = st.session_state
    state.language = current()  # copied into the widget on every run, like the model picker's choice
    lang = st.sidebar.selectbox(
        "Language · 언어",  # in both languages: a reader who cannot read the current one still finds it
        LANGUAGES,
        key="language",
        format_func=NAMES.get,
        on_change=lambda: state.update(lang_choice=state.language),
    )
    st.query_params["lang"] = lang
    return lang
