"""The roster: who receives the letter. Reads CSV, Excel and OpenDocument files into Recipients.

This is the only module that imports pandas (for .xlsx through openpyxl, .ods through odfpy).
CSV is decoded here (UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252) and split
with the delimiter its header line uses. Every value is text, cleaned and stripped; an empty
cell is "". roster_checks.py matches the headers and checks every row before anything else runs.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import itertools
import math
import re
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from oficios.i18n import N_, gettext as _
from oficios.errors import RosterError
from oficios.packed import PackedTexts
from oficios.roster_checks import (
    FORMULA_ERROR,
    MAX_VALUE,
    MAX_WORD,
    Column,
    Rules,
    RowChecks,
    clean_value,
    column_letters,
    fold,
    match_columns,
    normalize_key,
    raise_all,
)

__all__ = ["Recipient", "Recipients", "Roster", "clean_value", "load_roster", "normalize_key",
           "read_header"]

HEADER_ROW = 1  # rows are numbered as a spreadsheet shows them: the header is row 1
READERS = {".csv": "csv", ".txt": "csv", ".tsv": "csv",
           ".xlsx": "excel", ".xlsm": "excel", ".ods": "excel"}
DELIMITERS = ",;\t"
FORMATS_HINT = N_("save the roster as .csv (UTF-8), .xlsx or .ods")


@dataclass(frozen=True)
class Recipient:
    """One row of the roster: its spreadsheet row number and its values by column name."""

    row: int
    values: Mapping[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values[column]


class Recipients(Sequence):
    """A roster's recipients in roster order, packed: each row's values are one UTF-8 record
    (`packed.PackedTexts`), made into a `Recipient` when asked for.

    A row kept as a dict of strings costs ≈ 1.2 KB; packed, about its own bytes in the file.
    A batch keeps its roster until the last letter is merged, so this is what lets the
    coordinator of a batch of hundreds of thousands of letters stay small.
    """

    # Values never hold control characters (clean_value turns them into spaces or removes
    # them), so one can separate them.
    SEPARATOR = "\x1f"

    def __init__(self, columns: Iterable[str],
                 rows: Iterable[tuple[int, Mapping[str, str]]] = ()) -> None:
        self.columns = tuple(columns)
        self._records = PackedTexts()
        self._rows = array("Q")  # each recipient's row number in the file
        for row, values in rows:
            self.append(row, values)

    def append(self, row: int, values: Mapping[str, str]) -> None:
        """Adds a recipient: its row number and its values by column (missing ones: "")."""
        cells = [values.get(column, "") for column in self.columns]
        if any(self.SEPARATOR in cell for cell in cells):
            raise ValueError(f"row {row}: a value holds the control character U+001F")
        self._records.append(self.SEPARATOR.join(cells))
        self._rows.append(row)

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        index = range(len(self))[index]
        cells = self._records[index].split(self.SEPARATOR)
        return Recipient(self._rows[index], dict(zip(self.columns, cells, strict=True)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Recipients):
            return NotImplemented
        return (self.columns, self._rows, self._records) == (other.columns, other._rows,
                                                             other._records)

    def __repr__(self) -> str:
        return f"Recipients({len(self)} rows, columns {self.columns!r})"


@dataclass(frozen=True)
class Roster:
    """A validated roster: the file it came from, its column names and its recipients.

    `headers` gives, for a column name, the header as the file writes it ("Región" for
    `region`); a name missing from it is written as is.
    """

    path: Path
    columns: tuple[str, ...]
    recipients: Sequence[Recipient]  # Recipients, packed
    headers: Mapping[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.recipients)

    def only(self, keys: list[str], key_column: str, key_digits: int = 0) -> Roster:
        """The roster restricted to the given keys, in roster order; unknown keys are an error.

        `key_digits` as in load_roster: given codes get back leading zeros like the roster's.
        """
        wanted = [normalize_key(k, key_digits) for k in keys]
        present = {r[key_column] for r in self.recipients}
        missing = [k for k in wanted if k not in present]
        if missing:
            raise RosterError(
                _("no recipient with {key_column} {codes}").format(key_column=key_column,
                                                                   codes=", ".join(missing)),
                file=self.path, column=self.headers.get(key_column, key_column),
                hint=_("use codes that appear in the roster's '{key_column}' column").format(
                    key_column=key_column),
            )
        keep = set(wanted)
        chosen = Recipients(self.columns, ((r.row, r.values) for r in self.recipients
                                           if r[key_column] in keep))
        return Roster(self.path, self.columns, chosen, self.headers)

    def with_column(self, name: str, values: Mapping[str, str], key_column: str) -> Roster:
        """The roster with one more column, each recipient's value given by its key."""
        columns = (*self.columns, name)
        recipients = Recipients(columns, ((r.row, {**r.values, name: values[r[key_column]]})
                                          for r in self.recipients))
        return Roster(self.path, columns, recipients, self.headers)


