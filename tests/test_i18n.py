"""The Korean/English interface: every string the translated files wrap has a Korean translation, the
browser's locale picks the first language, and the app runs in both and keeps the choice across pages."""

from __future__ import annotations

import re

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from streamlit.testing.v1 import AppTest

from attnviz import i18n
from attnviz.i18n import catalogue_path, pick, translations
from pages.loading import ROOT

# The files whose user-visible strings all go through `_()`; a later session adds each page it translates.
TRANSLATED = (
    "app.py",
    "attnviz/checks.py",
    "attnviz/evaluate.py",
    "attnviz/explain.py",
    "attnviz/figstyle.py",
    "attnviz/jobs.py",
    "attnviz/plots.py",
    "attnviz/recipes.py",
    "attnviz/stepfig.py",
    "attnviz/tasks/__init__.py",
    "attnviz/tasks/base.py",
    "attnviz/tasks/bible.py",
    "attnviz/tasks/dates.py",
    "attnviz/tasks/ding.py",
    "attnviz/tasks/g2p.py",
    "attnviz/tasks/koen.py",
    "attnviz/tasks/reverse.py",
    "attnviz/tasks/tsv.py",
    "attnviz/watch.py",
    "attnviz/words.py",
    "pages/alignment.py",
    "pages/bottleneck.py",
    "pages/compare.py",
    "pages/corpus.py",
    "pages/lang.py",
    "pages/layout.py",
    "pages/lecture.py",
    "pages/models.py",
    "pages/params.py",
    "pages/step.py",
    "pages/train.py",
    "pages/translate.py",
    "pages/widgets.py",
    "pages/whatif.py",
)
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}  # as pybabel extract -k _ -k N_ -k ngettext:1,2
PLACEHOLDER = re.compile(r"\{[^{}]*\}")  # a str.format field: {}, {name}, {score:.3f}


def extracted() -> dict[str | tuple[str, ...], list[str]]:
    """Every message wrapped in the translated files, with where it is (file:line)."""
    found: dict[str | tuple[str, ...], list[str]] = {}
    for path in TRANSLATED:
        for lineno, message, _comments, _context in extract_from_file("python", ROOT / path, KEYWORDS):
            found.setdefault(message, []).append(f"{path}:{lineno}")
    return found


def korean():
    with catalogue_path("ko").open("rb") as po:
        return read_po(po, locale="ko", domain=i18n.DOMAIN)


def forms(text: str | tuple[str, ...]) -> tuple[str, ...]:
    return text if isinstance(text, tuple) else (text,)


def test_every_wrapped_string_has_a_korean_translation():
    catalogue = korean()
    untranslated = []
    for msgid, where in extracted().items():
        entry = catalogue.get(msgid)
        if entry is None or entry.fuzzy or not all(forms(entry.string)):
            untranslated.append(f"{', '.join(where)}: {msgid!r}")
    assert not untranslated, "no Korean translation (extract, then update the .po):\n" + "\n".join(
        untranslated
    )


def test_every_translation_keeps_the_placeholders_of_its_message():
    wrong = []
    for entry in korean():
        if not entry.id:
            continue  # the header
        wanted = {p for text in forms(entry.id) for p in PLACEHOLDER.findall(text)}
        for text in forms(entry.string):
            if text and set(PLACEHOLDER.findall(text)) != wanted:
                wrong.append(f"{entry.id!r} -> {text!r}")
    assert not wrong, "a translation has other {placeholders} than its message:\n" + "\n".join(wrong)


def test_fuzzy_translations_are_not_shown(tmp_path, monkeypatch):
    po = tmp_path / "ko" / "LC_MESSAGES" / "attnviz.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Model"\nmsgstr "모델"\n\n#, fuzzy\nmsgid "Sentence"\nmsgstr "문장"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    translations.cache_clear()
    try:
        ko = translations("ko")
        assert (ko.gettext("Model"), ko.gettext("Sentence")) == ("모델", "Sentence")
    finally:
        translations.cache_clear()


def test_an_unknown_language_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="en, ko"):
        translations("fr")


