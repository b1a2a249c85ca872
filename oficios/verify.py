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
        raise OficiosError("no existe el archivo", file=path,
                           hint="indique la ruta de un PDF o DOCX, o escriba el código de "
                                "verificación impreso al pie de la carta")
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
        raise OficiosError(f"'{code}' no es un código de verificación ni un archivo que exista",
                           hint="un código tiene 10 letras y cifras, como EZYE-M5S5-4U")
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
    """The answer in plain words (Spanish, for the clerk), ending with the register searched."""
    return f"{_answer(verdict)}\nRegistro consultado: {verdict.register}" + (
        f" ({verdict.register_how})." if verdict.register_how else ".")


def _letter(f: Found) -> str:
    number = f", N° impreso {f.numero}" if f.numero and f.numero != f.batch.oficio else ""
    return (f"{f.batch.oficio} (versión {f.batch.version}{number}) enviada a {f.destinatario} "
            f"({f.clave}), fechada el {f.batch.fecha}, código de verificación {f.codigo}, "
            f"generada el {f.batch.generado_en}")


def _replaced(later: Batch) -> str:
    return (f"fue reemplazada por la versión {later.version} el {later.generado_en}, con el "
            f"motivo «{later.motivo_reemision}». No es la carta vigente: use la de la versión "
            f"{later.version}.")


def _answer(verdict: Verdict) -> str:
    f, later = verdict.found, verdict.superseded_by
    if verdict.path is None:  # a typed code
        if f is None:
            return (f"CÓDIGO DESCONOCIDO: ninguna carta registrada tiene el código {verdict.code}. "
                    "Revise que lo haya escrito bien; si lo está, no confíe en ese documento.")
        head = f"CÓDIGO REGISTRADO: {verdict.code} es el de la carta {_letter(f)}. "
        tail = _replaced(later) if later else "Es la versión vigente."
        return head + tail + f" Archivo emitido: {f.ruta} (SHA-256 {f.sha256})."
    if verdict.status == VERIFIED:
        assert f is not None
        return (f"VERIFICADO: {verdict.path} es el {f.formato.upper()} de la carta {_letter(f)}. "
                "Es la versión vigente.")
    if verdict.status == SUPERSEDED:
        assert f is not None and later is not None
        return (f"REEMPLAZADA: {verdict.path} es el {f.formato.upper()} de la carta {_letter(f)}; "
                + _replaced(later))
    if verdict.status == ARCHIVE:
        c = verdict.copy
        assert c is not None
        what = ("el suplemento de reemisión" if c.tipo == "suplemento" else "la copia de archivo")
        return (f"COPIA DE ARCHIVO: {verdict.path} es {what} del lote {c.batch.id}: "
                f"{c.batch.oficio}, versión {c.batch.version}, {c.cartas} cartas, fechado el "
                f"{c.batch.fecha}, escrita el {c.escrita_en}.")
    if verdict.status == ALTERED:
        assert f is not None
        return (f"ALTERADO: {verdict.path} lleva el código {verdict.code} de {f.batch.oficio} "
                f"para {f.destinatario} ({f.clave}), pero no es el archivo que se emitió "
                f"(SHA-256 {verdict.sha256[:16]}…). No confíe en él; la copia emitida es "
                f"{f.ruta}.")
    return (f"NO ESTÁ EN EL REGISTRO: ninguna carta emitida tiene el contenido de {verdict.path} "
            f"(SHA-256 {verdict.sha256[:16]}…)"
            + (f" ni su código {verdict.code}." if verdict.code else
               ", y no lleva código de verificación."))
