"""A rerun never rewrites a letter the batch already issued: the copy that left still verifies.

Composed letters share fonts within their chunk of the batch, so a letter rendered again in
another company (a partial run) could differ by a byte; the register must keep naming the
file that was issued.
"""

from __future__ import annotations

import hashlib

from click.testing import CliRunner

from conftest import DATA, TEMPLATE
from oficios.cli import cli

TEN = DATA / "roster-ten-municipalities.csv"


def _hashes(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.pdf")) + sorted(folder.rglob("*.docx"))}


def _run(*args):
    return CliRunner().invoke(cli, [*args], catch_exceptions=False)


def test_full_batch_then_partial_runs_keep_every_issued_file_and_its_verification(tmp_path):
    out = tmp_path / "salida"
    common = ["--template", str(TEMPLATE), "--roster", str(TEN), "--output", str(out), "-q"]
    assert _run("generate", *common).exit_code == 0
    folder = out / "mideplan-01-a-264"
    sent = folder / "pdf" / "13120-nunoa.pdf"
    copy_that_left = tmp_path / "enviada.pdf"
    copy_that_left.write_bytes(sent.read_bytes())
    before = _hashes(folder / "pdf") | _hashes(folder / "docx")

    # The same command again, then a partial run of one letter, then of two.
    assert _run("generate", *common).exit_code == 0
    assert _run("generate", *common, "--only", "13120").exit_code == 0
    assert _run("generate", *common, "--only", "13120,08301").exit_code == 0
    assert _hashes(folder / "pdf") | _hashes(folder / "docx") == before

    register = out / "registro-oficina-de-partes.sqlite"
    answer = _run("verify", str(copy_that_left), "--register", str(register))
    assert answer.exit_code == 0 and answer.output.startswith("VERIFICADO"), answer.output


def test_a_letter_file_changed_by_hand_is_written_again_as_issued(tmp_path):
    out = tmp_path / "salida"
    common = ["--template", str(TEMPLATE), "--roster", str(TEN), "--output", str(out), "-q"]
    assert _run("generate", *common).exit_code == 0
    letter = out / "mideplan-01-a-264" / "pdf" / "13120-nunoa.pdf"
    issued = letter.read_bytes()
    letter.write_bytes(issued[:-1] + b"x")
    register = out / "registro-oficina-de-partes.sqlite"
    assert _run("verify", str(letter), "--register", str(register)).exit_code == 7
    assert _run("generate", *common, "--only", "13120").exit_code == 0
    answer = _run("verify", str(letter), "--register", str(register))
    assert answer.exit_code == 0, answer.output
