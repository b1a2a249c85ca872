"""Untrusted roster files: bounded in size, typed by their content, kept under our names.

An upload is read in blocks and refused once it passes the size limit; its type comes from
its first bytes (a ZIP that holds a workbook, or text), never from its name; a workbook's
declared uncompressed size is bounded before any reader opens it (a zip bomb is refused),
and zipfile never inflates an entry past its declared size. The file is stored as
`<sha256>.<csv|xlsx|ods>` in the uploads folder: the name the browser sent is only shown.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from oficios.errors import RosterError
from oficios.i18n import gettext as _
from oficios.output import write_atomic

BLOCK = 64 * 1024
MAX_ZIP_ENTRIES = 2000
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
EXTENSIONS = ("csv", "xlsx", "ods")


@dataclass(frozen=True)
class Upload:
    """A stored roster: where it is, what the browser called it (for display), its kind."""

    path: Path
    shown_name: str
    kind: str
    sha256: str


async def read_limited(upload, limit: int) -> bytes:
    """The uploaded file's bytes; RosterError once it passes `limit` bytes."""
    data = bytearray()
    while block := await upload.read(BLOCK):
        data += block
        if len(data) > limit:
            raise too_large(limit)
    return bytes(data)


def too_large(limit: int) -> RosterError:
    return RosterError(_("the file is larger than {size} MB").format(size=limit // (1024 * 1024)),
                       hint=_("split the roster or remove what it does not need"))


def store(data: bytes, browser_name: str, folder: Path, *,
          max_unzipped: int, max_rows: int) -> Upload:
    """Checks the bytes and stores them under a name made from their hash."""
    kind = sniff(data, max_unzipped)
    if kind == "csv" and data.count(b"\n") > max_rows + 10:
        raise RosterError(_("the file has more than {rows} rows").format(rows=max_rows),
                          hint=_("send at most {rows} recipients at a time").format(rows=max_rows))
    digest = hashlib.sha256(data).hexdigest()
    path = folder / f"{digest}.{kind}"
    if not path.is_file():
        write_atomic(path, data)
    return Upload(path, shown_name(browser_name), kind, digest)


def sniff(data: bytes, max_unzipped: int) -> str:
    """'csv', 'xlsx' or 'ods' from the content; RosterError for anything else."""
    hint = _("save the roster as .csv (UTF-8), .xlsx or .ods")
    if not data.strip():
        raise RosterError(_("the file is empty"), hint=hint)
    if data.startswith(b"PK\x03\x04"):
        return _workbook(data, max_unzipped, hint)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise RosterError(_("this is an old Excel file (.xls), which is not read"),
                          hint=_("open it in Excel and save it as .xlsx"))
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    if (b"\x00" in data[:BLOCK] and not utf16) or data.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8")):
        raise RosterError(_("this file is not a table of recipients"), hint=hint)
    return "csv"


def _workbook(data: bytes, max_unzipped: int, hint: str) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES or \
                    sum(e.file_size for e in entries) > max_unzipped:
                raise RosterError(_("the workbook unpacks to more than {size} MB").format(
                    size=max_unzipped // (1024 * 1024)), hint=hint)
            names = {e.filename for e in entries}
            if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
                return "xlsx"
            if "mimetype" in names and archive.read("mimetype").strip() == ODS_MIMETYPE:
                return "ods"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError):
        pass
    raise RosterError(_("this file is not a workbook this tool reads"), hint=hint)


def shown_name(name: str) -> str:
    """The browser's file name, for display only: its last part, printable, at most 80 chars."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name)
                   if unicodedata.category(c)[0] not in "CZ" or c == " ")
    return name.strip()[:80] or _("roster")


def stored(folder: Path, sha256: str) -> Path | None:
    """An upload already stored, by its hash; None if there is none."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        return None
    for ext in EXTENSIONS:
        path = folder / f"{sha256}.{ext}"
        if path.is_file():
            return path
    return None
