"""Spanish forms in letters: dates through Babel, and forms that follow the recipient's gender."""

from __future__ import annotations

import datetime as dt

from oficios.errors import RosterError
from oficios.i18n import gettext as _
from oficios.roster_checks import fold

LOCALE = "es_CL"

# Roster spellings accepted for the recipient's gender, compared without case or accents.
_GENDER_WORDS = {
    "m": "M", "masculino": "M", "hombre": "M", "h": "M", "sr": "M", "sr.": "M", "varon": "M",
    "f": "F", "femenino": "F", "mujer": "F", "sra": "F", "sra.": "F",
    "": "",
}
TRATAMIENTO = {"M": "Sr.", "F": "Sra.", "": "Sr./a"}


def format_date(date: dt.date, pattern: str, *, capitalize_month: bool = False) -> str:
    """The date in Spanish with a CLDR pattern, e.g. "05 de Febrero de 2009"."""
    from babel.dates import format_date as babel_format, get_month_names

    text = babel_format(date, pattern, locale=LOCALE)
    if capitalize_month:
        month = get_month_names("wide", locale=LOCALE)[date.month]
        text = text.replace(month, month[:1].upper() + month[1:], 1)
    return text


def check_date_pattern(pattern: str) -> None:
    """Raises ValueError if Babel cannot use the pattern."""
    format_date(dt.date(2000, 1, 1), pattern)


def normalize_gender(value: str, *, file: object = None, row: int | None = None,
                     column: str = "genero", neutral: str = "") -> str:
    """'M', 'F' or '' (unknown) from what a roster says; anything else is a RosterError.

    `neutral` names the forms a letter uses for an unknown gender, for the message ("": none).
    """
    try:
        return _GENDER_WORDS[fold(value)]
    except KeyError:
        raise RosterError(
            _("'{value}' is not a known gender").format(value=value), file=file, row=row,
            column=column,
            hint=_("write M or F, or leave the cell empty for the neutral forms ({forms})").format(
                forms=neutral) if neutral else
            _("write M or F, or leave the cell empty for the neutral forms"),
        ) from None


def by_gender(gender: str, masculine: str, feminine: str, neutral: str) -> str:
    """The form that fits the normalized gender ('M', 'F', or '' for the neutral form)."""
    return {"M": masculine, "F": feminine}.get(gender, neutral)
