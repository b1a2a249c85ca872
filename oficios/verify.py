"""Answering "is this the letter we sent?" from the register.

A file is hashed and looked up: a letter's file is verified, or superseded when a later
version of the oficio re-issued that recipient's letter; the archive copy and a re-issue
supplement are recognised as what they are. If the hash is unknown but the file carries a
verification code the register knows, it claims to be an issued letter whose content has
changed: altered. A code typed from paper is looked up on its own (`verify_code`). Every
answer names the register it searched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from oficios.errors import OficiosError
from oficios.i18n import gettext as _
from oficios.output import sha256_file
from oficios.register import Batch, Copy, Found, Register, normalize_code

CODE = re.compile(r"C[óo]digo de verificaci[óo]n:\s*([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{2})")
VERIFIED, ALTERED, SUPERSEDED, UNKNOWN, ARCHIVE = (
    "verified", "altered", "superseded", "unknown", "archive")
# What `oficios verify` exits with: 0 only for what can be relied on as issued and current.
EXIT_CODES = {VERIFIED: 0, ARCHIVE: 0, UNKNOWN: 1, SUPERSEDED: 6, ALTERED: 7}


@dataclass(frozen=True)
class Verdict:
    """What the register says of a file or a code.

    `path` and `sha256` are None for a typed code; `found` is the letter (None when the
    register knows nothing of it, or for an archive copy, then in `copy`); `superseded_by`
    is the later version that replaced the letter (None while it is current); `register`
    is the file searched and `register_how` how it was chosen.
    """

    status: str
    path: Path | None
    sha256: str | None
    found: Found | None
    code: str | None
    register: Path | None = None
    register_how: str = ""
    superseded_by: Batch | None = None
    copy: Copy | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]


def verify(path: Path, register_path: Path, how: str = "") -> Verdict:
    """Hashes the file and asks the register; raises OficiosError if either cannot be read."""
    if not path.is_file():
        raise OficiosError(_("the file does not exist"), file=path,
                           hint=_("give the path of a PDF or DOCX, or type the verification "
                                  "code printed at the foot of the letter"))
    with Register(register_path, readonly=True, how=how) as register:
        digest = sha256_file(path)
        where = dict(register=register_path, register_how=how)
        found = register.find_file(digest)
        if found is not None:
            later = register.superseded_by(found)
            return Verdict(SUPERSEDED if later else VERIFIED, path, digest, found, found.codigo,
                           superseded_by=later, **where)
        copy = register.find_copy(digest)
        if copy is not None:
            return Verdict(ARCHIVE, path, digest, None, None, copy=copy, **where)
        code = _code_in(path)
        claimed = register.find_code(code) if code else None
    return Verdict(ALTERED if claimed else UNKNOWN, path, digest, claimed, code, **where)


def verify_code(code: str, register_path: Path, how: str = "") -> Verdict:
    """Looks up a verification code typed from paper (any case, spaces or dashes)."""
    printed = normalize_code(code)
    if printed is None:
        raise OficiosError(_("'{code}' is neither a verification code nor a file that "
                             "exists").format(code=code),
                           hint=_("a code has 10 letters and digits, like EZYE-M5S5-4U"))
    with Register(register_path, readonly=True, how=how) as register:
        found = register.find_code(printed)
        later = register.superseded_by(found) if found else None
    status = UNKNOWN if found is None else SUPERSEDED if later else VERIFIED
    return Verdict(status, None, None, found, printed, register_path, how, later)


def _code_in(path: Path) -> str | None:
    """The verification code printed in a PDF or DOCX, None if there is none (or no text)."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        import zlib

        from pypdf.errors import PyPdfError

        from oficios.combine import pdf_text

        unreadable: tuple[type[Exception], ...] = (PyPdfError, ValueError, KeyError, IndexError,
                                                  TypeError, zlib.error)
        read = pdf_text
    elif suffix == ".docx":
        import zipfile

        from docx.opc.exceptions import PackageNotFoundError
        from lxml.etree import XMLSyntaxError

        from oficios.render_docx import docx_text

        unreadable = (zipfile.BadZipFile, PackageNotFoundError, XMLSyntaxError, KeyError,
                      ValueError)
        read = docx_text
    else:
        return None
    try:
        text = read(path)
    except unreadable:  # an altered or damaged file may not parse at all: it shows no code
        return None
    match = CODE.search(text)
    return match.group(1) if match else None


