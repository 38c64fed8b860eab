"""The interface's languages: gettext message catalogues (English in the code, Korean in a .po file).

Text is translated where it is made, pages and package alike: `from attnviz.i18n import _` (and
`ngettext`; `N_` marks a string in a record, such as a task's title, that is translated where it is
shown). Which language `_` speaks is asked of a resolver the app registers (`use_language`: the
Streamlit session's choice, read on every call, so fragments and threads need no setup); without one,
as in the CLI and the library, it is English.

The .po file is compiled in memory with Babel when first needed, so no compiled .mo file is kept in the
repository. To add or change a string: wrap it in `_()` in the code, then

    pybabel extract --no-default-keywords -k _ -k N_ -k ngettext:1,2 --sort-by-file -w 100 \\
        --project attnviz --copyright-holder attnviz -o attnviz/locale/attnviz.pot \\
        app.py pages/*.py attnviz/*.py attnviz/tasks/*.py
    pybabel update -i attnviz/locale/attnviz.pot -d attnviz/locale -D attnviz -w 100

and translate the new entries of attnviz/locale/ko/LC_MESSAGES/attnviz.po (tests/test_i18n.py lists
the files and fails on any entry without a Korean translation).
"""

from __future__ import annotations

import functools
import gettext
import re
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("en", "ko")  # English first: the msgids are the English text, and the fallback
DOMAIN = "attnviz"
LOCALE_DIR = Path(__file__).parent / "locale"


def catalogue_path(lang: str) -> Path:
    """Where the .po file of `lang` lives: attnviz/locale/<lang>/LC_MESSAGES/attnviz.po."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """The translations of `lang`, read once per process. English needs no catalogue: its msgids are the
    text itself. Fuzzy entries are left out, so a guessed translation shows the English instead."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; the interface has {', '.join(LANGUAGES)}")
    if lang == "en":
        return gettext.NullTranslations()
    with catalogue_path(lang).open("rb") as po:
        catalogue = read_po(po, locale=lang, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalogue, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def pick(accept: str | None) -> str:
    """The interface language for a browser's or system's locale ("ko", "ko-KR", "ko_KR.UTF-8", or an
    Accept-Language list, whose first entry counts): Korean for Korean, English for anything else."""
    if not accept:
        return "en"
    first = accept.split(",")[0]
    primary = re.split(r"[-_.;@]", first.strip(), maxsplit=1)[0].lower()
    return "ko" if primary == "ko" else "en"


_resolver: Callable[[], str | None] = lambda: None  # noqa: E731 - replaced by use_language


def use_language(resolver: Callable[[], str | None]) -> None:
    """Have `_` ask `resolver` for the language on every call; None from it means English."""
    global _resolver
    _resolver = resolver


def active() -> str:
    """The language `_` speaks now."""
    lang = _resolver()
    return lang if lang in LANGUAGES else "en"


def _(message: str) -> str:
    """`message` (English) in the active language."""
    return translations(active()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a message for `n`, in the active language."""
    return translations(active()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks `message` for extraction only; it is translated with `_` where it is shown."""
    return message
