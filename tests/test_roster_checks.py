"""The checks on every row: all problems at once, with row and column, before anything is written."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from conftest import DATA, TEMPLATE
from oficios.cli import cli
from oficios.errors import ErrorList, OficiosError, RosterError
from conftest import load_roster
from oficios.roster import clean_value
from oficios.roster_checks import MAX_VALUE, MAX_WORD, fold

BUNDLED = {"required": ("municipalidad", "region"), "optional": ("alcalde", "genero")}


def problems(sample: str, **kwargs) -> list[tuple[int | None, str | None, str]]:
    """(row, column, message) of every problem the roster has."""
    with pytest.raises(OficiosError) as info:
        load_roster(DATA / sample, **kwargs)
    errors = info.value.errors if isinstance(info.value, ErrorList) else [info.value]
    return [(e.row, e.column, e.message) for e in errors]


def test_duplicate_recipients_are_reported_with_the_row_they_repeat():
    # 1101 is 01101 once its zero is back, so row 5 repeats row 3.
    assert problems("roster-duplicate-recipients.csv") == [
        (4, "cut", "'13120' ya aparece en la fila 2"),
        (5, "cut", "'01101' ya aparece en la fila 3"),
    ]


def test_missing_required_values_are_reported_all_at_once_with_row_and_column():
    found = problems("roster-missing-required-values.csv", **BUNDLED)
    assert [(row, column) for row, column, _ in found] == [
        (3, "municipalidad"), (4, "region"), (5, "municipalidad"), (5, "region")]
    assert all(message == "está vacía" for _, _, message in found)
    # An empty optional value (alcalde) is fine.


def test_missing_value_message_says_what_to_do():
    with pytest.raises(ErrorList) as info:
        load_roster(DATA / "roster-missing-required-values.csv", **BUNDLED)
    text = info.value.format()
    assert text.startswith(f"{DATA / 'roster-missing-required-values.csv'}: 4 problemas en la "
                           "nómina; no se escribió nada")
    assert "fila 3, columna 'municipalidad': está vacía (cada carta lo usa: complételo, o ponga " \
           "la columna en [destinatario] opcionales" in text


@pytest.mark.parametrize("raw, clean", [
    ("Ñu\x00ñoa", "Ñuñoa"), ("a\x0bb", "a b"), ("a\tb\r\nc", "a b  c"), ("\ufeffcut", "cut"),
    ("x\x7f\x85y\x9f", "x y"), ("N\u0303un\u0303oa", "Ñuñoa"), ("\uffffok\ufffe", "ok"),
    ("  ", ""), (None, ""), (1101, "1101"), ("\u202e13120", "13120"), ("a\u2067b\u2069", "ab"),
    ("שלום \u200fעולם", "שלום \u200fעולם"),
])
def test_clean_value_keeps_only_what_xml_and_pdf_text_can_hold(raw, clean):
    assert clean_value(raw) == clean


@pytest.mark.parametrize("header, folded", [
    ("Región", "region"), (" REGION ", "region"), ("Cut_Provincia", "cut_provincia"),
    ("cut - provincia", "cut_provincia"), ("Género", "genero"), ("\ufeffCUT", "cut"),
])
def test_headers_fold_to_one_form(header, folded):
    assert fold(header) == folded


def test_double_encoded_text_is_reported_with_the_likely_original():
    [(row, column, message)] = problems("roster-double-encoded-mojibake.csv")
    assert (row, column) == (2, "municipalidad")
    assert "'Ã‘uÃ±oa' parece texto dañado" in message and "¿debería decir 'Ñuñoa'?" in message


def test_a_file_mixing_utf8_and_windows_1252_is_reported_not_turned_into_mojibake():
    found = problems("roster-mixed-encodings.csv")
    assert {(row, column) for row, column, _ in found} == {
        (2, "municipalidad"), (2, "comunas"), (2, "region")}
    assert "¿debería decir 'Región Metropolitana de Santiago'?" in found[-1][2]


@pytest.mark.parametrize("sample, shown", [
    ("roster-formula-errors.xlsx", ("", "")),  # the reader does not say which error
    ("roster-formula-errors.csv", (" (#N/A)", " (#¡REF!)")),  # as Excel exports them
])
def test_formula_errors_are_refused_not_printed(sample, shown):
    found = problems(sample)
    assert [(row, column) for row, column, _ in found][:2] in (
        [(3, "region"), (4, "municipalidad")], [(2, "region"), (3, "municipalidad")])
    assert [message for _, _, message in found] == [
        f"contiene el error de una fórmula{which}, no un valor" for which in shown]


def test_a_500_character_name_is_refused_naming_row_column_and_limit():
    [(row, column, message)] = problems("roster-500-character-name.csv", **BUNDLED)
    assert (row, column) == (2, "municipalidad")
    assert message.startswith("tiene 500 caracteres: 'Ilustre Municipalidad de San Pedro de la…'")
    with pytest.raises(RosterError, match=f"acórtelo a {MAX_VALUE} caracteres como máximo"):
        load_roster(DATA / "roster-500-character-name.csv", **BUNDLED)


def test_a_word_too_long_to_wrap_is_refused():
    [(row, column, message)] = problems("roster-unbreakable-long-word.csv", **BUNDLED)
    assert (row, column) == (3, "municipalidad")
    assert message == "la palabra 'LosÁngelesLosÁngelesLosÁngelesLosÁngeles' tiene 40 caracteres"
    assert MAX_WORD < 40


def test_limits_apply_only_to_columns_that_reach_the_letter():
    # The 500-character value is in `municipalidad`; a template that does not use it passes.
    roster = load_roster(DATA / "roster-500-character-name.csv", required=("region",))
    assert len(roster.recipients[0]["municipalidad"]) == 500


def test_two_keys_that_slug_alike_are_refused_naming_both_rows():
    found = problems("roster-keys-that-slug-alike.csv", key_column="codigo")
    assert found == [
        (3, "codigo", "'A-1' y 'A/1' (fila 2) darían ambos nombre a archivos 'a-1-…'"),
        (5, "codigo", "'B2' y 'b2' (fila 4) darían ambos nombre a archivos 'b2-…'"),
    ]


@pytest.mark.parametrize("sample, message", [
    ("roster-duplicate-recipients.csv", "fila 4, columna 'cut': '13120' ya aparece en la fila 2"),
    ("roster-missing-required-values.csv", "fila 3, columna 'municipalidad': está vacía"),
    ("roster-500-character-name.csv", "fila 2, columna 'municipalidad': tiene 500 caracteres"),
    ("roster-double-encoded-mojibake.csv", "¿debería decir 'Ñuñoa'?"),
    ("roster-mixed-encodings.csv", "fila 2, columna 'region': 'RegiÃ³n Metropolitana"),
])
def test_a_failed_validation_writes_nothing(tmp_path, sample, message):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["generate", "--template", str(TEMPLATE), "--roster",
                                      str(DATA / sample), "--output", str(out), "--workers", "1"])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not out.exists() or not [p for p in out.rglob("*") if p.is_file()]
