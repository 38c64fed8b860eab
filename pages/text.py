"""Text that goes on a page or into a file name: escaping for Streamlit's Markdown, and download names.

Plain functions of strings and traces (no Streamlit), so they are unit-tested without running a page.
"""

from __future__ import annotations

import re
import string
import unicodedata

from attnviz.trace import Trace

_MARKDOWN_SPECIAL = frozenset(string.punctuation)  # CommonMark lets a backslash escape any of these
_WORD_JOINER = "\u2060"  # invisible and zero-width: it splits what Streamlit would match in plain text
# Streamlit rewrites some patterns in the text *after* Markdown's escapes are resolved, so a backslash
# cannot stop them: bare URLs and e-mail addresses become links (GFM autolinks), :smile: and :streamlit:
# become an emoji or an <img>, and " -> ", " <= ", " -- " ... become arrows and dashes. A word joiner
# inside each such pattern breaks the match and leaves the text looking the same.
_BROKEN_UP = [
    (re.compile(r"[:@]"), lambda m: m[0] + _WORD_JOINER),  # https:, mailto:, :smile:, me@example
    (re.compile(r"(?i)(?<=www)(?=\.)"), lambda m: _WORD_JOINER),  # www.example.com
    (re.compile(r"(?<=[<>~-])(?=[<>=-])"), lambda m: _WORD_JOINER),  # -> <- <-> -- >= <= ~=
]


_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def sub(number: int) -> str:
    """A number in Unicode subscript digits, for formulas in plain text: sub(12) == "₁₂"."""
    return str(number).translate(_SUBSCRIPT)


def literal(text: object) -> str:
    """`text` escaped so that Streamlit's Markdown shows it as typed: no link (bare URLs included),
    image, emphasis, LaTeX ($), colour (:red[...]), emoji or icon (:smile:), heading, arrow or HTML.
    Every character of ASCII punctuation gets a backslash, which CommonMark defines as that character
    itself; newlines become spaces so a value cannot start a block of its own; a word joiner (U+2060,
    invisible) breaks the patterns Streamlit replaces after escapes are gone (see `_BROKEN_UP`)."""
    text = " ".join(str(text).splitlines())
    for pattern, insert in _BROKEN_UP:
        text = pattern.sub(insert, text)
    return "".join("\\" + c if c in _MARKDOWN_SPECIAL else c for c in text)


def md(template: str, *args: object, **values: object) -> str:
    """A message for st.warning / st.info / st.markdown ...: the template is ours (it may use Markdown),
    every value put into it is shown literally (see `literal`). Use it for any text a user controls:
    sentences, file names, model names, URL parameters, lines quoted from an upload. Numbers stay numbers,
    so `{:.2f}` works; `{!r}` would quote the escaped text - write the quotes in the template instead."""

    def safe(value: object) -> object:
        return value if isinstance(value, int | float) else literal(value)

    return template.format(*(safe(a) for a in args), **{k: safe(v) for k, v in values.items()})


def slug(text: str, limit: int = 40) -> str:
    """`text` as a safe piece of a file name: ASCII letters, digits and single dashes, at most `limit`
    characters, never empty (no path separators, no dots, nothing a file system or a shell reads)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cut = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-")[:limit].strip("-")
    return cut.lower() or "sentence"


def download_name(trace: Trace, ext: str) -> str:
    """What a download of this trace is called: attnviz-<model>-<sentence>.<ext>."""
    return f"attnviz-{slug(trace.model)}-{slug(trace.source)}.{ext}"


def pharaoh_file(trace: Trace) -> str:
    """The alignment file: a header of comment lines naming the model and the pieces the indices count
    (from 0), then the plain Pharaoh line "i-j ..." (source piece i, target piece j) that tools read."""

    def pieces(labels: tuple[str, ...]) -> str:
        return " ".join(f"{i}:{' '.join(p.split()) or '_'}" for i, p in enumerate(labels))

    head = [
        "# attnviz alignment, Pharaoh format: i-j = source piece i aligned to target piece j (argmax)",
        f"# model: {trace.model} ({trace.attention} attention)",
        f"# source: {' '.join(trace.source.split())}",
        f"# source pieces: {pieces(trace.source_pieces)}",
        f"# target pieces: {pieces(trace.target_pieces)}",
    ]
    return "\n".join(head) + "\n" + trace.pharaoh() + "\n"
