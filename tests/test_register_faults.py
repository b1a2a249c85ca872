"""Faults of the machine are reported as such (exit 4 or 5, naming the path), and never
leave a letter that is in no register."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import DATA, ROOT, TEMPLATE
from oficios import register as register_module
from oficios.cli import cli
from oficios.output import LOCK_FILE
from oficios.pipeline import Job, generate
from oficios.register import Register, RegisterError

FOUR = DATA / "roster-four-municipalities.csv"


def _generate(out: Path, *more: str):
    return CliRunner().invoke(cli, ["generate", "--template", str(TEMPLATE), "--roster", str(FOUR),
                                    "--output", str(out), "--workers", "1", "--quiet", *more])


def test_an_output_path_that_is_a_file_is_exit_4_naming_it(tmp_path):
    target = tmp_path / "salida"
    target.write_text("no soy una carpeta")
    result = _generate(target)
    assert result.exit_code == 4, result.output
    assert f"{target}: es un archivo, no una carpeta" in result.output
    assert "--output" in result.output and "Internal error" not in result.output
    assert target.read_text() == "no soy una carpeta"


def test_an_output_folder_that_cannot_be_written_is_exit_4_and_says_what_was_tried():
    result = _generate(Path("/proc/x"))
    assert result.exit_code == 4, result.output
    assert "/proc/x" in result.output and "no se puede escribir la carpeta de salida" in result.output
    assert "--register" not in result.output and "Internal error" not in result.output


def _hold_lock(path: Path, seconds: float) -> subprocess.Popen:
    """Another process that holds the register's write lock for a while."""
    code = (f"import sqlite3, sys, time; db = sqlite3.connect({str(path)!r}, isolation_level=None); "
            f"db.execute('BEGIN IMMEDIATE'); print('locked', flush=True); time.sleep({seconds})")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_register_locked_too_long_says_it_waits_and_for_whom_then_exit_5(tmp_path, monkeypatch):
    path = tmp_path / "registro.sqlite"
    Register(path, create=True).close()
    holder = _hold_lock(path, 20)
    monkeypatch.setattr(register_module, "WAIT_SECONDS", 1.5)
    try:
        started = time.monotonic()
        result = CliRunner().invoke(cli, ["register", "next", "ORD", "--register", str(path)])
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert result.exit_code == 5, result.output
    assert f"Esperando el registro {path}: lo tiene bloqueado el proceso {holder.pid}" in result.output
    assert "sigue bloqueado" in result.output and "después de esperar 2 s" in result.output
    assert 1.4 < waited < 10


def test_a_corrupt_register_is_found_before_anything_is_rendered(tmp_path):
    out = tmp_path / "out"
    assert _generate(out).exit_code == 0
    register = out / "registro-oficina-de-partes.sqlite"
    data = bytearray(register.read_bytes())
    assert len(data) > 4 * 4096
    data[2 * 4096:3 * 4096] = b"\x55" * 4096  # a page in the middle, overwritten
    register.write_bytes(bytes(data))
    for folder in ("pdf", "docx"):
        for file in (out / "mideplan-01-a-264" / folder).iterdir():
            file.unlink()
    result = _generate(out)
    assert result.exit_code == 5, result.output
    assert f"{register}: el registro" in result.output and "Internal error" not in result.output
    assert "quick_check" in result.output or "malformed" in result.output
    assert list((out / "mideplan-01-a-264" / "pdf").iterdir()) == []
    assert list((out / "mideplan-01-a-264" / "docx").iterdir()) == []


class _LockWhenRenderingStarts:
    """A progress reporter that, when rendering starts, has another connection take the
    register's write lock and keep it: the letters cannot be recorded."""

    def __init__(self, path: Path) -> None:
        self.path, self.db = path, None

    def start(self, total: int) -> None:
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("BEGIN IMMEDIATE")

    def advance(self, count: int) -> None:
        pass


@pytest.mark.parametrize("workers", [1, 2])
def test_letters_that_could_not_be_recorded_are_not_left_in_the_folder(tmp_path, monkeypatch,
                                                                        workers):
    monkeypatch.setattr(register_module, "WAIT_SECONDS", 0.5)
    register = tmp_path / "registro.sqlite"
    Register(register, create=True).close()
    locker = _LockWhenRenderingStarts(register)
    with pytest.raises(RegisterError, match="sigue bloqueado"):
        # Ten letters in two chunks: with two workers the second is still being written
        # when recording the first fails.
        generate(Job(template=TEMPLATE, roster=DATA / "roster-ten-municipalities.csv",
                     output=tmp_path, workers=workers, register=register), progress=locker)
    locker.db.close()
    folder = tmp_path / "mideplan-01-a-264"
    assert [p for p in folder.rglob("*") if p.is_file()] == []
    with Register(register, readonly=True) as db:
        assert db.letters() == []


