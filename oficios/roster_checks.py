"""What a roster must satisfy: header matching, value cleaning and the checks on every row.

roster.py reads a file into header and cells; this module turns header names into the names
templates use and says, all at once, what in the rows cannot be used. Plain Python: no
third-party library lives here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from oficios.errors import OficiosError, RosterError
from oficios.errors import raise_all as errors_raise_all
from oficios.i18n import gettext as _
from oficios.slugs import key_slug

# Default limits (a template sets its own under [destinatario], measured for its layout).
# Longest value, in characters: pages after the first repeat the number and the recipient's
# name in their running head, which has room for two lines; a longer value is a paste mistake.
MAX_VALUE = 150
# Longest word: a word cannot wrap, and one wider than the A block (35 bold capital Ws fit)
# would run past the page's right margin.
MAX_WORD = 35
# A numeric code as spreadsheets leave it: leading zeros eaten (1101) or a number (1101.0).
_SHORT_CODE = re.compile(r"^([0-9]+)(?:\.0+)?$")

# Characters that XML (DOCX) forbids or a PDF shows as junk. Whitespace-like ones (tabs,
# line and page breaks, Excel's in-cell line break \v) separate words: they become spaces.
# The rest (NUL, other C0/C1 controls, DEL, byte-order marks, non-characters) are removed,
# and so are bidirectional embeddings, overrides and isolates (U+202A-E, U+2066-9): left
# open in a value, they would reorder the letter's text after it (right-to-left scripts
# show correctly without them).
_SPACE_LIKE = re.compile(r"[\t\n\r\x0b\x0c\x1c-\x1f\x85\u2028\u2029]")
_INVISIBLE = re.compile(
    r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]")

# UTF-8 bytes read as Windows-1252: "ñ" (C3 B1) shows as "Ã±", "°" as "Â°", "’" as "â€™".
_CP1252_HIGH = bytes(range(0x80, 0xC0)).decode("cp1252", errors="ignore")
_MOJIBAKE = re.compile(f"[ÂÃ][{re.escape(_CP1252_HIGH)}]|â€")
# What Excel shows, in English or Spanish, when a formula fails (a VLOOKUP that found nothing);
# FORMULA_ERROR stands for such a cell when the reader does not say which error it holds.
FORMULA_ERROR = "#ERROR"
SPREADSHEET_ERRORS = frozenset({
    FORMULA_ERROR, "#N/A", "#N/D", "#REF!", "#¡REF!", "#VALUE!", "#¡VALOR!", "#NAME?",
    "#¿NOMBRE?", "#DIV/0!", "#¡DIV/0!", "#NULL!", "#¡NULO!", "#NUM!", "#¡NUM!", "#SPILL!",
    "#¡DESBORDAMIENTO!",
})


def clean_value(value: object) -> str:
    """A cell as letter text: NFC-normalized, controls removed or made spaces, stripped."""
    if value is None:
        return ""
    text = _INVISIBLE.sub("", _SPACE_LIKE.sub(" ", str(value)))
    return unicodedata.normalize("NFC", text).strip()


def fold(name: str) -> str:
    """A header as compared: lowercase, no accents, runs of spaces, '_' and '-' as one '_'."""
    text = unicodedata.normalize("NFKD", clean_value(name)).lower()
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\s_\-]+", "_", text).strip("_")


def normalize_key(value: str, digits: int = 0) -> str:
    """The key as stored: codes of `digits` digits (0: free text) that lost their leading
    zeros (1101, 1101.0 for 5 digits) get them back."""
    value = value.strip()
    if digits and (short := _SHORT_CODE.match(value)) and len(short[1]) <= digits:
        return short[1].zfill(digits)
    return value


@dataclass(frozen=True)
class Column:
    """One column of the file: its position, the name templates see, the header as written."""

    index: int
    name: str
    header: str


def match_columns(header: list[str], *, path: Path, header_row: int, key_column: str,
                  expected: Iterable[str] = (),
                  column_map: Mapping[str, str] | None = None) -> list[Column]:
    """The file's named columns under the names templates use; raises what cannot be matched.

    A header matches an expected name when both fold alike ("Región " is `region`); other
    headers go by their folded form. `column_map` maps a template name to a header explicitly
    and wins over folding: another column folding to the same name is then left out.
    """
    found = ", ".join(h for h in header if h) or _("none")
    errors: list[OficiosError] = []
    columns: dict[str, Column] = {}
    taken: set[int] = set()
    for name, wanted in (column_map or {}).items():
        matches = _find_header(header, wanted)
        if len(matches) == 1:
            columns[name] = Column(matches[0], name, header[matches[0]])
            taken.add(matches[0])
        else:
            problem = (_("--map {name}={wanted}: no column '{wanted}'; columns found: {found}")
                       if not matches else
                       _("--map {name}={wanted}: {count} columns are named '{wanted}'; columns "
                         "found: {found}"))
            errors.append(RosterError(
                problem.format(name=name, wanted=wanted, count=len(matches), found=found),
                file=path, row=header_row,
                hint=_("give a header as row {row} writes it, or rename the column").format(
                    row=header_row)))
    by_fold = {fold(n): n for n in expected}
    claimed: dict[str, int] = {}
    for index, text in enumerate(header):
        if index in taken or not fold(text):
            continue
        name = by_fold.get(fold(text), fold(text))
        if name in columns and name in (column_map or {}):
            continue  # the user chose another column for this name with --map
        if name in claimed:
            first = header[claimed[name]]
            hint = _("rename or delete one") if first == text else \
                _("rename or delete one, or choose one with --map {name}={text}").format(
                    name=name, text=text)
            errors.append(RosterError(
                _("columns '{first}' ({first_letters}) and '{text}' ({letters}) both read as "
                  "'{name}'").format(first=first, first_letters=column_letters(claimed[name]),
                                     text=text, letters=column_letters(index), name=name),
                file=path, row=header_row, hint=hint))
            continue
        claimed[name] = index
        columns[name] = Column(index, name, text)
    if key_column not in columns and not errors:
        errors.append(RosterError(
            _("column '{key_column}' is missing; columns found: {found}").format(
                key_column=key_column, found=found), file=path,
            row=header_row, hint=_("add a '{key_column}' column with one code per recipient, "
                                   "or name yours with --map {key_column}=COLUMN").format(
                key_column=key_column)))
    raise_all(errors, path, header=True)
    return sorted(columns.values(), key=lambda c: c.index)


def column_letters(index: int) -> str:
    """A column's letters as spreadsheets show them (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _find_header(header: list[str], wanted: str) -> list[int]:
    exact = [i for i, h in enumerate(header) if h == wanted.strip()]
    return exact or [i for i, h in enumerate(header) if fold(h) and fold(h) == fold(wanted)]


