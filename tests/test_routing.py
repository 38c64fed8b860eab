"""pages/routing.py: a deep link to a fresh server runs inside app.py's navigation, and the Streamlit
behaviour that the workaround relies on (its docstring, points 1-4) is still there."""

from pathlib import Path

import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from pages import routing
from pages.loading import ROOT

APP = """
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

st.session_state.switch_before = PagesManager.uses_pages_directory
page = st.navigation([st.Page("pages/home.py", default=True), st.Page("pages/one.py", url_path="one")])
st.session_state.switch_after = PagesManager.uses_pages_directory
st.sidebar.caption("drawn by app.py")
page.run()
"""
ROUTED_PAGE = """
import streamlit as st
from pages.routing import through_app_py

through_app_py()
st.session_state.page_runs = st.session_state.get("page_runs", 0) + 1
st.title("Page one")
"""


def _project(folder: Path, page: str) -> Path:
    """An app.py with st.navigation beside a pages/ folder, like ours; `page` is pages/one.py."""
    (folder / "pages").mkdir()
    (folder / "pages" / "home.py").write_text("import streamlit as st\nst.title('Home')\n")
    (folder / "pages" / "one.py").write_text(page)
    (folder / "app.py").write_text(APP)
    return folder / "app.py"


def _deep_link(app: Path, page: str) -> AppTest:
    """The first request of a fresh server is for `page`: no run of app.py came before (AppTest also
    clears Streamlit's switch before each run, as a fresh server has it)."""
    at = AppTest.from_file(str(app), default_timeout=60)
    at.switch_page(page)  # before any run: Streamlit knows the page by its file name, as a URL names it
    return at.run()


def _drawn_by_app_py(at: AppTest) -> bool:
    return any(c.value == "drawn by app.py" for c in at.sidebar.caption)


def test_a_pages_folder_turns_the_switch_on_for_the_whole_process(tmp_path, monkeypatch):
    monkeypatch.setattr(PagesManager, "uses_pages_directory", None)  # as a fresh server has it
    (tmp_path / "pages").mkdir()
    PagesManager(str(tmp_path / "app.py"))
    assert PagesManager.uses_pages_directory is True  # a class attribute: every session reads this one


def test_without_the_workaround_a_deep_link_runs_the_page_file_alone(tmp_path):
    app = _project(tmp_path, "import streamlit as st\nst.title('Page one')\n")
    at = _deep_link(app, "pages/one.py")
    assert not at.exception
    assert [t.value for t in at.title] == ["Page one"]
    # If this fails, Streamlit now runs the entry point for a deep link: pages/routing.py may go.
    assert not _drawn_by_app_py(at)


def test_st_navigation_turns_the_switch_off(tmp_path):
    at = AppTest.from_file(str(_project(tmp_path, ROUTED_PAGE)), default_timeout=60).run()
    assert not at.exception
    assert at.session_state.switch_before is True  # pages/ beside app.py: the old mode
    assert at.session_state.switch_after is False


def test_the_workaround_runs_a_deep_link_inside_app_py_on_the_same_page(tmp_path):
    at = _deep_link(_project(tmp_path, ROUTED_PAGE), "pages/one.py")
    assert not at.exception
    assert _drawn_by_app_py(at)
    assert [t.value for t in at.title] == ["Page one"]  # the page the link named, not the default one
    assert at.session_state.switch_after is False
    assert at.session_state.page_runs == 1  # the page alone stopped at through_app_py, before its body


def test_a_streamlit_without_the_switch_fails_loudly(monkeypatch):
    monkeypatch.delattr(PagesManager, "uses_pages_directory")
    with pytest.raises(RuntimeError, match="uses_pages_directory"):
        routing.through_app_py()


def test_a_deep_link_to_the_step_page_gets_the_whole_app():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update(model="dates-dot", s="26 nov 2026", step="2")
    at.switch_page("pages/step.py")
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Step through"]
    assert any(c.value.startswith("A trained GRU encoder-decoder") for c in at.sidebar.caption)  # app.py's
    assert any(t.label == "Presentation mode" for t in at.sidebar.toggle)  # app.py draws it on every page
