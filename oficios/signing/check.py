"""Checking a PDF's signatures with pyHanko's validator, and saying the result in Spanish."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from oficios.errors import OficiosError
from oficios.signing.keys import SigningError, quiet_pyhanko


@dataclass(frozen=True)
class SignatureCheck:
    """What pyHanko's validator says of one signature in a PDF.

    `intact`: the signed bytes are unchanged and the signature over them is valid; `trusted`:
    the signer's chain reaches one of the trust roots; `changed_after`: the file has
    incremental updates after this signature, described by `changes` (None if there are none).
    `signing_time` is the time the signer's software declared (None if it declared none).
    """

    field: str
    signer: str
    signing_time: dt.datetime | None
    timestamped: bool
    intact: bool
    trusted: bool
    changed_after: bool
    changes: str | None
    trust_problem: str | None

    @property
    def ok(self) -> bool:
        """Intact, trusted and not changed after signing."""
        return self.intact and self.trusted and not self.changed_after


@dataclass(frozen=True)
class SignatureReport:
    """Every signature of a file; `problem` says why none could be read (None if all were)."""

    path: Path
    signatures: tuple[SignatureCheck, ...]
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """At least one signature, and every one intact, trusted and unchanged after."""
        return self.problem is None and bool(self.signatures) and all(
            s.ok for s in self.signatures)


def check_signatures(path: Path, trust_roots: list[Path]) -> SignatureReport:
    """Validates every signature of a PDF against the given root certificates (PEM or DER).

    Nothing is fetched from the network: revocation is not checked (said in the lines).
    """
    from pyhanko.keys import load_certs_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko_certvalidator import ValidationContext

    quiet_pyhanko()
    roots = []
    for root in trust_roots:
        try:
            roots += list(load_certs_from_pemder([str(root)]))
        except (OSError, ValueError) as exc:
            raise SigningError(f"no se puede leer el certificado raíz: {exc}", file=root,
                               hint="indique con --trust un certificado PEM o DER") from None
    if not Path(path).is_file():
        raise OficiosError("file not found", file=path, hint="give the path of a PDF")
    checks = []
    with open(path, "rb") as f:
        try:
            reader = PdfFileReader(f, strict=False)
            signatures = list(reader.embedded_signatures)
        except Exception as exc:  # a damaged or altered file may not parse at all
            return SignatureReport(Path(path), (), f"el PDF no se puede leer ({type(exc).__name__}: "
                                                    f"{exc}): está dañado o fue alterado")
        for embedded in signatures:
            context = ValidationContext(trust_roots=roots, allow_fetching=False,
                                        revocation_mode="soft-fail")
            checks.append(_check_one(embedded, context))
    return SignatureReport(Path(path), tuple(checks),
                           None if checks else "el archivo no tiene firma electrónica")


def _check_one(embedded, context) -> SignatureCheck:
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    name = embedded.field_name
    try:
        status = validate_pdf_signature(embedded, context)
    except Exception as exc:  # the signature's own bytes were damaged
        return SignatureCheck(name, "?", None, False, False, False, False, None,
                              f"la firma no se puede leer ({type(exc).__name__})")
    cert = status.signing_cert
    signer = cert.subject.native.get("common_name") or cert.subject.human_friendly
    changed = status.coverage != SignatureCoverageLevel.ENTIRE_FILE
    changes = None
    if changed:
        level = getattr(status.modification_level, "name", str(status.modification_level))
        changes = _CHANGES.get(level, level)
    problem = None
    if not status.trusted:
        problem = str(getattr(status.trust_problem_indic, "name", "") or "sin cadena")
    return SignatureCheck(
        field=name, signer=str(signer), signing_time=status.signer_reported_dt,
        timestamped=status.timestamp_validity is not None,
        intact=bool(status.intact and status.valid), trusted=bool(status.trusted),
        changed_after=changed, changes=changes, trust_problem=problem)


_CHANGES = {
    "NONE": "una actualización incremental sin cambios de contenido",
    "LTA_UPDATES": "información de validación o sellos de tiempo agregados",
    "FORM_FILLING": "campos de formulario llenados",
    "ANNOTATIONS": "anotaciones agregadas o modificadas",
    "OTHER": "cambios al contenido del documento",
}


def describe_signatures(report: SignatureReport) -> list[str]:
    """The report in plain Spanish lines, for the command line."""
    if report.problem:
        return [f"FIRMA: {report.problem}."]
    lines = []
    for number, s in enumerate(report.signatures, 1):
        when = (s.signing_time.astimezone().strftime("%d-%m-%Y %H:%M:%S %Z")
                if s.signing_time else "sin fecha declarada")
        lines.append(f"FIRMA {number} ({s.field}): firmada por {s.signer}, el {when}"
                     + (" (con sello de tiempo)." if s.timestamped else
                        " (hora declarada por el firmante, sin sello de tiempo)."))
        lines.append("  Integridad: el contenido firmado está intacto." if s.intact else
                     "  Integridad: ALTERADO: el contenido firmado no coincide con la firma.")
        lines.append(f"  Cambios después de firmar: SÍ, {s.changes}." if s.changed_after else
                     "  Cambios después de firmar: ninguno.")
        lines.append("  Confianza: la cadena del certificado llega a la raíz de confianza."
                     if s.trusted else
                     "  Confianza: NO: la cadena del certificado no llega a ninguna raíz dada "
                     f"con --trust ({s.trust_problem}).")
    lines.append("  Revocación: no consultada (sin conexión a la red).")
    lines.append("Resultado de la firma: VÁLIDA." if report.ok else
                 "Resultado de la firma: NO VÁLIDA: no confíe en este archivo como firmado.")
    return lines