def load_roster(path: str | Path, *, key_column: str, required: Iterable[str] = (),
                optional: Iterable[str] = (),
                column_map: Mapping[str, str] | None = None, key_digits: int = 0,
                max_value: int = MAX_VALUE, max_word: int = MAX_WORD,
                sheet: str | None = None) -> Roster:
    """Reads and validates a roster file; raises RosterError (or ErrorList) naming what to fix.

    `required` columns must have a value in every row (a missing column is the template's
    to report); `optional` ones may be empty. Both are matched to headers without regard to
    case, accents or spacing, and only their values (and the key's) are checked for length
    and garbled text; with neither given, every column is. `column_map` maps a template
    name to a header explicitly (`{"region": "REGIÓN_NOMBRE"}`). Keys are codes of
    `key_digits` digits (leading zeros a spreadsheet ate are put back), or free text for 0;
    `max_value`/`max_word` are the longest value and word a letter can show. `sheet` names
    the workbook's sheet to read (None: the first).
    """
    path = Path(path)
    required, optional = frozenset(required), frozenset(optional)
    with _read_table(path, sheet) as table:
        return _load(path, table, key_column, required, optional, column_map, key_digits,
                     max_value, max_word)


def read_header(path: str | Path, sheet: str | None = None) -> list[str]:
    """The names in the roster file's header row, as the file writes them (for mapping its
    columns); RosterError if it cannot be read as a table."""
    with _read_table(Path(path), sheet) as table:
        return [header for header in table.header if header]


def _load(path: Path, table: _Table, key_column: str, required: frozenset[str],
          optional: frozenset[str], column_map: Mapping[str, str] | None, key_digits: int,
          max_value: int, max_word: int) -> Roster:
    used = required | optional | {key_column}
    # Messages about a workbook name the sheet read, e.g. "nomina.xlsx, hoja 'Datos'".
    where = Path(_("{path}, sheet '{sheet}'").format(path=path, sheet=table.sheet)) \
        if table.sheet is not None else path
    try:
        if key_column not in (column_map or {}):
            _check_header_row(where, table, key_column)
        columns = match_columns(table.header, path=where, header_row=table.header_row,
                                key_column=key_column, expected=used, column_map=column_map)
    except RosterError as exc:
        others = [name for name in table.sheets if name != table.sheet]
        if others:
            exc.hint = (exc.hint + "; " if exc.hint else "") + \
                _("the workbook also has the sheets {sheets}: choose one with --sheet").format(
                    sheets=", ".join(others))
        raise
    headers = {c.name: c.header for c in columns}
    rules = Rules(key_column, required, used if (required or optional) else None, key_digits,
                  max_value, max_word)
    # One pass over the rows, as the file is read: each is checked and packed, and nothing
    # else of it is kept.
    errors: list[RosterError] = []
    checks = RowChecks(where, headers, rules)
    recipients = Recipients(c.name for c in columns)
    for row, values in _rows(where, table, columns, key_column, key_digits, errors):
        checks.add(row, values)
        recipients.append(row, values)
    raise_all(errors + checks.finish(), where)
    return Roster(path, recipients.columns, recipients, headers)