@pytest.mark.parametrize(
    ("locale", "lang"),
    [
        ("ko", "ko"),
        ("ko-KR", "ko"),
        ("ko_KR.UTF-8", "ko"),
        ("KO-kr", "ko"),
        ("ko-KR,ko;q=0.9,en;q=0.8", "ko"),
        ("en-US", "en"),
        ("en-US,ko;q=0.9", "en"),  # the first preference counts
        ("kok-IN", "en"),  # Konkani, not Korean
        ("de_DE.UTF-8", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_pick_chooses_korean_for_a_korean_locale_only(locale, lang):
    assert pick(locale) == lang


def run(page: str | None = None, context: dict | None = None, **query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update(query)
    at.context.update(context or {})
    if page:
        at.run()
        at.switch_page(page)
    return at.run()


def sidebar_labels(at: AppTest) -> list[str]:
    return [
        at.sidebar.selectbox(key="model").label,
        at.sidebar.select_slider(key="beam").label,
        at.sidebar.radio(key="image_format").label,
        at.sidebar.toggle(key="present").label,
    ]


ENGLISH = ["Model", "Decoding", "Chart downloads", "Presentation mode"]


def test_the_translate_page_in_korean():
    at = run(lang="ko")
    assert not at.exception
    assert at.title[0].value == "번역"
    assert sidebar_labels(at) == ["모델", "디코딩", "차트 다운로드", "발표 모드"]
    assert "번역 결과" in [c.value for c in at.caption]
    assert [e.label for e in at.expander][:2] == ["표로 보기", "표로 보기"]
    assert at.sidebar.selectbox(key="language").label == "Language · 언어"  # findable in either language
    assert at.query_params["lang"] == "ko"


def test_the_translate_page_in_english_is_as_before():
    at = run(lang="en")
    assert not at.exception
    assert at.title[0].value == "Translate"
    assert sidebar_labels(at) == ENGLISH
    assert "Translation" in [c.value for c in at.caption]
    assert [e.label for e in at.expander][:2] == ["Show as table", "Show as tables"]


def test_the_browser_locale_picks_the_first_language_and_the_url_overrides_it():
    assert run(context={"locale": "ko-KR"}).title[0].value == "번역"
    assert run(context={"locale": "ko-KR"}, lang="en").title[0].value == "Translate"
    assert run(context={"locale": "en-GB"}).title[0].value == "Translate"


def test_an_odd_language_in_the_url_falls_back_to_english_and_says_so():
    at = run(lang="fr")
    assert not at.exception
    assert at.title[0].value == "Translate" and at.query_params["lang"] == "en"
    assert any("lang=“fr”" in w.value for w in at.warning)


def test_the_sidebar_switch_changes_the_language_and_the_url():
    at = run(lang="ko")
    at.sidebar.selectbox(key="language").set_value("en").run()
    assert not at.exception
    assert at.title[0].value == "Translate" and sidebar_labels(at) == ENGLISH
    assert at.query_params["lang"] == "en"


def test_a_language_switch_keeps_the_chosen_hypothesis():
    at = run(lang="en", model="dates-dot", s="26 nov 2026", beam="5")
    at.radio(key="hyp").set_value(2).run()
    at.sidebar.selectbox(key="language").set_value("ko").run()
    at.run()  # reads back the radio as drawn in Korean
    assert not at.exception
    assert at.radio(key="hyp").value == 2 and "점수" in at.radio(key="hyp").options[2]


def test_the_language_survives_a_page_change():
    at = run(lang="ko")
    at.query_params.clear()  # a page change drops the URL's parameters
    at.switch_page("pages/step.py").run()
    assert not at.exception
    assert sidebar_labels(at)[0] == "모델"
    assert at.sidebar.selectbox(key="language").value == "ko"
    assert at.query_params["lang"] == "ko"  # and the new page's link carries it again


@pytest.mark.parametrize(
    "page",
    [
        "pages/translate.py",
        "pages/step.py",
        "pages/lecture.py",
        "pages/alignment.py",
        "pages/corpus.py",
        "pages/compare.py",
        "pages/bottleneck.py",
        "pages/train.py",
        "pages/models.py",
    ],
)
def test_every_page_runs_in_korean(page):
    at = run(page, lang="ko")
    assert not at.exception, at.exception


def test_package_text_speaks_the_resolver_s_language_and_english_without_one(monkeypatch):
    monkeypatch.setattr(i18n, "_resolver", lambda: "ko")
    assert (i18n._("Model"), i18n.active()) == ("모델", "ko")
    monkeypatch.setattr(i18n, "_resolver", lambda: None)  # the CLI, or a library caller
    assert (i18n._("Model"), i18n.active()) == ("Model", "en")
    monkeypatch.setattr(i18n, "_resolver", lambda: "fr")  # never an error from a bad choice
    assert i18n._("Model") == "Model"


def test_outside_a_script_run_the_session_resolver_says_english():
    import pages.lang

    assert pages.lang._session_language() is None
    assert pages.lang._("Model") == "Model"


def test_a_model_card_in_korean_says_the_same_numbers_as_its_english_readme(monkeypatch):
    """The Models page in Korean writes each card again from the same metrics.json; README.md (what
    `attnviz evaluate` wrote, in English) is the card of the English page."""
    from attnviz.checkpoint import load_model
    from attnviz.evaluate import model_card

    bundle = load_model(ROOT / "models" / "de-en-dot")
    english = (ROOT / "models" / "de-en-dot" / "README.md").read_text(encoding="utf-8")
    monkeypatch.setattr(i18n, "_resolver", lambda: "ko")
    korean = model_card(bundle, bundle.metrics)
    assert "## 얼마나 좋은가" in korean and "## How good it is" not in korean

    def facts(card: str) -> list[str]:
        """The numbers of the card's tables and its list of facts (its prose may say 17k as 1만 7천)."""
        rows = [line for line in card.splitlines() if line.startswith(("|", "- "))]
        return re.findall(r"\d+(?:[.,]\d+)*", "\n".join(rows))

    assert facts(korean) == facts(english) and len(facts(english)) > 20  # only the words differ


def test_the_models_page_in_korean_shows_korean_cards():
    at = run("pages/models.py", lang="ko")
    assert not at.exception, at.exception
    cards = " ".join(m.value for m in at.markdown)
    assert "얼마나 좋은가" in cards and "독일어 문장을 영어로 번역합니다" in cards