def test_a_rerun_that_cannot_record_removes_only_what_it_wrote_and_the_next_completes(
        tmp_path, monkeypatch):
    """Full batch; two letters changed by hand; a rerun that writes them again and cannot
    record them; the rerun after it. The failed rerun must take away what it wrote that no
    register has, and leave every issued file, byte for byte."""
    import hashlib

    monkeypatch.setattr(register_module, "WAIT_SECONDS", 0.5)
    ten = DATA / "roster-ten-municipalities.csv"
    register = tmp_path / "registro.sqlite"
    job = Job(template=TEMPLATE, roster=ten, output=tmp_path, workers=2, register=register)
    generate(job)
    folder = tmp_path / "mideplan-01-a-264"
    files = sorted(p for p in folder.glob("*/*") if p.suffix in (".pdf", ".docx"))
    issued = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    assert len(files) == 20
    changed = [folder / "pdf" / "13120-nunoa.pdf", folder / "docx" / "08301-los-angeles.docx"]
    for path in changed:
        path.write_bytes(path.read_bytes() + b"x")
    locker = _LockWhenRenderingStarts(register)
    with pytest.raises(RegisterError, match="sigue bloqueado"):
        generate(job, progress=locker)
    locker.db.close()
    left = sorted(p for p in folder.glob("*/*") if p.suffix in (".pdf", ".docx"))
    # Both files of the two letters were written again. A DOCX renders to the same bytes:
    # the register has them, so they stay. A composed PDF shares its fonts with its chunk's
    # other letters: rendered in other company, its bytes are not the issued ones, and it
    # is in no register, so it is gone (the next run writes it again).
    assert set(files) - set(left) == {folder / "pdf" / "13120-nunoa.pdf",
                                      folder / "pdf" / "08301-los-angeles.pdf"}
    assert all(hashlib.sha256(p.read_bytes()).hexdigest() == issued[p] for p in left)

    generate(job)
    again = {p: hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(p for p in folder.glob("*/*") if p.suffix in (".pdf", ".docx"))}
    assert set(again) == set(files)
    assert all(again[p] == issued[p] for p in left)
    with Register(register, readonly=True) as db:
        recorded = {row["pdf"]: row["pdf_sha256"] for row in db.letters()}
        recorded |= {row["docx"]: row["docx_sha256"] for row in db.letters()}
    assert {Path(p): h for p, h in recorded.items()} == again


def test_a_second_generate_on_the_same_output_refuses_naming_the_first(tmp_path):
    folder = tmp_path / "mideplan-01-a-264"
    folder.mkdir()
    code = ("import sys, time; from pathlib import Path; from oficios.output import exclusive_folder\n"
            f"with exclusive_folder(Path({str(folder)!r}), 'oficios generate'):\n"
            "    print('holding', flush=True); time.sleep(30)\n")
    first = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert first.stdout.readline().strip() == "holding"
        started = time.monotonic()
        result = _generate(tmp_path)
        assert time.monotonic() - started < 20
    finally:
        first.kill()
        first.wait()
        first.stdout.close()
    assert result.exit_code == 5, result.output
    assert f"lo está escribiendo el proceso {first.pid} desde las " in result.output
    assert "(oficios generate)" in result.output
    assert not (folder / "pdf").exists()
    # The first process was killed: its lock file is stale and the next run takes it over.
    assert (folder / LOCK_FILE).exists()
    assert _generate(tmp_path).exit_code == 0
    assert not (folder / LOCK_FILE).exists()


def _register_of_3000_letters(tmp_path) -> Path:
    path = tmp_path / "registro.sqlite"
    with Register(path, create=True) as db:
        batch = db.open_batch(oficio="ORD 1/2026", fecha="2026-01-05", materia="Prueba",
                              plantilla_sha256="0", nomina_sha256="0", comando="test",
                              carpeta=str(tmp_path), total=3000)
        db.record_letters(batch, [(f"{n:05}", f"Municipalidad {n}", n + 1, f"CODE-{n:06}", {})
                                  for n in range(3000)])
    return path


@pytest.mark.parametrize("command", ["register show 1", "register list", "register export"])
def test_any_listing_into_a_pipe_closed_early_is_not_an_error(tmp_path, command):
    """`oficios register show 1 | head -1` said "Internal error: BrokenPipeError" (exit 70)."""
    path = _register_of_3000_letters(tmp_path)
    oficios = Path(sys.executable).parent / "oficios"
    run = subprocess.run(["bash", "-o", "pipefail", "-c",
                          f"'{oficios}' {command} --register '{path}' | head -1"],
                         capture_output=True, text=True, cwd=ROOT, env=dict(os.environ))
    assert run.returncode == 0, run.stderr
    assert run.stderr == "" and run.stdout.strip()
    if command == "register export":
        assert run.stdout.startswith("\ufefflote,oficio,version")


def test_a_broken_pipe_that_is_not_standard_output_is_still_reported(tmp_path):
    """Only a reader that went away is quiet: a broken connection elsewhere is a failure."""
    from oficios.cli import reports_errors

    @reports_errors
    def command():
        raise BrokenPipeError(32, "Broken pipe")

    with pytest.raises(SystemExit) as exit_info:
        command()
    assert exit_info.value.code == 70


@pytest.mark.slow
def test_two_clerks_generating_the_same_oficio_at_once_the_second_is_refused(tmp_path):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "oficios", "generate", "--output", str(out), "--workers", "1",
               "--quiet"]
    first = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    lock = out / "mideplan-01-a-264" / LOCK_FILE
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (lock.exists() and lock.stat().st_size):
        time.sleep(0.1)
    time.sleep(2)
    second = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    _stdout, stderr = first.communicate(timeout=600)
    assert first.returncode == 0, stderr
    assert second.returncode == 5, second.stderr
    assert f"lo está escribiendo el proceso {first.pid} desde las " in second.stderr
    assert "Traceback" not in second.stderr and "Internal error" not in second.stderr
    folder = out / "mideplan-01-a-264"
    run = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=folder,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout
    assert len(list((folder / "pdf").glob("*.pdf"))) == 345 and not lock.exists()