def _check_header_row(path: Path, table: _Table, key_column: str) -> None:
    """Refuses title rows above the header: when the key's header is in a later row."""
    if any(fold(h) == fold(key_column) for h in table.header):
        return
    for row, cells in table.head:
        if any(fold(c) == fold(key_column) for c in cells):
            raise RosterError(
                _("row {header_row} is not the header: row {row} names the column "
                  "'{key_column}'").format(header_row=table.header_row, row=row,
                                           key_column=key_column), file=path,
                row=table.header_row,
                hint=_("delete the rows above row {row}, so the header is the first row").format(
                    row=row))


def _rows(path: Path, table: _Table, columns: list[Column], key_column: str, key_digits: int,
          errors: list[RosterError]) -> Iterator[tuple[int, dict[str, str]]]:
    """The non-blank rows as (row, values by name), one at a time; a value in a column without
    a header is added to `errors` (once per column)."""
    # Columns left out because --map chose another for their name are not "unnamed".
    named = {i for i, header in enumerate(table.header) if fold(header)}
    unnamed = set()
    for row, cells in table.rows():
        cells = [clean_value(c) for c in cells]
        if not any(cells):
            continue  # a blank row is not a recipient
        values = {c.name: cells[c.index] if c.index < len(cells) else "" for c in columns}
        values[key_column] = normalize_key(values[key_column], key_digits)
        for index, cell in enumerate(cells):
            if cell and index not in named and index not in unnamed:
                unnamed.add(index)  # once per column: the first row shows where it starts
                errors.append(RosterError(
                    _("'{cell}' is in column {letters}, which has no header").format(
                        cell=cell, letters=column_letters(index)),
                    file=path, row=row,
                    hint=_("name the column in row {row}, delete it, or quote values that "
                           "contain the delimiter").format(row=table.header_row)))
        yield row, values


@dataclass
class _Table:
    """A file's cells as text: the header's row number and cells, then each row's, read as
    they are asked for (`rows()`, once); `head` holds the first rows after the header."""

    header_row: int
    header: list[str]
    head: list[tuple[int, list[str]]]
    rest: Iterator[tuple[int, list[str]]]
    records: Iterator[list[str]]  # what `rest` numbers; closed by close()
    sheet: str | None = None  # the workbook's sheet read; None for text files
    sheets: tuple[str, ...] = ()  # every sheet of the workbook

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Each row after the header as (row number, cells)."""
        return itertools.chain(self.head, self.rest)

    def close(self) -> None:
        """Closes the file, even when not every row was read."""
        self.records.close()

    def __enter__(self) -> _Table:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _read_table(path: Path, sheet: str | None = None) -> _Table:
    """The file's header, its rows to be read; RosterError if it cannot be read as a table."""
    if not path.is_file():
        raise RosterError(_("file not found"), file=path,
                          hint=_("check the path given with --roster"))
    kind = READERS.get(path.suffix.lower())
    if kind is None:
        raise RosterError(_("unsupported roster format '{suffix}'").format(suffix=path.suffix),
                          file=path, hint=_(FORMATS_HINT))
    if kind == "csv":
        if sheet is not None:
            raise RosterError(_("--sheet is only for .xlsx and .ods workbooks"), file=path,
                              hint=_("leave out --sheet, or use the workbook instead of the CSV"))
        records, first, sheets = *_read_csv(path), ()
    else:
        (sheet, sheets, records), first = _read_spreadsheet(path, sheet), HEADER_ROW
    numbered = enumerate(records, start=first)
    try:
        # Blank rows above the header are nothing; the header is the first row with a name.
        found = next(((number, cells) for number, cells in numbered
                      if any(clean_value(c) for c in cells)), None)
        if found is None:
            raise RosterError(_("is empty"), file=path,
                              hint=_("the first row names the columns; then one row per "
                                     "recipient"))
        header_row, header = found[0], [clean_value(h) for h in found[1]]
        head = list(itertools.islice(numbered, 10))
    except BaseException:
        records.close()
        raise
    return _Table(header_row, header, head, numbered, records, sheet, sheets)


