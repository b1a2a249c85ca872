"""The package's exceptions: one base class, one subclass per thing a user can fix.

Library code raises these; only the CLI turns them into a message and an exit code.
"""

from __future__ import annotations

from pathlib import Path

from oficios.i18n import gettext as _


class OficiosError(Exception):
    """A problem the user can fix; `str()` is one line that says where and what to do.

    `file`, `row` and `column` locate the problem; None means "not applicable"
    (a missing column has no row, a missing file has neither).
    `row` counts lines as a spreadsheet shows them: the header is row 1; `line` is a line
    of a text file such as a template.
    """

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        self.line = line
        self.hint = hint
        super().__init__(self.format())

    def __reduce__(self):
        # Errors cross process boundaries (raised in a rendering worker): keep every field.
        return _rebuild, (type(self), self.__dict__)

    def location(self) -> str:
        """Where the problem is, e.g. `roster.csv, row 7, column 'cut'` ('' if unknown)."""
        parts = []
        if self.file:
            parts.append(self.file)
        if self.row is not None:
            parts.append(_("row {row}").format(row=self.row))
        if self.column is not None:
            parts.append(_("column '{column}'").format(column=self.column))
        if self.line is not None:
            parts.append(_("line {line}").format(line=self.line))
        return ", ".join(parts)

    def format(self) -> str:
        """The one-line message shown to the user."""
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class RosterError(OficiosError):
    """The roster (the list of recipients) cannot be used as it is."""

    exit_code = 2


class TemplateError(OficiosError):
    """The oficio template is missing, malformed or needs data the roster does not give."""

    exit_code = 3


class OutputError(OficiosError):
    """An output file or folder cannot be written."""

    exit_code = 4


def raise_all(errors: list[OficiosError], summary: str) -> None:
    """Raises nothing for no error, the error itself for one, an ErrorList (in row order)
    headed by `summary` for several."""
    errors = sorted(errors, key=lambda e: e.row or 0)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ErrorList(errors, summary.format(count=len(errors)))


class ErrorList(OficiosError):
    """Several problems found at once, so the user can fix them all in one go."""

    def __init__(self, errors: list[OficiosError], summary: str) -> None:
        self.errors = errors
        self.exit_code = errors[0].exit_code if errors else 1
        super().__init__(summary)

    def format(self) -> str:
        lines = [self.message] + [f"  - {e.format()}" for e in self.errors]
        return "\n".join(lines)


def _rebuild(cls: type, state: dict) -> OficiosError:
    error = Exception.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, error.format())
    return error
