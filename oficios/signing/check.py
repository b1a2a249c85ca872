"""Checking a PDF's signatures with pyHanko's validator, and saying the result in the
user's language."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from oficios.errors import OficiosError
from oficios.i18n import N_, gettext as _
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
            raise SigningError(_("the root certificate cannot be read: {reason}").format(reason=exc),
                               file=root, hint=_("give a PEM or DER certificate with --trust")) \
                from None
    if not Path(path).is_file():
        raise OficiosError(_("file not found"), file=path, hint=_("give the path of a PDF"))
    checks = []
    with open(path, "rb") as f:
        try:
            reader = PdfFileReader(f, strict=False)
            signatures = list(reader.embedded_signatures)
        except Exception as exc:  # a damaged or altered file may not parse at all
            return SignatureReport(Path(path), (), _(
                "the PDF cannot be read ({reason}): it is damaged or was altered").format(
                    reason=f"{type(exc).__name__}: {exc}"))
        for embedded in signatures:
            context = ValidationContext(trust_roots=roots, allow_fetching=False,
                                        revocation_mode="soft-fail")
            checks.append(_check_one(embedded, context))
    return SignatureReport(Path(path), tuple(checks),
                           None if checks else _("the file has no electronic signature"))


def _check_one(embedded, context) -> SignatureCheck:
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    name = embedded.field_name
    try:
        status = validate_pdf_signature(embedded, context)
    except Exception as exc:  # the signature's own bytes were damaged
        return SignatureCheck(name, "?", None, False, False, False, False, None,
                              _("the signature cannot be read ({reason})").format(
                                  reason=type(exc).__name__))
    cert = status.signing_cert
    signer = cert.subject.native.get("common_name") or cert.subject.human_friendly
    changed = status.coverage != SignatureCoverageLevel.ENTIRE_FILE
    changes = None
    if changed:
        level = getattr(status.modification_level, "name", str(status.modification_level))
        changes = _(_CHANGES[level]) if level in _CHANGES else level
    problem = None
    if not status.trusted:
        problem = str(getattr(status.trust_problem_indic, "name", "") or _("no chain"))
    return SignatureCheck(
        field=name, signer=str(signer), signing_time=status.signer_reported_dt,
        timestamped=status.timestamp_validity is not None,
        intact=bool(status.intact and status.valid), trusted=bool(status.trusted),
        changed_after=changed, changes=changes, trust_problem=problem)


_CHANGES = {  # translated where they are shown
    "NONE": N_("an incremental update without changes to the content"),
    "LTA_UPDATES": N_("validation information or timestamps added"),
    "FORM_FILLING": N_("form fields filled in"),
    "ANNOTATIONS": N_("annotations added or changed"),
    "OTHER": N_("changes to the document's content"),
}


def describe_signatures(report: SignatureReport) -> list[str]:
    """The report in plain lines of the user's language, for the command line."""
    if report.problem:
        return [_("SIGNATURE: {problem}.").format(problem=report.problem)]
    lines = []
    for number, s in enumerate(report.signatures, 1):
        when = (s.signing_time.astimezone().strftime("%d-%m-%Y %H:%M:%S %Z")
                if s.signing_time else _("no date declared"))
        lines.append((_("SIGNATURE {number} ({field}): signed by {signer}, on {when} (with a "
                        "timestamp).") if s.timestamped else
                      _("SIGNATURE {number} ({field}): signed by {signer}, on {when} (time "
                        "declared by the signer, without a timestamp).")).format(
            number=number, field=s.field, signer=s.signer, when=when))
        lines.append(_("  Integrity: the signed content is intact.") if s.intact else
                     _("  Integrity: ALTERED: the signed content does not match the signature."))
        lines.append(_("  Changes after signing: YES, {changes}.").format(changes=s.changes)
                     if s.changed_after else _("  Changes after signing: none."))
        lines.append(_("  Trust: the certificate's chain reaches the trust root.")
                     if s.trusted else
                     _("  Trust: NO: the certificate's chain reaches no root given with --trust "
                       "({problem}).").format(problem=s.trust_problem))
    lines.append(_("  Revocation: not checked (no network connection)."))
    lines.append(_("Signature result: VALID.") if report.ok else
                 _("Signature result: NOT VALID: do not trust this file as signed."))
    return lines
