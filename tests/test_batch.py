"""The whole mailing, end to end: 345 municipalities, PDF and DOCX, through the CLI."""

from __future__ import annotations

import random

import docx
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

import seed
from conftest import ROSTER, TEMPLATE
from oficios.cli import cli


@pytest.mark.slow
def test_the_whole_roster_becomes_345_pdf_and_345_docx(tmp_path, roster):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["generate", "--template", str(TEMPLATE), "--roster",
                                      str(ROSTER), "--output", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "345 cartas (345 PDF, 345 DOCX)" in result.output
    folder = out / "mideplan-01-a-264"
    pdfs = sorted((folder / "pdf").iterdir())
    docxs = sorted((folder / "docx").iterdir())
    expected = sorted(r["cut"] for r in roster.recipients)
    assert [p.name[:5] for p in pdfs] == expected
    assert [p.name[:5] for p in docxs] == expected
    assert all(p.name.isascii() for p in pdfs + docxs)
    assert not list(folder.rglob("*.part"))
    assert all(p.read_bytes().startswith(b"%PDF-") for p in pdfs)
    by_cut = {r["cut"]: r for r in roster.recipients}
    for pdf in random.Random(264).sample(pdfs, 5):
        recipient = by_cut[pdf.name[:5]]
        text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
        assert f"ILUSTRE MUNICIPALIDAD DE {recipient['municipalidad'].upper()}" in seed.normalize(text)
        assert seed.find_in_order(text, seed.body_sentences() + seed.distribution()) == []
        document = docx.Document(str(folder / "docx" / pdf.with_suffix(".docx").name))
        assert recipient["region"].upper() in "\n".join(p.text for p in document.paragraphs)


def test_worker_processes_start_with_the_libraries_already_imported():
    """The fork server imports PRELOAD once; a misspelled name would be skipped silently and
    every worker would import WeasyPrint again (~0.6 s of CPU each)."""
    from oficios.batch import PRELOAD, process_pool

    with process_pool(1) as pool:
        missing = pool.submit(eval, "[name for name in names if name not in "
                                    "__import__('sys').modules]", {"names": PRELOAD}).result()
    assert missing == []
    assert "weasyprint" in PRELOAD and "pikepdf" in PRELOAD


def test_a_batch_in_one_process_ends_without_noise_on_stderr(tmp_path):
    """With --quiet a whole batch in one process writes nothing to stderr, not even at exit
    (the nómina's fonts are now kept for the process; freed during the interpreter's
    teardown, WeasyPrint's clean-up printed 'Exception ignored … TypeError' once, in a test
    session)."""
    import subprocess
    import sys

    from conftest import DATA

    run = subprocess.run([sys.executable, "-m", "oficios", "generate", "--template",
                          str(TEMPLATE), "--roster", str(DATA / "roster-ten-municipalities.csv"),
                          "--output", str(tmp_path / "out"), "--workers", "1", "--quiet"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
