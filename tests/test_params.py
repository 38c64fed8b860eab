"""pages/params.py: every query parameter of every page, given odd values, falls back or is clamped with
a message, and the page still shows a sane view (issue 13, item 4); and long input cut on Compare and
Bottleneck is said, as on Translate (item 10)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from test_app import unescaped

from pages.loading import ROOT

ODD = ["²", "9" * 5000, "1e400", "nan", "-5", "abc", ""]


def open_page(path: str, **query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params.update(query)
    at.switch_page(path)
    return at.run()


def said_about(at: AppTest, name: str) -> list[str]:
    """The warnings that quote the link's `name=` value."""
    return [w for w in (unescaped(w.value) for w in at.warning) if f"The link's {name}=" in w]


def helpers_script() -> None:
    import streamlit as st

    from pages.params import url_choice, url_flag, url_float, url_int

    st.text(
        repr(
            (
                url_int("i", 1, 1, 10),
                url_int("j", 1, 1, 3, clamp=False),
                url_float("f", 1.0, 0.1, 5.0),
                url_flag("b"),
                url_choice("c", (0.5, 1.0, 2.0), 1.0),
            )
        )
    )


@pytest.mark.parametrize(
    ("query", "expected", "warned"),
    [
        ({}, (1, 1, 1.0, False, 1.0), 0),
        ({"i": "7", "j": "2", "f": "2.5", "b": "1", "c": "2"}, (7, 2, 2.5, True, 2.0), 0),
        ({"i": "+7", "f": ".5", "c": "0.50"}, (7, 1, 0.5, False, 0.5), 0),
        ({"i": "99", "j": "9", "f": "-3", "c": "4"}, (10, 1, 0.1, False, 1.0), 4),  # clamped or default
        ({"i": "²", "j": "9" * 5000, "f": "1e400", "b": "yes", "c": "nan"}, (1, 1, 1.0, False, 1.0), 5),
        ({"i": "", "j": "1_0", "f": "inf", "b": "", "c": ""}, (1, 1, 1.0, False, 1.0), 5),
    ],
)
def test_each_helper_reads_good_values_and_says_when_it_falls_back(query, expected, warned) -> None:
    at = AppTest.from_function(helpers_script, default_timeout=30)
    at.query_params.update(query)
    at.run()
    assert not at.exception
    assert at.text[0].value == repr(expected)
    assert len(at.warning) == warned, [w.value for w in at.warning]
    if "j" in query and len(query["j"]) > 100:  # a 5,000-digit value is quoted cut short
        assert all(len(w.value) < 400 for w in at.warning)


@pytest.mark.parametrize("odd", ODD)
def test_step_page_survives_odd_values_of_all_its_parameters(odd: str) -> None:
    at = open_page(
        "pages/step.py",
        model="dates-dot",
        s="26 nov 2026",
        beam=odd,
        step=odd,
        temp=odd,
        stemp=odd,
        speed=odd,
    )
    assert not at.exception
    for name in ("beam", "step", "temp", "stemp", "speed"):
        assert said_about(at, name), f"nothing said about {name}={odd[:20]!r}"
    assert at.subheader[0].value.startswith("Step 1 of")
    low = 0.1 if odd == "-5" else 1.0  # a negative temperature is clamped to the slider's least
    assert at.slider(key="temp0").value == low and at.slider(key="sandbox_temp").value == low
    assert at.select_slider(key="speed").value == 1.0 and at.select_slider(key="beam").value == 1


def test_step_page_clamps_a_step_past_the_last_and_keeps_good_values_silent() -> None:
    at = open_page("pages/step.py", model="dates-dot", s="26 nov 2026", step="999", temp="9")
    assert not at.exception
    assert said_about(at, "step") and said_about(at, "temp")
    heading = at.subheader[0].value  # "Step T of T: ..."
    last = heading.split(" of ")[1].split(":")[0]
    assert heading.startswith(f"Step {last} of {last}")
    assert at.slider(key=f"temp{int(last) - 1}").value == 5.0
    good = open_page("pages/step.py", model="dates-dot", s="26 nov 2026", step="2", speed="2", beam="1")
    assert not good.exception and not good.warning
    assert good.subheader[0].value.startswith("Step 2 of") and good.select_slider(key="speed").value == 2.0


