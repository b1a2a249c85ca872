"""Rosters as they really come: encodings, delimiters, workbooks, headers, numbers, blank rows.

Each sample in tests/data is named after its case; the README's table "What happens with bad
input" points here. A file either reads to the same recipients as a clean one, or is refused
with one message naming the file, the row and the column, and what to do.
"""

from __future__ import annotations

import pytest

from conftest import DATA
from oficios.errors import ErrorList, OficiosError, RosterError
from conftest import load_roster

# What the three-municipality samples hold, whatever their format.
EXPECTED = [
    (2, "13120", "Ñuñoa", "Región Metropolitana de Santiago"),
    (3, "08301", "Los Ángeles", "Región del Biobío"),
    (4, "12201", "Cabo de Hornos", "Región de Magallanes y de la Antártica Chilena"),
]


def rows(roster, *columns: str) -> list[tuple]:
    return [(r.row, *(r[c] for c in columns)) for r in roster.recipients]


@pytest.mark.parametrize("sample", [
    "roster-utf8-bom.csv",
    "roster-cp1252-semicolon.csv",
    "roster-tab-separated.csv",
    "roster-utf16-unicode-text.txt",
])
def test_encodings_and_delimiters_read_to_the_same_recipients(sample):
    roster = load_roster(DATA / sample)
    assert roster.columns == ("cut", "municipalidad", "comunas", "region")
    assert rows(roster, "cut", "municipalidad", "region") == EXPECTED
    # The delimiter inside a quoted cell stays text.
    assert roster.recipients[2]["comunas"] == "Cabo de Hornos; Antártica"


def test_windows_1252_semicolon_file_keeps_accents_and_gets_cut_zeros_back():
    raw = (DATA / "roster-cp1252-semicolon.csv").read_bytes()
    assert b";" in raw and b"\r\n" in raw and "Ñuñoa".encode("cp1252") in raw
    assert raw.startswith(b"CUT;Municipalidad;Comunas;Regi\xf3n")
    roster = load_roster(DATA / "roster-cp1252-semicolon.csv")
    assert roster.headers["region"] == "Región"
    assert [r["cut"] for r in roster.recipients] == ["13120", "08301", "12201"]


def test_excel_sep_line_names_the_delimiter_and_rows_keep_their_numbers():
    roster = load_roster(DATA / "roster-excel-sep-line.csv")
    assert rows(roster, "cut", "municipalidad") == [(n + 1, c, m) for n, c, m, _ in EXPECTED]


@pytest.mark.parametrize("sample", ["roster-cut-as-numbers.xlsx", "roster-cut-as-numbers.ods"])
def test_workbooks_give_text_with_cut_codes_of_five_digits(sample):
    roster = load_roster(DATA / sample, required=("municipalidad", "region"))
    # Row 3 is blank in the sheet; numbers (13120, 8301.0, 1101) come back as the codes.
    assert rows(roster, "cut", "municipalidad", "region") == [
        (2, "13120", "Ñuñoa", "Región Metropolitana de Santiago"),
        (4, "08301", "Los Ángeles", "Región del Biobío"),
        (5, "01101", "Iquique", "Región de Tarapacá"),
    ]
    assert [r["habitantes"] for r in roster.recipients] == ["208237", "202331", "191468"]


def test_cut_codes_without_their_leading_zero_get_it_back():
    roster = load_roster(DATA / "roster-cut-without-leading-zero.csv")
    assert [r["cut"] for r in roster.recipients] == ["01101", "05101", "13120"]


def test_headers_match_whatever_their_case_accents_and_spacing():
    roster = load_roster(DATA / "roster-headers-case-accents-spacing.csv",
                         required=("municipalidad", "region"), optional=("alcalde", "genero"))
    assert roster.columns == ("cut", "municipalidad", "region", "cut_provincia", "alcalde", "genero")
    assert roster.headers["municipalidad"] == "Municipalidad"
    assert roster.recipients[0]["genero"] == "F"


def test_map_names_a_column_explicitly_and_wins_over_a_look_alike():
    path = DATA / "roster-map-region-column.csv"
    # Without --map, "Región" (a region code here) is what reads as `region`.
    assert load_roster(path).recipients[0]["region"] == "13"
    roster = load_roster(path, column_map={"region": "REGIÓN_NOMBRE"})
    assert [r["region"] for r in roster.recipients] == ["Región Metropolitana de Santiago",
                                                        "Región del Biobío"]
    assert roster.headers["region"] == "REGIÓN_NOMBRE"
    # The header may be written without its accent or case, as long as one column matches.
    assert load_roster(path, column_map={"region": "region nombre"}).recipients[1]["region"] == \
        "Región del Biobío"


