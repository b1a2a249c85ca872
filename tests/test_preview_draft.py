"""A preview is marked as a draft on the page itself and is never recorded as issued."""

from __future__ import annotations

import docx
from click.testing import CliRunner
from pypdf import PdfReader

from conftest import DATA, TEMPLATE
from oficios.cli import cli
from oficios.register import Register

FOUR = DATA / "roster-four-municipalities.csv"


def test_a_preview_says_borrador_on_every_page_has_no_code_and_is_not_registered(tmp_path):
    base = ["--template", str(TEMPLATE), "--roster", str(FOUR), "--output", str(tmp_path)]
    assert CliRunner().invoke(cli, ["generate", *base, "--only", "08301", "--quiet",
                                    "--workers", "1"]).exit_code == 0
    register = tmp_path / "registro-oficina-de-partes.sqlite"
    before = register.read_bytes()
    result = CliRunner().invoke(cli, ["preview", "--only", "13120", *base])
    assert result.exit_code == 0, result.output
    pdf, docx_path = (tmp_path / "mideplan-01-a-264" / "preview" / f"13120-nunoa.{ext}"
                      for ext in ("pdf", "docx"))
    pages = [page.extract_text() for page in PdfReader(pdf).pages]
    assert len(pages) >= 2
    for text in pages:
        assert "BORRADOR" in text
        assert "Código de verificación" not in text
    document = docx.Document(str(docx_path))
    section = document.sections[0]
    assert section.header.paragraphs[0].text.startswith("BORRADOR — MIDEPLAN OF. N° 01-A/264")
    for footer in (section.footer, section.first_page_footer):
        assert footer.paragraphs[0].text.startswith("BORRADOR: sin código de verificación")
    assert register.read_bytes() == before
    with Register(register, readonly=True) as db:
        assert [row["clave"] for row in db.letters()] == ["08301"]
    answer = CliRunner().invoke(cli, ["verify", str(pdf), "--register", str(register)])
    assert answer.exit_code == 1 and answer.output.startswith("NO ESTÁ EN EL REGISTRO")


def test_an_issued_letter_carries_no_draft_mark(tmp_path):
    result = CliRunner().invoke(cli, ["generate", "--template", str(TEMPLATE), "--roster", str(FOUR),
                                      "--output", str(tmp_path), "--only", "13120", "--quiet",
                                      "--workers", "1"])
    assert result.exit_code == 0
    pdf = tmp_path / "mideplan-01-a-264" / "pdf" / "13120-nunoa.pdf"
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "BORRADOR" not in text and "Código de verificación" in text
