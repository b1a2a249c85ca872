"""Spanish forms: dates through Babel and gender-dependent forms."""

from __future__ import annotations

import datetime as dt

import pytest

from oficios.errors import RosterError
from oficios.spanish import by_gender, format_date, normalize_gender


def test_date_in_the_seed_form():
    assert format_date(dt.date(2009, 2, 5), "dd 'de' MMMM 'de' y",
                       capitalize_month=True) == "05 de Febrero de 2009"


def test_date_form_is_configurable():
    assert format_date(dt.date(2026, 9, 18), "d 'de' MMMM 'de' y") == "18 de septiembre de 2026"
    assert format_date(dt.date(2026, 9, 18), "EEEE d 'de' MMMM",
                       capitalize_month=True) == "viernes 18 de Septiembre"


@pytest.mark.parametrize("value, expected", [
    ("M", "M"), ("masculino", "M"), ("Hombre", "M"), ("F", "F"), ("Femenino", "F"),
    ("MUJER", "F"), ("Sra.", "F"), ("", ""), ("  ", ""),
])
def test_genders_as_rosters_write_them(value, expected):
    assert normalize_gender(value) == expected


def test_unknown_gender_names_row_and_column():
    with pytest.raises(RosterError) as info:
        normalize_gender("x", file="r.csv", row=7)
    assert str(info.value).startswith("r.csv, fila 7, columna 'genero': 'x' no es un género conocido")


def test_forms_by_gender():
    assert [by_gender(g, "ALCALDE", "ALCALDESA", "ALCALDE/SA") for g in ("M", "F", "")] == [
        "ALCALDE", "ALCALDESA", "ALCALDE/SA"]