@dataclass(frozen=True)
class Rules:
    """What the rows of one roster must give: the key, non-empty columns, columns to check.

    `checked` holds the columns whose values reach a letter (length, garbled text); None
    checks every column.
    """

    key_column: str
    required: frozenset[str] = frozenset()
    checked: frozenset[str] | None = None
    key_digits: int = 0  # keys are codes of this many digits; 0: free text
    max_value: int = MAX_VALUE
    max_word: int = MAX_WORD


class RowChecks:
    """The checks on every row, a row at a time, so that a roster can be read as a stream:
    `add` each row, then `finish` gives every problem found, in row order ([] if none).

    What it keeps is each key once (repeated keys, and keys that would name the same files).
    """

    def __init__(self, path: Path, headers: Mapping[str, str], rules: Rules) -> None:
        self.path, self.headers, self.rules = path, headers, rules
        self.key_header = headers.get(rules.key_column, rules.key_column)
        self.errors: list[OficiosError] = []
        self.rows = 0
        self._seen: dict[str, int] = {}  # key -> its row
        self._slugs: dict[str, str] = {}  # file-name slug -> the key that has it

    def add(self, row: int, values: Mapping[str, str]) -> None:
        self.rows += 1
        rules = self.rules
        self._check_key(row, values[rules.key_column])
        for name, value in values.items():
            column = self.headers.get(name, name)
            if name in rules.required and name != rules.key_column and not value:
                self.errors.append(RosterError(
                    _("is empty (the template's '{name}')").format(name=name)
                    if column != name else _("is empty"),
                    file=self.path, row=row, column=column,
                    hint=_("every letter uses it: fill it in, or list the column under "
                           "[destinatario] opcionales if a letter can go without it")))
            if rules.checked is None or name in rules.checked:
                self.errors += _check_text(self.path, row, column, value, rules)

    def finish(self) -> list[OficiosError]:
        if not self.rows:
            return [RosterError(_("has no recipients"), file=self.path,
                                hint=_("add one row per recipient"))] + self.errors
        return self.errors

    def _check_key(self, row: int, key: str) -> None:
        """Empty, malformed and repeated keys, and keys whose file names would be the same."""
        path, column, digits = self.path, self.key_header, self.rules.key_digits
        if not key:
            self.errors.append(RosterError(_("is empty"), file=path, row=row, column=column,
                                           hint=_("every recipient needs a code")))
        elif digits and not (key.isascii() and key.isdigit() and len(key) == digits):
            self.errors.append(RosterError(
                _("'{key}' is not a code of {digits} digits").format(key=key, digits=digits),
                file=path, row=row, column=column,
                hint=_("write the code as text, e.g. {example}").format(
                    example="1".zfill(digits))))
        elif key in self._seen:
            self.errors.append(RosterError(
                _("'{key}' already appears in row {row}").format(key=key, row=self._seen[key]),
                file=path, row=row, column=column, hint=_("keep one row per recipient")))
        elif (slug := key_slug(key)) in self._slugs:
            other = self._slugs[slug]
            self.errors.append(RosterError(
                _("'{key}' and '{other}' (row {row}) would both name files '{slug}-…'").format(
                    key=key, other=other, row=self._seen[other], slug=slug),
                file=path, row=row, column=column,
                hint=_("make the codes differ in their letters or digits, not only in "
                       "punctuation, case or accents")))
        else:
            self._seen[key] = row
            self._slugs[key if slug == key else slug] = key


