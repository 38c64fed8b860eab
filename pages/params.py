"""Query parameters: every value a link carries is read here, and an odd one falls back or is clamped,
with a message saying so (a link is typed, pasted or cut short by people; it never raises)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TypeVar

import streamlit as st

from attnviz.i18n import _
from pages.text import md

T = TypeVar("T")

_INT = re.compile(r"[+-]?[0-9]{1,12}")  # ascii digits only: "²" and "٣" are digits to str.isdigit
_FLOAT = re.compile(r"[+-]?([0-9]{1,12}(\.[0-9]{0,12})?|\.[0-9]{1,12})([eE][+-]?[0-9]{1,3})?")
_SHOWN = 120  # characters of an odd value quoted in a message (a link can carry 5,000 digits)


def _shown(value: str) -> str:
    return value if len(value) <= _SHOWN else value[: _SHOWN - 20] + "…"


def _warn(name: str, value: str, problem: str, instead: str, **numbers: object) -> None:
    """One message for every odd value: what the link said and what is wrong with it (`problem`, a
    translated sentence with {name}, {value} and `numbers`' fields), then what is shown instead (a
    translated sentence, shown as written)."""
    st.warning(md(problem, name=name, value=_shown(value), **numbers) + " " + md("{}", instead))


def _number(value: str) -> float | None:
    """A plain decimal number written in ascii, or None (nan, inf, 1e400, "1_0" and "²" are not)."""
    if not _FLOAT.fullmatch(value):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def url_int(
    name: str, default: int, lo: int, hi: int, *, clamp: bool = True, instead: str | None = None
) -> int:
    """A whole number from the URL in [lo, hi]: a missing one is `default`; one out of range is clamped
    (or, with clamp=False, `default`); anything else is `default`. Odd values are said."""
    value = st.query_params.get(name)
    if value is None:
        return default
    if not _INT.fullmatch(value):
        long = re.fullmatch(r"[+-]?[0-9]+", value) is not None
        problem = (
            _("The link's {name}=“{value}” has too many digits.")
            if long
            else _("The link's {name}=“{value}” is not a whole number.")
        )
        _warn(name, value, problem, instead or _("Using {number} instead.").format(number=default))
        return default
    number = int(value)
    if lo <= number <= hi:
        return number
    nearest = min(max(number, lo), hi) if clamp else default
    _warn(
        name,
        value,
        _("The link's {name}=“{value}” is not between {lo} and {hi}."),
        instead or _("Using {number} instead.").format(number=nearest),
        lo=lo,
        hi=hi,
    )
    return nearest


def url_float(name: str, default: float, lo: float, hi: float) -> float:
    """A finite number from the URL in [lo, hi]: a missing one is `default`, one out of range is
    clamped, anything else (nan, inf, 1e400, text, blank) is `default`. Odd values are said."""
    value = st.query_params.get(name)
    if value is None:
        return default
    number = _number(value)
    if number is None:
        _warn(
            name,
            value,
            _("The link's {name}=“{value}” is not a finite number."),
            _("Using {number} instead.").format(number=f"{default:g}"),
        )
        return default
    if lo <= number <= hi:
        return number
    nearest = min(max(number, lo), hi)
    _warn(
        name,
        value,
        _("The link's {name}=“{value}” is not between {lo} and {hi}."),
        _("Using {number} instead.").format(number=f"{nearest:g}"),
        lo=f"{lo:g}",
        hi=f"{hi:g}",
    )
    return nearest


def url_flag(name: str) -> bool:
    """An on/off choice from the URL ("1" or "0"); a missing one is off, anything else is said and off."""
    value = st.query_params.get(name, "0")
    if value not in ("0", "1"):
        _warn(name, value, _("The link's {name}=“{value}” is not 0 or 1."), _("It is off."))
    return value == "1"


def url_choice(name: str, options: Sequence[T], default: T) -> T:
    """One of `options` from the URL, matched by its text (numbers also by value: "1.0" is 1); a missing
    one is `default`, anything else is said and `default`."""
    value = st.query_params.get(name)
    if value is None:
        return default
    for option in options:
        if value == str(option):
            return option
    number = _number(value)
    if number is not None:
        for option in options:
            if isinstance(option, int | float) and not isinstance(option, bool) and option == number:
                return option
    listed = ", ".join(str(o) for o in options)
    _warn(
        name,
        value,
        _("The link's {name}=“{value}” is not one of {listed}."),
        _("Using {number} instead.").format(number=default),
        listed=listed,
    )
    return default