@pytest.mark.parametrize("odd", ODD)
def test_translate_page_survives_odd_values_of_all_its_parameters(odd: str) -> None:
    at = open_page("pages/translate.py", model="dates-dot", s="26 nov 2026", beam=odd, argmax=odd, words=odd)
    assert not at.exception
    for name in ("beam", "argmax", "words"):
        assert said_about(at, name), f"nothing said about {name}={odd[:20]!r}"
    assert at.code[0].value == "2026-11-26"
    assert at.toggle(key="argmax").value is False and at.toggle(key="words").value is False
    beam = open_page("pages/translate.py", model="dates-dot", s="26 nov 2026", beam="3", hyp=odd)
    assert not beam.exception
    assert any("Showing the best" in w for w in said_about(beam, "hyp"))
    assert beam.radio(key="hyp").value == 0


def test_compare_and_bottleneck_say_when_long_input_was_cut() -> None:
    long = " ".join(["26 nov 2026"] * 20)  # over the 64 pieces the shipped models read
    at = open_page("pages/compare.py", model="dates-dot", s=long)
    assert not at.exception
    assert any("the last" in w.value and "cut" in w.value for w in at.warning)
    at = open_page("pages/bottleneck.py", model="de-en-dot", long=" ".join(["Ich habe keine Zeit."] * 20))
    assert not at.exception
    assert any("the last" in w.value and "cut" in w.value for w in at.warning)


# --- Korean: Compare, Models and the URL messages (they show on every page) ------------------------------


def in_language(lang: str, path: str | None = None, **query) -> AppTest:
    """`path` run as tests/test_i18n.py's `run` does: app.py first, then a switch to the page (no path:
    the first page, Translate, run once)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params.update(query, lang=lang)
    if path:
        at.run()
        at.switch_page(path)
    return at.run()


PAGES = {  # lang -> what Compare's title and picker and Models' title and a column header read
    "en": ("Compare models", "Models (same task as the sidebar's)", "Models", "parameters", "The link's"),
    "ko": ("모델 비교", "모델(사이드바와 같은 작업)", "모델", "매개변수 수", "링크의"),
}


@pytest.mark.parametrize("lang", list(PAGES))
def test_compare_models_and_the_url_messages_in_each_language(lang: str) -> None:
    title, picker, models_title, column, link = PAGES[lang]
    at = in_language(lang, "pages/compare.py", model="dates-dot", s="26 nov 2026", cmp=["dates-dot", "nope"])
    assert not at.exception, at.exception
    assert at.title[0].value == title
    assert at.multiselect(key="compare_models").label == picker
    assert at.multiselect(key="compare_models").value == ["dates-dot"]
    assert any("nope" in unescaped(w.value) for w in at.warning)
    at = in_language(lang, "pages/models.py")
    assert not at.exception, at.exception
    assert at.title[0].value == models_title
    assert column in at.dataframe[0].value.columns
    at = in_language(lang, model="dates-dot", s="26 nov 2026", argmax="yes", beam="9")  # Translate
    assert not at.exception, at.exception
    said = [unescaped(w.value) for w in at.warning]
    assert any(w.startswith(f"{link} argmax=“yes”") for w in said), said
    assert any(w.startswith(f"{link} beam=“9”") for w in said), said


def test_an_odd_language_is_said_once_in_english() -> None:
    """lang= is read through url_choice while the language is not known yet: its message is English and
    said once (asking for the language inside it would read lang= again)."""
    at = in_language("fr")
    assert not at.exception, at.exception
    said = [unescaped(w.value) for w in at.warning if "lang=" in unescaped(w.value)]
    assert said == ["The link's lang=“fr” is not one of en, ko. Using en instead."], said
