"""Answering "is this the letter we sent?" from the register.

A file is hashed and looked up. If its hash is unknown but it carries a verification code
the register knows, it claims to be an issued letter whose content has changed: altered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from oficios.errors import OficiosError
from oficios.output import sha256_file
from oficios.register import Found, Register, RegisterError

CODE = re.compile(r"C[óo]digo de verificaci[óo]n:\s*([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{2})")
VERIFIED, ALTERED, UNKNOWN = "verified", "altered", "unknown"


@dataclass(frozen=True)
class Verdict:
    """What the register says of a file; `found` is None when it knows nothing of it."""

    status: str
    path: Path
    sha256: str
    found: Found | None
    code: str | None


def verify(path: Path, register_path: Path) -> Verdict:
    """Hashes the file and asks the register; raises OficiosError if either cannot be read."""
    if not path.is_file():
        raise OficiosError("file not found", file=path, hint="give the path of a PDF or DOCX")
    if not register_path.is_file():
        raise RegisterError("no register here", file=register_path,
                            hint="give the register with --register PATH")
    digest = sha256_file(path)
    with Register(register_path, readonly=True) as register:
        found = register.find_file(digest)
        if found is not None:
            return Verdict(VERIFIED, path, digest, found, found.codigo)
        code = _code_in(path)
        claimed = register.find_code(code) if code else None
    return Verdict(ALTERED if claimed else UNKNOWN, path, digest, claimed, code)


def _code_in(path: Path) -> str | None:
    """The verification code printed in a PDF or DOCX, None if there is none (or no text)."""
    try:
        if path.suffix.lower() == ".pdf":
            from oficios.combine import pdf_text

            text = pdf_text(path)
        elif path.suffix.lower() == ".docx":
            from oficios.render_docx import docx_text

            text = docx_text(path)
        else:
            return None
    except Exception:  # an altered or damaged file may not parse at all: it has no code
        return None
    match = CODE.search(text)
    return match.group(1) if match else None


def describe(verdict: Verdict) -> str:
    """The answer in plain words, for the command line."""
    f = verdict.found
    if verdict.status == VERIFIED:
        assert f is not None
        return (f"VERIFIED: {verdict.path} is the {f.formato.upper()} of {f.batch.oficio} "
                f"(version {f.batch.version}) sent to {f.destinatario} ({f.clave}), dated "
                f"{f.batch.fecha}, verification code {f.codigo}, generated {f.batch.generado_en}.")
    if verdict.status == ALTERED:
        assert f is not None
        return (f"ALTERED: {verdict.path} carries the code {verdict.code} of {f.batch.oficio} "
                f"to {f.destinatario} ({f.clave}), but it is not the file that was issued "
                f"(SHA-256 {verdict.sha256[:16]}…). Do not rely on it; the issued copy is "
                f"{f.ruta}.")
    return (f"NOT IN THE REGISTER: no issued letter has the content of {verdict.path} "
            f"(SHA-256 {verdict.sha256[:16]}…)"
            + (f" or its code {verdict.code}." if verdict.code else ", and it carries no "
               "verification code."))
