"""`register export` opens correctly in Excel in Spanish; `register show` finds a number
however it is typed."""

from __future__ import annotations

import csv
import io

import pytest
from click.testing import CliRunner

from oficios.cli import cli
from oficios.register import Register


@pytest.fixture()
def register(tmp_path):
    path = tmp_path / "registro.sqlite"
    with Register(path, create=True) as db:
        batch = db.open_batch(oficio="MIDEPLAN OF. N° 01-A/264", fecha="2009-02-05",
                              materia="Encuentro", plantilla_sha256="a", nomina_sha256="b",
                              comando="oficios generate", carpeta=str(tmp_path), total=2)
        db.record_letters(batch, [
            ("13120", "Ñuñoa", 2, "AAAA-BBBB-CC", {"pdf": (tmp_path / "n.pdf", "f0", 9)},
             "ORD. N° 12/2026", "Región Metropolitana de Santiago"),
            ("08301", "Los Ángeles", 3, "DDDD-EEEE-FF", {}, "ORD. N° 13/2026", "Región del Biobío")])
    return path


def test_export_is_utf8_with_a_byte_order_mark_and_takes_a_semicolon(register, tmp_path):
    out = tmp_path / "registro.csv"
    result = CliRunner().invoke(cli, ["register", "export", "-o", str(out), "--delimiter", ";",
                                      "--register", str(register)])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert [(r["clave"], r["destinatario"], r["numero"]) for r in rows] == [
        ("13120", "Ñuñoa", "ORD. N° 12/2026"), ("08301", "Los Ángeles", "ORD. N° 13/2026")]
    assert data.decode("utf-8-sig").splitlines()[0].startswith("lote;oficio;version")


def test_export_to_xlsx_writes_a_workbook(register, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "registro.xlsx"
    result = CliRunner().invoke(cli, ["register", "export", "-o", str(out), "--register", str(register)])
    assert result.exit_code == 0 and "2 cartas" in result.output
    sheet = load_workbook(out).active
    values = list(sheet.values)
    assert values[0][:6] == ("lote", "oficio", "version", "fecha", "clave", "destinatario")
    assert values[1][4:6] == ("13120", "Ñuñoa") and len(values) == 3


@pytest.mark.parametrize("typed", ["MIDEPLAN OF. N° 01-A/264", "mideplan of. n° 01-a/264",
                                   "  MIDEPLAN  OF.N°01-A/264 ", "Mideplan Of. Nº 01-A/264"])
def test_show_finds_a_number_whatever_its_case_and_spacing(register, typed):
    result = CliRunner().invoke(cli, ["register", "show", typed, "--register", str(register)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("MIDEPLAN OF. N° 01-A/264 · versión 1")
    assert "N° ORD. N° 12/2026" in result.output and "Los Ángeles" in result.output