def _check_text(path: Path, row: int, column: str, value: str,
                rules: Rules) -> list[OficiosError]:
    errors: list[OficiosError] = []
    if value.upper() in SPREADSHEET_ERRORS:
        errors.append(RosterError(
            _("holds a formula's error, not a value") if value == FORMULA_ERROR else
            _("holds a formula's error ({value}), not a value").format(value=value),
            file=path, row=row, column=column,
            hint=_("fix the formula that gives it, or type the value in the cell")))
    if len(value) > rules.max_value:
        hint = _("shorten it to at most {count} characters").format(count=rules.max_value)
        if path.suffix.lower() in (".csv", ".txt", ".tsv"):
            hint += _('; in a CSV, a quote (") left open makes one cell swallow the rows after it')
        errors.append(RosterError(_("is {count} characters long: '{text}'").format(
                                      count=len(value), text=_short(value)),
                                  file=path, row=row, column=column, hint=hint))
    elif (word := max(value.split(), key=len, default="")) and len(word) > rules.max_word:
        errors.append(RosterError(
            _("the word '{word}' is {count} characters long").format(word=_short(word),
                                                                     count=len(word)),
            file=path, row=row, column=column,
            hint=_("a word of more than {count} characters cannot wrap and would run past the "
                   "margin: add spaces or shorten it").format(count=rules.max_word)))
    if garbled := _MOJIBAKE.search(value):
        repaired = _repair(value)
        errors.append(RosterError(
            (_("'{value}' looks garbled ('{garbled}' is how UTF-8 text shows when read as "
               "Windows-1252): should it read '{repaired}'?") if repaired else
             _("'{value}' looks garbled ('{garbled}' is how UTF-8 text shows when read as "
               "Windows-1252)")).format(value=value, garbled=garbled[0], repaired=repaired),
            file=path, row=row, column=column,
            hint=_("the text was converted twice or the file mixes encodings: export the roster "
                   "again from the original as 'CSV UTF-8', or correct the cell")))
    return errors


def _short(text: str, length: int = 40) -> str:
    return text if len(text) <= length else text[:length] + "…"


def _repair(value: str) -> str | None:
    """The text before it was garbled, if undoing one UTF-8-as-Windows-1252 step gives it."""
    for _attempt in range(3):  # text may have been garbled more than once
        try:
            value = value.encode("cp1252").decode("utf-8")
        except UnicodeError:
            return None
        if not _MOJIBAKE.search(value):
            return value
    return None


def raise_all(errors: list[OficiosError], path: Path, header: bool = False) -> None:
    """Raises the roster's problems, all at once (see errors.raise_all); `header`: they are
    all in its header row."""
    summary = (_("{path}: {{count}} problems in the roster's header row; nothing was written")
               if header else _("{path}: {{count}} problems in the roster; nothing was written"))
    errors_raise_all(errors, summary.format(path=path))
