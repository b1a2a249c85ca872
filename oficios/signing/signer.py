"""A loaded signing key signing letters (at their signature block) and the archive copy."""

from __future__ import annotations

import io
from pathlib import Path

from oficios.i18n import gettext as _
from oficios.signing.appearance import (BOX_GAP, BOX_HEIGHT, BOX_WIDTH, LINE_HEIGHT, anchor,
                                        box_style, now_text, print_line)
from oficios.signing.keys import SignerSpec, SigningError, close_key

FIELD = "FirmaElectronica"


class LetterSigner:
    """A loaded signing key: signs letters (with their appearance) and the archive copy."""

    def __init__(self, spec: SignerSpec, signer, name: str) -> None:
        self.spec = spec
        self.signer = signer
        self.name = name  # the certificate's common name
        self.timestamper = None
        if spec.tsa_url:
            from pyhanko.sign.timestamps import HTTPTimeStamper

            self.timestamper = HTTPTimeStamper(spec.tsa_url)

    def _room(self) -> int | None:
        """Bytes to leave for the signature: the certificates it embeds and 4 KiB for the
        rest, so pyHanko need not sign twice to measure it. None (measure) with a TSA, whose
        answer's size is not known ahead."""
        if self.timestamper is not None:
            return None
        certs = sum(len(c.dump()) for c in self.signer.cert_registry) + len(
            self.signer.signing_cert.dump())
        return -(-(certs + 4096) // 1024) * 1024

    def close(self) -> None:
        """Logs out of the token (nothing to do for a PKCS#12 key)."""
        close_key(self.signer)

    def __enter__(self) -> LetterSigner:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def sign(self, data: bytes, firma: tuple[str, ...] | list[str] = ()) -> bytes:
        """The letter's PDF signed; `firma` is its signature block (name, cargo...).

        The signature shows at the layout's signature block (the named destination
        'firma'); a PDF without one gets an invisible signature and no printed line.
        """
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        where = anchor(writer)
        cargo = " ".join(firma[1:]) if len(firma) > 1 else ""
        params = {"leyenda": self.spec.appearance.leyenda, "nombre": self.name, "cargo": cargo,
                  "fecha": now_text()}
        if where is None:
            return self._sign(writer, None, None, params)
        page, x, top, width = where
        if self.spec.appearance.modo == "visible":
            box = (x - BOX_WIDTH / 2, top + BOX_GAP, x + BOX_WIDTH / 2, top + BOX_GAP + BOX_HEIGHT)
            return self._sign(writer, page, box, params)
        print_line(writer, page, (x - width / 2, top, x + width / 2, top + LINE_HEIGHT), params)
        return self._sign(writer, None, None, params)

    def sign_file(self, path: Path) -> None:
        """Signs a PDF file in place (invisibly: the archive copy), all or nothing."""
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

        from oficios.output import write_atomic

        data = path.read_bytes()
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        write_atomic(path, self._sign(writer, None, None, {}))

    def _sign(self, writer, page: int | None, box, params: dict) -> bytes:
        from pyhanko.sign import fields, signers

        meta = signers.PdfSignatureMetadata(
            field_name=FIELD, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
            reason=self.spec.appearance.leyenda, name=self.name)
        spec = (fields.SigFieldSpec(FIELD, on_page=page, box=box) if box is not None
                else fields.SigFieldSpec(FIELD))
        pdf_signer = signers.PdfSigner(meta, signer=self.signer, timestamper=self.timestamper,
                                       stamp_style=box_style() if box is not None else None,
                                       new_field_spec=spec)
        out = io.BytesIO()
        try:
            _outside_event_loop(lambda: pdf_signer.sign_pdf(
                writer, output=out, appearance_text_params=params or None,
                bytes_reserved=self._room()))
        except Exception as exc:  # the token was pulled out, the TSA did not answer...
            raise SigningError(_("the signature failed: {reason}").format(
                reason=f"{type(exc).__name__}: {exc}"),
                hint=_("no half-signed file was written")) from None
        return out.getvalue()


def _outside_event_loop(call):
    """Runs `call` (pyHanko's synchronous signing, which calls asyncio.run) in this thread, or
    in a helper thread when this thread already runs an event loop (an async web server, a
    notebook), where asyncio.run is refused."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="firma") as pool:
        return pool.submit(call).result()