# -- CSV ---------------------------------------------------------------------------------------


def _read_csv(path: Path) -> tuple[Iterator[list[str]], int]:
    """The CSV's records, read from the file as they are asked for (blank lines kept, so rows
    are numbered as the file shows them), and the row number of the first."""
    try:
        encoding = _encoding(path)
        stream = open(path, encoding=encoding, newline="")  # noqa: SIM115 (closed by _csv_records)
    except OSError as exc:
        raise RosterError(_("cannot be read: {reason}").format(reason=exc.strerror),
                          file=path) from None
    try:
        head = []  # the first lines, enough to tell the delimiter
        for line in stream:
            head.append(line)
            if len(head) >= 40:
                break
    except (OSError, UnicodeError):
        stream.close()
        raise _changed(path) from None
    first = HEADER_ROW
    # Excel reads and writes a first line "sep=;" naming the delimiter.
    if sep := re.match(r"sep=(.)\r?\n", head[0] if head else ""):
        head, first = head[1:], HEADER_ROW + 1
    reader = csv.reader(itertools.chain(head, stream),
                        delimiter=sep[1] if sep else _delimiter("".join(head)))
    return _csv_records(path, reader, stream, first), first


def _csv_records(path: Path, reader, stream, first: int) -> Iterator[list[str]]:
    """The reader's records, one at a time; a malformed one is a RosterError naming its line.
    Closes the file when done."""
    try:
        yield from reader
    except csv.Error as exc:
        raise RosterError(_("cannot be read as CSV: {reason}").format(reason=exc), file=path,
                          row=first + reader.line_num - 1, hint=_(FORMATS_HINT)) from None
    except (OSError, UnicodeError):
        raise _changed(path) from None
    finally:
        stream.close()


def _changed(path: Path) -> RosterError:
    """The file no longer reads as it did when its encoding was checked: saved again meanwhile."""
    return RosterError(_("changed while it was being read"), file=path,
                       hint=_("run the command again once the file is saved"))


CHUNK_BYTES = 1 << 20  # the encoding is checked a megabyte at a time


def _encoding(path: Path) -> str:
    """How the file's text is encoded: UTF-8 (BOM or not), UTF-16 with BOM, else Windows-1252;
    never guessed wrong. The whole file is checked, a chunk at a time, keeping none of it.

    A file that is not valid UTF-8 is read as Windows-1252 (what Spanish Excel writes; for
    printable characters a superset of Latin-1). UTF-8 mixed into it shows as garbled text,
    which roster_checks reports cell by cell.
    """
    with open(path, "rb") as file:
        start = file.read(CHUNK_BYTES)
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _check_encoding(path, "utf-16")  # Excel's "Unicode text"
    if start.startswith(b"PK\x03\x04"):
        raise RosterError(_("is a spreadsheet workbook, not CSV text"), file=path,
                          hint=_("rename it to .xlsx or .ods, or save it as CSV"))
    if b"\x00" in start.split(b"\n", 1)[0]:
        raise RosterError(_("looks like UTF-16 text without a byte-order mark"), file=path,
                          hint=_("save it as 'CSV UTF-8'"))
    if start.startswith(codecs.BOM_UTF8):
        return _check_encoding(path, "utf-8-sig")
    try:
        return _check_encoding(path, "utf-8", report=False)
    except UnicodeDecodeError:
        return _check_encoding(path, "cp1252")


