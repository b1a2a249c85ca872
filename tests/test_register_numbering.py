"""Templates take their number from the register: the number a letter prints is the number
the register keeps, shown by verify, register show and the nómina."""

from __future__ import annotations

import csv
import sqlite3

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from conftest import DATA, TEMPLATE, template_variant
from oficios.cli import cli
from oficios.errors import TemplateError
from oficios.pipeline import Job, generate
from oficios.template import OficioTemplate
from oficios.verify import verify

FOUR = DATA / "roster-four-municipalities.csv"
NUMBERED = 'numero = "ORD. N° {{ correlativo }}/2009"'


def _numbered(tmp_path, unit: str):
    folder = template_variant(tmp_path / unit / TEMPLATE.name,
                              replace=('numero = "MIDEPLAN OF. N° 01-A/264"', NUMBERED))
    with (folder / "oficio.toml").open("a", encoding="utf-8") as f:
        f.write(f'\n[numeracion]\nserie = "ORD"\npor = "{unit}"\n')
    return folder


def _printed(path) -> str:
    return PdfReader(path).pages[0].extract_text()


def test_each_letter_prints_and_the_register_keeps_its_own_correlative_number(tmp_path):
    template = _numbered(tmp_path, "carta")
    out = tmp_path / "out"
    register = out / "registro-oficina-de-partes.sqlite"
    first = generate(Job(template=template, roster=FOUR, output=out, workers=1))
    expected = {"01101": "ORD. N° 1/2009", "08301": "ORD. N° 2/2009",
                "12201": "ORD. N° 3/2009", "13120": "ORD. N° 4/2009"}
    for path in first.files["pdf"]:
        assert expected[path.name[:5]] in _printed(path)
    db = sqlite3.connect(register)
    assert dict(db.execute("SELECT clave, numero FROM cartas")) == expected
    assert "{{" not in "".join(n for (n,) in db.execute("SELECT numero FROM cartas"))
    db.close()
    # A rerun of the batch prints the same numbers and reserves none.
    again = generate(Job(template=template, roster=FOUR, output=out, workers=1))
    assert [p.read_bytes() for p in again.files["pdf"]] == [p.read_bytes() for p in first.files["pdf"]]
    following = CliRunner().invoke(cli, ["register", "next", "ORD", "--year", "2009",
                                         "--register", str(register)])
    assert following.output == "ORD 5/2009\n"
    # Shown by verify, register show and the nómina.
    nunoa = next(p for p in first.files["pdf"] if p.name.startswith("13120"))
    answer = CliRunner().invoke(cli, ["verify", str(nunoa), "--register", str(register)])
    assert "N° impreso ORD. N° 4/2009" in answer.output
    assert verify(nunoa, register).found.numero == "ORD. N° 4/2009"
    shown = CliRunner().invoke(cli, ["register", "show", "1", "--register", str(register)])
    assert "13120" in shown.output and "N° ORD. N° 4/2009" in shown.output
    with (first.folder / "nomina.csv").open(encoding="utf-8") as f:
        assert {r["clave"]: r["numero"] for r in csv.DictReader(f)} == expected
    nomina = "".join(p.extract_text() for p in PdfReader(first.combined).pages[-1:])
    assert "ORD. N° 3/2009" in nomina


def test_one_number_per_batch_when_the_template_says_lote(tmp_path):
    template = _numbered(tmp_path, "lote")
    out = tmp_path / "out"
    CliRunner().invoke(cli, ["register", "init", "--register", str(out / "r.sqlite")])
    CliRunner().invoke(cli, ["register", "next", "ORD", "--year", "2009", "--register",
                             str(out / "r.sqlite")])  # number 1 taken by hand
    result = generate(Job(template=template, roster=FOUR, output=out, workers=1,
                          register=out / "r.sqlite", only=("13120", "08301")))
    for path in result.files["pdf"]:
        assert "ORD. N° 2/2009" in _printed(path)
    db = sqlite3.connect(out / "r.sqlite")
    assert [n for (n,) in db.execute("SELECT numero FROM cartas")] == ["ORD. N° 2/2009"] * 2
    assert db.execute("SELECT COUNT(*) FROM numeros").fetchone()[0] == 2
    db.close()


def test_correlativo_without_numeracion_is_a_template_error(tmp_path):
    folder = template_variant(tmp_path / "t", replace=('numero = "MIDEPLAN OF. N° 01-A/264"', NUMBERED))
    with pytest.raises(TemplateError, match=r"usa \{\{ correlativo \}\} pero no tiene \[numeracion\]"):
        OficioTemplate(folder)


def test_a_preview_of_a_numbered_template_prints_no_number(tmp_path):
    template = _numbered(tmp_path, "carta")
    result = CliRunner().invoke(cli, ["preview", "--only", "13120", "--template", str(template),
                                      "--roster", str(FOUR), "--output", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    pdf = tmp_path / "out" / "mideplan-01-a-264" / "preview" / "13120-nunoa.pdf"
    assert "ORD. N° S/N/2009" in _printed(pdf)
    assert not (tmp_path / "out" / "registro-oficina-de-partes.sqlite").exists()
