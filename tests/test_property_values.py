"""Any text in a roster gives a valid PDF and DOCX holding it, or a clear error: never a traceback.

Hypothesis writes arbitrary Unicode (accents, right-to-left scripts, emoji, NUL and other
controls, quotes and delimiters) into a real CSV with the csv module, and the roster, merge
and both renderers take it from there.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from pathlib import Path

import docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oficios.errors import OficiosError
from oficios.markdown import collapse
from conftest import load_roster
from oficios.roster import clean_value

PIECES = [
    "Ñuñoa", "Región del Biobío", "O'Higgins", "مرحبا بالعالم", "שלום עולם", "😀👍🏽🇨🇱",
    "\x00", "\x0b", "\u200f", "\u202e", "e\u0301", "<b>", "{{ 7*7 }}", "**", "# ", "&amp;",
    '"', ";", ",", "\t", "\n", "\\", "ǅ", "ß", "ﬁ", "\u00a0", "\ufeff", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
]
# Short runs of any character (surrogates excluded: they cannot be written to a file)
# mixed with pieces that have broken things elsewhere.
TEXT = st.lists(st.one_of(st.text(max_size=8), st.sampled_from(PIECES)), max_size=6).map("".join)
COLUMNS = ("municipalidad", "region", "alcalde")


@pytest.fixture(scope="module")
def tools(template):
    """One merger and one renderer of each format, reused by every example."""
    from oficios.merge import Merger
    from oficios.render_docx import DocxRenderer
    from oficios.render_pdf import PdfRenderer

    return Merger(template), PdfRenderer(template.folder), DocxRenderer()


@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(values=st.fixed_dictionaries({c: TEXT for c in COLUMNS}))
def test_any_text_gives_files_that_hold_it_or_a_clear_error(tools, values):
    merger, pdf_renderer, docx_renderer = tools
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "roster.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows([["cut", *COLUMNS], ["13120", *(values[c] for c in COLUMNS)]])
        try:
            roster = load_roster(path, required=("municipalidad", "region"),
                                 optional=("alcalde", "genero"))
        except OficiosError as error:
            _assert_clear(error, path)
            return
    recipient = roster.recipients[0]
    for column, value in values.items():
        assert recipient[column] == clean_value(value)
    letter = merger.merge(recipient, path)
    docx_text = _docx_text(docx_renderer.render(letter))
    pdf_text = _squeeze(_pdf_text(pdf_renderer.render(letter)))
    for column in COLUMNS:
        shown = collapse(recipient[column]).upper()
        assert shown in docx_text
        # Text extraction cannot give every glyph back in typed order, but the value's runs of
        # ASCII letters and of digits must be there (upper case, in the A block). Digits and
        # letters are apart: after Arabic, "0A" is shown as "0" in the right-to-left run, then
        # "A". And pdfium reverses a line it takes for right-to-left, Latin letters included.
        for word in re.findall(r"[A-Z]+|[0-9]+", shown):
            assert word in pdf_text or word[::-1] in pdf_text


def _assert_clear(error: OficiosError, path: Path) -> None:
    errors = getattr(error, "errors", [error])
    for e in errors:
        assert e.file == str(path) and e.row == 2 and e.column in COLUMNS and e.hint, e.format()


def _docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    return "\n".join(p.text for p in document.paragraphs)


def _pdf_text(data: bytes) -> str:
    # pdfium, not pypdf: pypdf misreads the text of fallback fonts (emoji, Arabic) as UTF-16.
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def _squeeze(text: str) -> str:
    return "".join(text.split())