def _check_encoding(path: Path, encoding: str, report: bool = True) -> str:
    """`encoding` if every byte of the file decodes with it; else a RosterError naming the
    first byte that does not and its line (`report` False: the UnicodeDecodeError)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0  # bytes given to the decoder so far
    with open(path, "rb") as file:
        while True:
            chunk = file.read(CHUNK_BYTES)
            pending = len(decoder.getstate()[0])  # bytes of a character cut by the last chunk
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                if not report:
                    raise
                where = offset - pending + exc.start
                raise _not_encoded(path, encoding, where, exc.object[exc.start]) from None
            if not chunk:
                return encoding
            offset += len(chunk)


def _not_encoded(path: Path, encoding: str, where: int, byte: int) -> RosterError:
    line = 1
    with open(path, "rb") as file:
        done = 0
        while done < where and (chunk := file.read(min(CHUNK_BYTES, where - done))):
            line += chunk.count(b"\n")
            done += len(chunk)
    expected = {"utf-8-sig": _("UTF-8, as the file's byte-order mark says"), "utf-16": "UTF-16",
                "cp1252": _("UTF-8 or Windows-1252")}[encoding]
    return RosterError(
        _("byte 0x{byte} on line {line} is not {expected} text").format(
            byte=f"{byte:02X}", line=line, expected=expected), file=path,
        hint=_("the file mixes encodings or is not text: open it in a spreadsheet and save "
               "it as 'CSV UTF-8' or .xlsx"))


def _delimiter(text: str) -> str:
    """The delimiter the header line uses most: `,`, `;` or tab (quoted text not counted)."""
    lines = [line for line in text.splitlines() if line.strip()][:20]
    if not lines:
        return ","
    header = re.sub(r'"[^"]*"', "", lines[0])
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts.values())
    candidates = [d for d in DELIMITERS if counts[d] == best]
    if best == 0 or len(candidates) == 1:
        return candidates[0] if best else ","
    try:  # a tie in the header: let the first lines decide
        return csv.Sniffer().sniff("\n".join(lines), delimiters="".join(candidates)).delimiter
    except csv.Error:
        return candidates[0]


# -- spreadsheets ------------------------------------------------------------------------------


def _read_spreadsheet(path: Path,
                      sheet: str | None) -> tuple[str, tuple[str, ...], Iterator[list[str]]]:
    """The sheet read (by name; None: the first), every sheet's name, and the sheet's cells as
    text, blank rows kept (rows are numbered as the sheet shows)."""
    import warnings

    import pandas as pd

    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and data validation it ignores; not the user's concern.
            warnings.simplefilter("ignore")
            with pd.ExcelFile(path) as book:
                sheets = tuple(str(name) for name in book.sheet_names)
                if sheet is not None and sheet not in sheets:
                    raise RosterError(_("the workbook has no sheet '{sheet}'; sheets: "
                                        "{sheets}").format(sheet=sheet, sheets=", ".join(sheets)),
                                      file=path,
                                      hint=_("write in --sheet the name of one of them"))
                sheet = sheets[0] if sheet is None else sheet
                frame = book.parse(sheet, header=None, dtype=object, keep_default_na=False)
    except RosterError:
        raise
    except ImportError as exc:
        raise RosterError(_("cannot be read: {module} is not installed").format(module=exc.name),
                          file=path,
                          hint=_("reinstall oficios with its dependencies, or save as .csv")) from None
    # A damaged file makes the readers raise many types (zip, XML, key errors): all mean this.
    except Exception as exc:  # noqa: BLE001
        raise RosterError(_("cannot be read as a spreadsheet ({kind}: {reason})").format(
                              kind=type(exc).__name__, reason=exc),
                          file=path, hint=_("open it in Excel or LibreOffice and save it again "
                                            "as .xlsx, .ods or CSV UTF-8")) from None
    return sheet, sheets, ([_cell_text(v) for v in row]
                           for row in frame.itertuples(index=False, name=None))


def _cell_text(value: object) -> str:
    """A spreadsheet cell as the text it shows: 1101 not 1101.0, dates as 2009-02-05."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        # pandas reads a cell holding a formula's error (#N/A) as NaN; empty cells are "".
        return FORMULA_ERROR
    if isinstance(value, bool):
        return "VERDADERO" if value else "FALSO"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)
