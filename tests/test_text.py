"""pages/text.py: escaping for Streamlit's Markdown and download names, without running a page."""

import dataclasses
import re
import subprocess
import sys

from attnviz import search
from pages.loading import ROOT
from pages.text import download_name, literal, md, pharaoh_file, slug


def test_the_module_needs_no_streamlit():
    """Why the module exists apart: its helpers can be used and tested outside a Streamlit run."""
    code = "import sys, pages.text; sys.exit('streamlit' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_literal_puts_a_value_on_one_line_and_escapes_what_markdown_reads():
    assert literal("# Title\n- item") == r"\# Title \- item"  # no heading, no list: one line of text
    assert literal("$x$ *a* [b](c)") == r"\$x\$ \*a\* \[b\]\(c\)"
    assert literal(42) == "42"


def test_md_escapes_every_value_but_keeps_numbers_and_the_template():
    assert md("**{}** at {:.1f}", "*you*", 1.234) == r"**\*you\*** at 1.2"  # template bold, value literal
    assert md("{n} pieces, {name}", n=3, name="a_b") == r"3 pieces, a\_b"


def test_slug_is_a_short_safe_file_name_piece():
    assert slug("Hello, World!") == "hello-world"
    assert slug("---") == slug("안녕") == "sentence"  # never empty
    cut = slug("ab " * 30, limit=10)
    assert len(cut) <= 10 and not cut.endswith("-")


def test_download_names_and_the_pharaoh_header_stay_one_line_each(tiny_bundle):
    trace = search.translate(tiny_bundle("dot"), "abc def")
    trace = dataclasses.replace(trace, source="abc\ndef", source_pieces=(" ",) + trace.source_pieces[1:])
    assert download_name(trace, "json") == "attnviz-tiny-dot-abc-def.json"
    lines = pharaoh_file(trace).splitlines()
    # A tool reads every line without "#" as links: a newline in the sentence must not make one.
    assert [line for line in lines if not line.startswith("#")] == [trace.pharaoh()]
    assert "# source: abc def" in lines
    source = next(line for line in lines if line.startswith("# source pieces: "))
    assert source.split()[3] == "0:_"  # a blank piece is still one label, so the indices stay countable
    assert all(re.fullmatch(r"\d+-\d+", link) for link in trace.pharaoh().split())