def describe(verdict: Verdict) -> str:
    """The answer in plain words (the clerk's language), ending with the register searched."""
    searched = (_("Register searched: {path} ({how}).").format(path=verdict.register,
                                                               how=verdict.register_how)
                if verdict.register_how else
                _("Register searched: {path}.").format(path=verdict.register))
    return f"{_answer(verdict)}\n{searched}"


def _letter(f: Found) -> str:
    number = (_(", printed N° {number}").format(number=f.numero)
              if f.numero and f.numero != f.batch.oficio else "")
    return _("{oficio} (version {version}{number}) sent to {name} ({key}), dated {date}, "
             "verification code {code}, generated on {generated}").format(
        oficio=f.batch.oficio, version=f.batch.version, number=number, name=f.destinatario,
        key=f.clave, date=f.batch.fecha, code=f.codigo, generated=f.batch.generado_en)


def _replaced(later: Batch) -> str:
    return _("it was replaced by version {version} on {when}, for the reason «{reason}». It is "
             "not the current letter: use the one of version {version}.").format(
        version=later.version, when=later.generado_en, reason=later.motivo_reemision)


def _answer(verdict: Verdict) -> str:
    f, later = verdict.found, verdict.superseded_by
    if verdict.path is None:  # a typed code
        if f is None:
            return _("UNKNOWN CODE: no registered letter has the code {code}. Check that you "
                     "typed it right; if so, do not trust that document.").format(
                code=verdict.code)
        head = _("REGISTERED CODE: {code} is the one of the letter {letter}. ").format(
            code=verdict.code, letter=_letter(f))
        tail = _replaced(later) if later else _("It is the current version.")
        return head + tail + _(" File issued: {path} (SHA-256 {sha256}).").format(
            path=f.ruta, sha256=f.sha256)
    if verdict.status == VERIFIED:
        assert f is not None
        return _("VERIFIED: {path} is the {format} of the letter {letter}. It is the current "
                 "version.").format(path=verdict.path, format=f.formato.upper(),
                                    letter=_letter(f))
    if verdict.status == SUPERSEDED:
        assert f is not None and later is not None
        return _("SUPERSEDED: {path} is the {format} of the letter {letter}; ").format(
            path=verdict.path, format=f.formato.upper(), letter=_letter(f)) + _replaced(later)
    if verdict.status == ARCHIVE:
        c = verdict.copy
        assert c is not None
        what = (_("ARCHIVE COPY: {path} is the re-issue supplement of batch {id}: ")
                if c.tipo == "suplemento" else
                _("ARCHIVE COPY: {path} is the archive copy of batch {id}: "))
        return what.format(path=verdict.path, id=c.batch.id) + _(
            "{oficio}, version {version}, {letters} letters, dated {date}, written on "
            "{written}.").format(oficio=c.batch.oficio, version=c.batch.version,
                                 letters=c.cartas, date=c.batch.fecha, written=c.escrita_en)
    if verdict.status == ALTERED:
        assert f is not None
        return _("ALTERED: {path} carries the code {code} of {oficio} for {name} ({key}), but "
                 "it is not the file that was issued (SHA-256 {sha256}…). Do not trust it; the "
                 "issued copy is {issued}.").format(
            path=verdict.path, code=verdict.code, oficio=f.batch.oficio, name=f.destinatario,
            key=f.clave, sha256=verdict.sha256[:16], issued=f.ruta)
    return (_("NOT IN THE REGISTER: no issued letter has the content of {path} (SHA-256 "
              "{sha256}…) nor its code {code}.") if verdict.code else
            _("NOT IN THE REGISTER: no issued letter has the content of {path} (SHA-256 "
              "{sha256}…), and it carries no verification code.")).format(
        path=verdict.path, sha256=verdict.sha256[:16], code=verdict.code)