def test_map_to_a_column_that_does_not_exist_lists_the_columns_found():
    with pytest.raises(RosterError) as info:
        load_roster(DATA / "roster-map-region-column.csv", column_map={"region": "NOMBRE_REGION"})
    message = str(info.value)
    assert "fila 1" in message and \
        "--map region=NOMBRE_REGION: no hay una columna 'NOMBRE_REGION'" in message
    assert "columnas encontradas: cut, municipalidad, REGIÓN_NOMBRE, Región" in message


def test_two_headers_that_read_alike_are_refused_naming_both():
    with pytest.raises(RosterError) as info:
        load_roster(DATA / "roster-ambiguous-headers.csv")
    assert "las columnas 'Región' (C) y 'REGION' (D) se leen ambas como 'region'" in str(info.value)
    assert "--map region=REGION" in str(info.value)


def test_blank_rows_are_skipped_and_rows_keep_the_numbers_the_file_shows():
    roster = load_roster(DATA / "roster-blank-rows.csv")
    assert rows(roster, "cut") == [(3, "13120"), (7, "08301")]


def test_title_rows_above_the_header_are_pointed_at():
    with pytest.raises(RosterError) as info:
        load_roster(DATA / "roster-title-rows-above-header.csv")
    assert "la fila 1 no es el encabezado: la fila 4 nombra la columna 'cut'" in str(info.value)
    assert "borre las filas sobre la fila 4" in str(info.value)


def test_values_in_a_column_without_a_header_are_reported_not_dropped():
    with pytest.raises(RosterError) as info:
        load_roster(DATA / "roster-values-without-header.csv")
    # Row 2's empty trailing cells (";;") are fine; row 3's "Biobío" is not.
    assert info.value.row == 3
    assert "'Biobío' está en la columna D, que no tiene encabezado" in str(info.value)


@pytest.mark.parametrize("sample, message", [
    ("roster-empty.csv", "roster-empty.csv: está vacía"),
    ("roster-not-text.csv", "el byte 0x81 de la línea 2 no es texto UTF-8 ni Windows-1252"),
    ("roster-workbook-named-csv.csv",
     "es un libro de hoja de cálculo, no texto CSV (cámbiele la extensión a .xlsx"),
    ("roster-corrupt-workbook.xlsx", "no se puede leer como hoja de cálculo (BadZipFile"),
    ("roster-legacy-excel.xls",
     "formato de nómina no admitido '.xls' (guarde la nómina como .csv (UTF-8), .xlsx u .ods)"),
    ("no-such-roster.csv", "no-such-roster.csv: no se encontró el archivo"),
])
def test_unreadable_or_unsupported_files_give_one_clear_message(sample, message):
    with pytest.raises(RosterError) as info:
        load_roster(DATA / sample)
    assert message in str(info.value)
    assert not isinstance(info.value, ErrorList)


def test_a_directory_or_unreadable_file_is_a_roster_error(tmp_path):
    folder = tmp_path / "roster.csv"
    folder.mkdir()
    with pytest.raises(OficiosError, match="no se encontró el archivo"):
        load_roster(folder)


def test_encoded_samples_are_what_their_script_writes():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_roster_samples", DATA / "make_roster_samples.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    for name, data in script.text_samples().items():
        assert (DATA / name).read_bytes() == data, name


@pytest.fixture
def workbook_with_instructions_first(tmp_path):
    """A workbook whose first sheet holds instructions and the second the roster."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Instrucciones"
    book.active.append(["Llenar la hoja Datos con un colegio por fila"])
    data = book.create_sheet("Datos")
    data.append(["rbd", "nombre"])
    data.append([8888, "Escuela Básica Ñuble"])
    path = tmp_path / "colegios.xlsx"
    book.save(path)
    return path


def test_a_workbook_names_the_sheet_read_and_the_others(workbook_with_instructions_first):
    with pytest.raises(RosterError) as info:
        load_roster(workbook_with_instructions_first, key_column="rbd")
    text = info.value.format()
    assert "colegios.xlsx, hoja 'Instrucciones', fila 1: falta la columna 'rbd'" in text
    assert "el libro tiene también las hojas Datos: elija una con --sheet" in text


def test_sheet_chooses_the_sheet_to_read(workbook_with_instructions_first):
    roster = load_roster(workbook_with_instructions_first, key_column="rbd", sheet="Datos")
    assert [dict(r.values) for r in roster.recipients] == [
        {"rbd": "8888", "nombre": "Escuela Básica Ñuble"}]
    with pytest.raises(RosterError, match="el libro no tiene una hoja 'datos'; hojas: Instrucciones, Datos"):
        load_roster(workbook_with_instructions_first, key_column="rbd", sheet="datos")


def test_sheet_is_refused_for_a_csv():
    with pytest.raises(RosterError, match="--sheet vale solo para libros"):
        load_roster(DATA / "roster-utf8-bom.csv", sheet="Datos")
