"""The roster: the bundled 345 municipalities, and rosters with mistakes a user can fix."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest

from conftest import DATA, ROOT, ROSTER
from oficios.errors import ErrorList, RosterError
from conftest import load_roster


def test_bundled_roster_has_one_row_per_municipality_with_unique_cut_codes(roster):
    keys = [r["cut"] for r in roster.recipients]
    assert len(keys) == 345
    assert len(set(keys)) == 345
    assert all(len(k) == 5 and k.isdigit() for k in keys)


def test_antartica_has_no_letter_of_its_own_and_is_listed_under_cabo_de_hornos(roster):
    by_cut = {r["cut"]: r for r in roster.recipients}
    assert "12202" not in by_cut
    assert by_cut["12201"]["municipalidad"] == "Cabo de Hornos"
    assert by_cut["12201"]["comunas"] == "Cabo de Hornos; Antártica"


def test_codes_keep_their_leading_zeros_and_names_their_accents(roster):
    by_cut = {r["cut"]: r for r in roster.recipients}
    assert by_cut["01101"]["municipalidad"] == "Iquique"
    assert by_cut["13120"]["municipalidad"] == "Ñuñoa"
    assert by_cut["08301"]["region"] == "Región del Biobío"
    assert by_cut["13101"]["region"] == "Región Metropolitana de Santiago"


def test_roster_has_the_optional_columns_empty():
    with ROSTER.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for column in ("alcalde", "genero", "email", "direccion"):
        assert all(row[column] == "" for row in rows)


def test_committed_roster_is_what_the_build_script_makes(tmp_path):
    out = tmp_path / "municipalidades.csv"
    subprocess.run([sys.executable, str(ROOT / "recipients" / "build_municipalidades.py"),
                    str(ROOT / "recipients" / "source" / "chile_division_politica.csv"), str(out)],
                   check=True, capture_output=True)
    assert out.read_bytes() == ROSTER.read_bytes()


def test_blank_rows_are_skipped_and_short_cut_codes_get_their_zero_back():
    roster = load_roster(DATA / "roster-without-optional-columns.csv")
    assert [(r.row, r["cut"]) for r in roster.recipients] == [(3, "01101")]


def test_missing_key_column_names_the_columns_found():
    with pytest.raises(RosterError) as info:
        load_roster(DATA / "roster-missing-cut-column.csv")
    message = str(info.value)
    assert "roster-missing-cut-column.csv" in message
    assert "falta la columna 'cut'" in message
    assert "codigo, municipalidad, region" in message


def test_duplicate_bad_and_empty_codes_are_reported_all_at_once_with_rows():
    with pytest.raises(ErrorList) as info:
        load_roster(DATA / "roster-duplicate-and-bad-codes.csv")
    rows = [(e.row, e.column) for e in info.value.errors]
    assert rows == [(3, "cut"), (4, "cut"), (5, "cut")]
    text = info.value.format()
    assert "ya aparece en la fila 2" in text
    assert "'1312A' no es un código de 5 dígitos" in text
    assert "no se escribió nada" in text


def test_only_restricts_to_the_given_codes_and_refuses_unknown_ones(roster):
    assert [r["cut"] for r in roster.only(["13120", "1101"], "cut", 5).recipients] == ["01101", "13120"]
    with pytest.raises(RosterError, match="ningún destinatario tiene cut 99999"):
        roster.only(["99999"], "cut")


def test_missing_file_and_unknown_format_are_clear(tmp_path):
    with pytest.raises(RosterError, match="no se encontró el archivo"):
        load_roster(tmp_path / "nope.csv")
    odd = tmp_path / "roster.pdf"
    odd.write_bytes(b"%PDF")
    with pytest.raises(RosterError, match="formato de nómina no admitido"):
        load_roster(odd)


def test_control_characters_pasted_from_spreadsheets_are_removed_or_become_spaces(template):
    from oficios.merge import merge_all
    from oficios.render_docx import DocxRenderer

    roster = load_roster(DATA / "roster-control-characters.csv")
    # \v (Excel's line break in a cell) separates words; NUL and BEL are removed.
    assert roster.recipients[0]["municipalidad"] == "Ñu ñoa"
    assert roster.recipients[0]["region"] == "Región Metropolitana de Santiago"
    letter = merge_all(template, roster)[0]
    assert DocxRenderer().render(letter)[:2] == b"PK"
