"""`--map` and forgiving headers on the command line: generate, check and preview."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

import seed
from conftest import DATA, TEMPLATE
from oficios.cli import cli


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_check_says_which_column_is_missing_and_map_names_it():
    roster = str(DATA / "roster-region-under-another-name.csv")
    result = run("check", "--template", str(TEMPLATE), "--roster", roster)
    assert result.exit_code == 3
    assert "no tiene una columna 'region'" in result.output
    result = run("check", "--template", str(TEMPLATE), "--roster", roster,
                 "--map", "region=NOMBRE REGIÓN")
    assert result.exit_code == 0, result.output
    assert "para los 2 destinatarios" in result.output


def test_preview_with_map_writes_the_mapped_values(tmp_path):
    result = run("preview", "--only", "13120", "--template", str(TEMPLATE), "--roster",
                 str(DATA / "roster-map-region-column.csv"), "--output", str(tmp_path),
                 "--format", "pdf", "--map", "region=REGIÓN_NOMBRE")
    assert result.exit_code == 0, result.output
    [pdf] = result.output.split()
    text = seed.normalize(PdfReader(pdf).pages[0].extract_text())
    assert "ÑUÑOA REGIÓN METROPOLITANA DE SANTIAGO" in text


def test_generate_reads_headers_whatever_their_case_and_accents(tmp_path):
    result = run("generate", "--template", str(TEMPLATE), "--roster",
                 str(DATA / "roster-headers-case-accents-spacing.csv"), "--output", str(tmp_path),
                 "--format", "pdf", "--workers", "1", "--only", "13120")
    assert result.exit_code == 0, result.output
    [pdf] = (tmp_path / "mideplan-01-a-264" / "pdf").glob("13120-*.pdf")
    text = seed.normalize(PdfReader(pdf).pages[0].extract_text())
    assert "A : Sra. ANA PÉREZ ALCALDESA ILUSTRE MUNICIPALIDAD DE ÑUÑOA" in text


@pytest.mark.parametrize("value, message", [
    ("region", "'region' no tiene la forma NOMBRE=COLUMNA"),
    ("=REGION", "'=REGION' no tiene la forma NOMBRE=COLUMNA"),
    ("region=NO_EXISTE", ("--map region=NO_EXISTE: no hay una columna 'NO_EXISTE'; columnas "
                          "encontradas: cut, municipalidad, REGIÓN_NOMBRE, Región")),
])
def test_a_bad_map_is_one_clear_message(tmp_path, value, message):
    result = run("generate", "--template", str(TEMPLATE), "--roster",
                 str(DATA / "roster-map-region-column.csv"), "--output", str(tmp_path / "out"),
                 "--map", value)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_the_same_name_mapped_twice_is_refused():
    result = run("check", "--map", "region=A", "--map", "region=B")
    assert result.exit_code == 2 and "'region' se asigna dos veces" in result.output
