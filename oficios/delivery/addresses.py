"""E-mail addresses checked and normalized (the only module that imports email-validator).

Syntax only: deliverability (DNS) is not checked, so a check gives the same answer offline
and years later. A roster cell may hold several addresses separated by ';' or ','.
"""

from __future__ import annotations

import re

from oficios.i18n import gettext as _

_SEPARATORS = re.compile(r"[;,]")


class AddressProblem(ValueError):
    """Why a text is not a usable e-mail address, in words for the user."""


def normalize(address: str) -> str:
    """The address as it is sent (domain in ASCII); AddressProblem saying why it is unusable."""
    from email_validator import EmailNotValidError, validate_email

    try:
        valid = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        # email-validator explains in English; the reason is kept as it says it.
        raise AddressProblem(_("'{address}' is not a valid e-mail address ({reason})").format(
            address=address, reason=exc)) from None
    return valid.ascii_email or valid.normalized


def split(cell: str) -> list[str]:
    """The addresses written in one roster cell ('' gives none)."""
    return [part.strip() for part in _SEPARATORS.split(cell) if part.strip()]


def normalize_cell(cell: str) -> tuple[str, ...]:
    """Every address of a roster cell, normalized; AddressProblem for the first bad one or none."""
    parts = split(cell)
    if not parts:
        raise AddressProblem(_("the e-mail address is empty"))
    return tuple(dict.fromkeys(normalize(part) for part in parts))
