"""A batch's files: reproducible to the byte, the combined PDF, and Ctrl-C leaving nothing broken."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import DATA, ROOT, TEMPLATE
from oficios.pipeline import Job, generate

TEN = DATA / "roster-ten-municipalities.csv"


def hashes(folder: Path) -> dict[str, str]:
    """Every output file's hash, but the register's (it records when things happened)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix != ".sqlite"}


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The ten-municipality roster generated twice: in the pool, then in one process."""
    first, second = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")
    a = generate(Job(template=TEMPLATE, roster=TEN, output=first, workers=2))
    b = generate(Job(template=TEMPLATE, roster=TEN, output=second, workers=1))
    return (first, a), (second, b)


def test_two_runs_give_byte_identical_pdf_docx_and_combined_files(two_runs):
    (first, a), (second, b) = two_runs
    assert hashes(first) == hashes(second)
    # 10 PDF, 10 DOCX, the combined PDF/A, its 3 distribution copies, nómina, manifest, sums.
    assert len(hashes(first)) == 10 + 10 + 1 + 3 + 3


def test_result_hashes_are_the_files_hashes(two_runs):
    (_first, result), _ = two_runs
    for path, digest in result.sha256.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


def test_combined_pdf_has_every_letter_in_roster_order_with_one_bookmark_each(two_runs):
    (_first, result), _ = two_runs
    combined = PdfReader(result.combined)
    letters = [PdfReader(p) for p in result.files["pdf"]]
    nomina_pages = len(combined.pages) - sum(len(r.pages) for r in letters)
    assert nomina_pages == 1
    titles = [item.title for item in combined.outline][:-1]
    assert combined.outline[-1].title == "Nómina de distribución"
    assert titles[:2] == ["01101 Iquique", "05101 Valparaíso"]
    assert "13120 Ñuñoa" in titles and len(titles) == 10
    first_pages = [combined.get_destination_page_number(item) for item in combined.outline][:-1]
    assert first_pages == [2 * i for i in range(10)]
    nunoa = titles.index("13120 Ñuñoa")
    text = combined.pages[first_pages[nunoa]].extract_text()
    assert "ILUSTRE MUNICIPALIDAD DE ÑUÑOA" in text
    assert combined.pages[first_pages[nunoa]].extract_text() == letters[nunoa].pages[0].extract_text()


def test_a_partial_run_does_not_replace_the_combined_pdf(tmp_path):
    result = generate(Job(template=TEMPLATE, roster=TEN, output=tmp_path, only=("13120",)))
    assert result.combined is None
    assert not list(tmp_path.rglob("*combinado*"))


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_a_rerun_completes_with_the_same_files(tmp_path):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "oficios", "generate", "--output", str(out), "--workers", "2"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    pdf_folder = out / "mideplan-01-a-264" / "pdf"
    register = out / "registro-oficina-de-partes.sqlite"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and _recorded_letters(register) < 8:
        time.sleep(0.1)  # Ctrl-C once some letters are written and recorded, mid-batch
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Interrumpido" in stderr and "Traceback" not in stderr
    folder = out / "mideplan-01-a-264"
    assert not list(folder.rglob("*.part"))
    assert not list(folder.glob("*combinado*"))
    written = sorted(pdf_folder.glob("*.pdf"))
    # Letters finished out of roster order were never recorded: they are removed, so every
    # letter left is one the register knows, with the hash of its bytes.
    assert 8 <= len(written) < 345
    with sqlite3.connect(out / "registro-oficina-de-partes.sqlite") as db:
        recorded = dict(db.execute("SELECT ruta, sha256 FROM archivos WHERE formato='pdf'"))
    for pdf in written:
        assert len(PdfReader(pdf).pages) == 2
        assert recorded[str(pdf)] == hashlib.sha256(pdf.read_bytes()).hexdigest()
    before = {p.name: p.read_bytes() for p in written}
    rerun = subprocess.run(command + ["--quiet"], cwd=ROOT, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert len(list(pdf_folder.glob("*.pdf"))) == 345
    assert all((pdf_folder / name).read_bytes() == data for name, data in before.items())
    assert (folder / "mideplan-01-a-264-combinado.pdf").is_file()


@pytest.mark.slow
def test_a_batch_killed_half_way_leaves_a_consistent_register_and_a_rerun_completes_it(tmp_path):
    import sqlite3

    out = tmp_path / "out"
    command = [sys.executable, "-m", "oficios", "generate", "--output", str(out), "--quiet"]
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
    register = out / "registro-oficina-de-partes.sqlite"

    def recorded() -> int:
        if not register.exists():
            return 0
        try:
            with sqlite3.connect(register, timeout=5) as db:
                return db.execute("SELECT COUNT(*) FROM cartas").fetchone()[0]
        except sqlite3.OperationalError:  # the schema is being created
            return 0

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and recorded() < 24:
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)  # no chance to clean up: a power cut
    process.wait(timeout=30)
    with sqlite3.connect(register) as db:
        state, letters = db.execute("SELECT estado, cartas FROM lotes").fetchone()
        half = db.execute("SELECT COUNT(*) FROM cartas").fetchone()[0]
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert state == "incompleto" and 24 <= half < 345
    rerun = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    with sqlite3.connect(register) as db:
        assert db.execute("SELECT COUNT(*), estado, cartas FROM lotes").fetchone() == (1, "completo", 345)
        assert db.execute("SELECT COUNT(*), COUNT(DISTINCT clave) FROM cartas").fetchone() == (345, 345)
        assert db.execute("SELECT COUNT(*) FROM archivos").fetchone()[0] == 690
    folder = out / "mideplan-01-a-264"
    assert not list(folder.rglob("*.part"))
    assert len(list((folder / "pdf").glob("*.pdf"))) == 345


def _recorded_letters(register) -> int:
    """How many letters the register holds (0 while it does not exist or is being created)."""
    if not register.is_file():
        return 0
    try:
        db = sqlite3.connect(f"{register.as_uri()}?mode=ro", uri=True, timeout=1)
        try:
            return db.execute("SELECT COUNT(*) FROM cartas").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0
