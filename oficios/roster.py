"""The roster: who receives the letter. Reads CSV or Excel files into plain Recipients.

This is the only module that imports pandas. Every value is read as text (CUT codes keep
their leading zeros) and stripped; an empty cell is "".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from oficios.errors import ErrorList, OficiosError, RosterError

HEADER_ROW = 1  # rows are numbered as a spreadsheet shows them: the header is row 1
CUT_PATTERN = re.compile(r"^\d{5}$")
READERS = {".csv": "csv", ".txt": "csv", ".xlsx": "excel", ".xlsm": "excel", ".ods": "excel"}


@dataclass(frozen=True)
class Recipient:
    """One row of the roster: its spreadsheet row number and its values by column name."""

    row: int
    values: Mapping[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values[column]


@dataclass(frozen=True)
class Roster:
    """A validated roster: the file it came from, its column names and its recipients."""

    path: Path
    columns: tuple[str, ...]
    recipients: tuple[Recipient, ...]

    def __len__(self) -> int:
        return len(self.recipients)

    def only(self, keys: list[str], key_column: str) -> Roster:
        """The roster restricted to the given keys, in roster order; unknown keys are an error."""
        wanted = [normalize_key(k, key_column) for k in keys]
        present = {r[key_column] for r in self.recipients}
        missing = [k for k in wanted if k not in present]
        if missing:
            raise RosterError(
                f"no recipient with {key_column} {', '.join(missing)}",
                file=self.path, column=key_column,
                hint=f"use codes that appear in the roster's '{key_column}' column",
            )
        keep = set(wanted)
        chosen = tuple(r for r in self.recipients if r[key_column] in keep)
        return Roster(self.path, self.columns, chosen)


def normalize_key(value: str, key_column: str) -> str:
    """The key as stored: CUT codes written without their leading zero (1101) get it back."""
    value = value.strip()
    if key_column == "cut" and value.isdigit() and len(value) < 5:
        return value.zfill(5)
    return value


def load_roster(path: str | Path, *, key_column: str = "cut") -> Roster:
    """Reads and validates a roster file; raises RosterError (or ErrorList) naming what to fix."""
    path = Path(path)
    frame = _read_frame(path)
    columns = tuple(str(c).strip() for c in frame.columns)
    if key_column not in columns:
        raise RosterError(
            f"column '{key_column}' is missing; columns found: {', '.join(columns) or 'none'}",
            file=path, row=HEADER_ROW,
            hint=f"add a '{key_column}' column with one code per recipient",
        )
    recipients = []
    for offset, raw in enumerate(frame.itertuples(index=False, name=None)):
        values = {col: _clean(v) for col, v in zip(columns, raw)}
        if not any(values.values()):
            continue  # a blank row is not a recipient
        values[key_column] = normalize_key(values[key_column], key_column)
        recipients.append(Recipient(row=HEADER_ROW + 1 + offset, values=values))
    _validate(path, recipients, key_column)
    return Roster(path, columns, tuple(recipients))


def _read_frame(path: Path):
    import pandas as pd

    if not path.is_file():
        raise RosterError("file not found", file=path, hint="check the path given with --roster")
    kind = READERS.get(path.suffix.lower())
    if kind is None:
        raise RosterError(
            f"unsupported roster format '{path.suffix}'", file=path,
            hint="save the roster as .csv (UTF-8) or .xlsx",
        )
    try:
        if kind == "csv":
            # Blank lines are kept (and skipped later) so row numbers match what the user sees.
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                               skip_blank_lines=False)
        return pd.read_excel(path, dtype=str, keep_default_na=False)
    except UnicodeDecodeError as exc:
        raise RosterError(
            f"not valid UTF-8 text (byte {exc.start})", file=path,
            hint="save the file as 'CSV UTF-8' or as .xlsx",
        ) from None
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise RosterError(f"cannot be read as a table: {exc}", file=path) from None


# Control characters cannot appear in XML (DOCX) and have no place in a letter; spreadsheets
# paste them in (vertical tabs from Excel line breaks, NULs). They become spaces.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def _clean(value: object) -> str:
    if value is None:
        return ""
    return _CONTROL.sub(" ", str(value)).strip()


def _validate(path: Path, recipients: list[Recipient], key_column: str) -> None:
    errors: list[OficiosError] = []
    seen: dict[str, int] = {}
    if not recipients:
        errors.append(RosterError("has no recipients", file=path, hint="add one row per recipient"))
    for rec in recipients:
        key = rec[key_column]
        if not key:
            errors.append(RosterError("is empty", file=path, row=rec.row, column=key_column,
                                      hint="every recipient needs a code"))
        elif key_column == "cut" and not CUT_PATTERN.match(key):
            errors.append(RosterError(
                f"'{key}' is not a 5-digit CUT code", file=path, row=rec.row, column=key_column,
                hint="write the comuna's code as text, e.g. 01101",
            ))
        elif key in seen:
            errors.append(RosterError(
                f"'{key}' already appears in row {seen[key]}", file=path, row=rec.row,
                column=key_column, hint="keep one row per recipient",
            ))
        else:
            seen[key] = rec.row
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ErrorList(errors, f"{path}: {len(errors)} problems in the roster; nothing was written")
