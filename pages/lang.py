"""The session's interface language: picked in the sidebar or by lang=ko|en in the URL, guessed first from
the browser's locale. `_` and `ngettext` translate a page's text through attnviz/i18n.py's catalogues."""

from __future__ import annotations

import streamlit as st

from attnviz.i18n import LANGUAGES, pick, translations
from pages.params import url_choice

NAMES = {"en": "English", "ko": "한국어"}  # each language named in itself, so a reader finds their own


def current() -> str:
    """The session's language: the one chosen earlier in this session, else the URL's lang=, else the
    browser's locale, else English. It is kept under a plain key, `lang_choice`: Streamlit drops a
    widget's state on a page change, and the URL's parameters go with it."""
    state = st.session_state
    if state.get("lang_choice") not in LANGUAGES:
        state.lang_choice = url_choice("lang", LANGUAGES, pick(st.context.locale))
    return state.lang_choice


def _(message: str) -> str:
    """`message` (English) in the session's language."""
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a message for `n`, in the session's language."""
    return translations(current()).ngettext(singular, plural, n)


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
