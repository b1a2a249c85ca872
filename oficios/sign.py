"""Electronic signatures (PAdES) on letters and the archive copy, and checking them.

The only module that imports pyHanko. A `SignerSpec` says where the key is (a PKCS#12 file
or a PKCS#11 token) and is small enough to send to every rendering worker; `load()` opens
the key once per process and checks it before anything is signed (password, dates, key
usage, the token holding the key). A letter is signed as an incremental update: every byte
of the rendered PDF stays, and the signature covers them all.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from dataclasses import dataclass, field
from pathlib import Path

from oficios.errors import OficiosError

FIELD = "FirmaElectronica"
ANCHOR = "firma"  # the named destination the letter layout puts on the signature block
MODES = ("visible", "invisible")
DEFAULT_LEYENDA = "Firmado electrónicamente"
FONT = Path(__file__).resolve().parent / "assets" / "fonts" / "LiberationSans-Regular.ttf"
# The visible box (points): it fills the blank the layout leaves above the signer's name.
BOX_WIDTH, BOX_HEIGHT, BOX_GAP = 180.0, 46.0, 8.0
LINE_HEIGHT = 32.0  # the printed line of an invisible signature, just above the name


@functools.cache
def _quiet_pyhanko() -> None:
    # pyHanko logs every failed check (an untrusted chain, a bad password) with its traceback;
    # our messages say what went wrong, so its log reaches no one unless a program asks.
    import logging

    logging.getLogger("pyhanko").addHandler(logging.NullHandler())
    logging.getLogger("pyhanko_certvalidator").addHandler(logging.NullHandler())
    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)


class SigningError(OficiosError):
    """The signing key cannot be used (password, certificate, token), or a signature fails."""

    exit_code = 6


@dataclass(frozen=True)
class Appearance:
    """How a letter's signature shows, from the template's [firma_electronica] table.

    `modo` "visible": a box at the signature block with signer, cargo, date and `leyenda`;
    "invisible": no box, a printed line at the signature block says the same.
    """

    modo: str = "visible"
    leyenda: str = DEFAULT_LEYENDA

    @classmethod
    def from_template(cls, template) -> Appearance:
        """The template's choice; the defaults when it has no [firma_electronica] table."""
        from oficios.errors import TemplateError
        from oficios.template import METADATA_FILE

        table = template.meta.get("firma_electronica", {})
        where = template.folder / METADATA_FILE
        if not isinstance(table, dict):
            raise TemplateError("[firma_electronica] must be a table", file=where)
        unknown = sorted(set(table) - {"modo", "leyenda"})
        if unknown:
            raise TemplateError(f"[firma_electronica] has unknown keys: {', '.join(unknown)}",
                                file=where, hint="it takes modo and leyenda")
        modo = table.get("modo", "visible")
        if modo not in MODES:
            raise TemplateError(f"[firma_electronica] modo = {modo!r} is not a mode", file=where,
                                hint='write modo = "visible" or modo = "invisible"')
        leyenda = table.get("leyenda", DEFAULT_LEYENDA)
        if not isinstance(leyenda, str) or not leyenda.strip():
            raise TemplateError("[firma_electronica] leyenda must be a text", file=where)
        return cls(modo, leyenda.strip())


@dataclass(frozen=True)
class SignerSpec:
    """Where the signing key is and how signatures look; picklable, loaded once per process.

    Either `pkcs12` (a .p12/.pfx file) or `pkcs11_token` (the token's label, with
    `pkcs11_module` the PKCS#11 library and `pkcs11_key` the key's label) is set. `secret` is
    the PKCS#12 password or the token's PIN (never shown in a repr). `tsa_url` None signs
    PAdES B-B; a URL adds a timestamp from that authority (B-T).
    """

    pkcs12: Path | None = None
    pkcs11_module: str | None = None
    pkcs11_token: str | None = None
    pkcs11_key: str | None = None
    secret: str = field(default="", repr=False)
    tsa_url: str | None = None
    appearance: Appearance = Appearance()

    def load(self, now: dt.datetime | None = None) -> LetterSigner:
        """Opens the key and checks it can sign now; raises SigningError saying why not."""
        _quiet_pyhanko()
        if (self.pkcs12 is None) == (self.pkcs11_token is None):
            raise SigningError("indique una sola fuente de la clave de firma",
                               hint="use --pkcs12 ARCHIVO o --pkcs11-token ETIQUETA")
        if self.pkcs12 is not None:
            signer, cert, source = _load_pkcs12(self.pkcs12, self.secret)
        else:
            signer, cert, source = _load_pkcs11(self)
        try:
            _check_certificate(cert, source, now or dt.datetime.now(dt.timezone.utc))
        except SigningError:
            _close(signer)
            raise
        return LetterSigner(self, signer, _common_name(cert))


def _load_pkcs12(path: Path, secret: str):
    from cryptography.hazmat.primitives.serialization import pkcs12
    from pyhanko.sign.signers import SimpleSigner

    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise SigningError("no existe el archivo de la clave de firma", file=path,
                           hint="indique un archivo .p12 o .pfx con --pkcs12") from None
    except OSError as exc:
        raise SigningError(f"no se puede leer el archivo de la clave de firma: {exc.strerror}",
                           file=path) from None
    password = secret.encode("utf-8") if secret else None
    try:
        key, cert, others = pkcs12.load_key_and_certificates(data, password)
    except ValueError:
        hint = ("la contraseña se toma de OFICIOS_FIRMA_CLAVE o se pregunta" if secret else
                "el archivo pide contraseña: defina OFICIOS_FIRMA_CLAVE o escríbala al preguntarse")
        raise SigningError("la contraseña no abre el archivo PKCS#12 (o el archivo no es un "
                           "PKCS#12)", file=path, hint=hint) from None
    if key is None or cert is None:
        raise SigningError("el archivo PKCS#12 no contiene una clave privada con su certificado",
                           file=path) from None
    if key.public_key().public_numbers() != cert.public_key().public_numbers():
        raise SigningError("la clave privada del archivo PKCS#12 no corresponde a su certificado",
                           file=path)
    loaded = SimpleSigner.load_pkcs12_data(data, other_certs=(), passphrase=password)
    signer = _key_signer_class()(signing_cert=loaded.signing_cert, signing_key=loaded.signing_key,
                                 cert_registry=loaded.cert_registry)
    signer.key = key
    return signer, cert, str(path)


def _key_signer_class():
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from pyhanko.sign.signers import SimpleSigner

    class KeySigner(SimpleSigner):
        """SimpleSigner with its RSA key parsed once: SimpleSigner parses (and checks) the
        key at every signature, which was a third of the time of signing a letter."""

        key = None

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
            if isinstance(self.key, rsa.RSAPrivateKey) and mechanism == "rsassa_pkcs1v15":
                algorithm = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(),
                             "sha512": hashes.SHA512()}.get(digest_algorithm)
                if algorithm is not None:
                    return self.key.sign(data, padding.PKCS1v15(), algorithm)
            return super().sign_raw(data, digest_algorithm)

    return KeySigner


def _load_pkcs11(spec: SignerSpec):
    module = spec.pkcs11_module
    source = f"token '{spec.pkcs11_token}'"
    if not module or not Path(module).is_file():
        raise SigningError(f"no se encuentra la biblioteca PKCS#11 '{module or ''}'",
                           hint="instale el software del token (p. ej. softhsm2 u opensc) e "
                                "indique su biblioteca .so con --pkcs11-module")
    from cryptography import x509
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

    criteria = TokenCriteria(label=spec.pkcs11_token)
    try:
        try:
            session = open_pkcs11_session(module, token_criteria=criteria,
                                          user_pin=spec.secret or None)
        except Exception as exc:
            if type(exc).__name__ != "UserAlreadyLoggedIn":
                raise
            # PKCS#11 logs in per process: another session of ours already did.
            session = open_pkcs11_session(module, token_criteria=criteria)
    except Exception as exc:  # python-pkcs11 raises one class per PKCS#11 return code
        name = type(exc).__name__
        if "Pin" in name:
            raise SigningError(f"el PIN no abre el {source}", hint="revise OFICIOS_PIN") from None
        if "No token" in str(exc):
            raise SigningError(f"no hay un {source} conectado",
                               hint="conecte el token o revise --pkcs11-token") from None
        raise SigningError(f"no se pudo abrir el {source} con {module}: {name} {exc}".strip(),
                           hint="revise --pkcs11-module y --pkcs11-token") from None
    key = spec.pkcs11_key or "firma"
    signer = PKCS11Signer(session, key_label=key, cert_label=key, other_certs_to_pull=None)
    try:
        cert = signer.signing_cert  # pulls the certificate and finds the private key
    except Exception:
        session.close()
        raise SigningError(f"el {source} no tiene una clave de firma con la etiqueta '{key}' "
                           "(con su certificado)",
                           hint="revise --pkcs11-key; `pkcs11-tool -O` lista lo que el token "
                                "contiene") from None
    return signer, x509.load_der_x509_certificate(cert.dump()), source


def _close(signer) -> None:
    session = getattr(signer, "pkcs11_session", None)
    if session is not None:
        session.close()


def _check_certificate(cert, source: str, now: dt.datetime) -> None:
    """Refuses a certificate that cannot sign now: outside its dates or not for signing."""
    from cryptography import x509

    name = _common_name(cert)
    if now < cert.not_valid_before_utc:
        raise SigningError(f"el certificado de {name} ({source}) aún no es válido: rige desde "
                           f"el {cert.not_valid_before_utc:%d-%m-%Y %H:%M} UTC",
                           hint="firme desde esa fecha o use otro certificado")
    if now > cert.not_valid_after_utc:
        raise SigningError(f"el certificado de {name} ({source}) venció el "
                           f"{cert.not_valid_after_utc:%d-%m-%Y %H:%M} UTC",
                           hint="renueve el certificado de firma")
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return  # RFC 5280: no key usage extension means any use
    if not (usage.digital_signature or usage.content_commitment):
        raise SigningError(f"el certificado de {name} ({source}) no permite firmar: su uso de "
                           "clave no incluye firma digital ni no repudio",
                           hint="use el certificado de firma, no el de cifrado")


def _common_name(cert) -> str:
    from cryptography.x509.oid import NameOID

    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


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
        _close(self.signer)

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
        where = _anchor(writer)
        cargo = " ".join(firma[1:]) if len(firma) > 1 else ""
        params = {"leyenda": self.spec.appearance.leyenda, "nombre": self.name, "cargo": cargo,
                  "fecha": _now_text()}
        if where is None:
            return self._sign(writer, None, None, params)
        page, x, top, width = where
        if self.spec.appearance.modo == "visible":
            box = (x - BOX_WIDTH / 2, top + BOX_GAP, x + BOX_WIDTH / 2, top + BOX_GAP + BOX_HEIGHT)
            return self._sign(writer, page, box, params)
        _print_line(writer, page, (x - width / 2, top, x + width / 2, top + LINE_HEIGHT), params)
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
                                       stamp_style=_box_style() if box is not None else None,
                                       new_field_spec=spec)
        out = io.BytesIO()
        try:
            pdf_signer.sign_pdf(writer, output=out, appearance_text_params=params or None,
                                bytes_reserved=self._room())
        except Exception as exc:  # the token was pulled out, the TSA did not answer...
            raise SigningError(f"la firma falló: {type(exc).__name__}: {exc}",
                               hint="no se escribió ningún archivo a medio firmar") from None
        return out.getvalue()


def _now_text() -> str:
    return dt.datetime.now().astimezone().strftime("%d-%m-%Y %H:%M %Z")


def _anchor(writer) -> tuple[int, float, float, float] | None:
    """(page index, centre x, top y, width) of the signature block, None if the PDF has none.

    The layout's named destination gives the block's top left corner; the block is centred
    on the page, so its width is what lies between that left edge and the same margin on
    the right."""
    from pyhanko.pdf_utils import generic

    try:
        names = writer.root["/Names"]["/Dests"]["/Names"]
    except KeyError:
        return None
    for i in range(0, len(names) - 1, 2):
        if str(names[i]) == ANCHOR:
            dest = names[i + 1]
            break
    else:
        return None
    if isinstance(dest, generic.DictionaryObject):
        dest = dest["/D"]
    page_ref = dest.raw_get(0) if hasattr(dest, "raw_get") else dest[0]
    count = int(writer.root["/Pages"]["/Count"])
    for index in range(count):
        ref, _resources = writer.find_page_for_modification(index)
        if ref.reference == page_ref.reference:
            left, right = _horizontal_extent(ref.get_object())
            centre = (left + right) / 2
            return index, centre, float(dest[3]), 2 * (centre - float(dest[2]))
    return None


def _horizontal_extent(page) -> tuple[float, float]:
    box = page.get("/CropBox", page["/MediaBox"])
    return float(box[0]), float(box[2])


_font_bytes: bytes | None = None


def _font() -> bytes:
    """The letter font for signature texts at 1000 units per em, made once per process.

    pyHanko 0.38 writes glyph widths in font units as if every font had 1000 units per em;
    Liberation Sans has 2048, so its text came out spread to twice its width. A copy cut to
    the Latin scripts and scaled to 1000 units takes 0.3 s and stays in memory.
    """
    global _font_bytes
    if _font_bytes is None:
        from fontTools import subset
        from fontTools.ttLib import TTFont
        from fontTools.ttLib.scaleUpem import scale_upem

        font = TTFont(str(FONT))
        options = subset.Options()
        # No layout tables or hinting: pyHanko subsets the font again at every signature,
        # and without them that takes a fraction of the time (the box needs no kerning).
        options.layout_features, options.hinting, options.name_IDs = [], False, ["*"]
        options.glyph_names = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[*range(0x20, 0x250), *range(0x2010, 0x2030), 0x20AC])
        subsetter.subset(font)
        scale_upem(font, 1000)
        buffer = io.BytesIO()
        font.save(buffer)
        font.close()
        _font_bytes = buffer.getvalue()
    return _font_bytes


def _font_factory(font_size: int):
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory

    class InMemoryFont(GlyphAccumulatorFactory):
        """pyHanko's factory opens the font file and never closes it; this reads bytes."""

        def create_font_engine(self, writer, obj_stream=None):
            if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
                obj_stream = writer.prepare_object_stream()
            return GlyphAccumulator(writer=writer, font_handle=io.BytesIO(_font()),
                                    font_size=self.font_size, obj_stream=obj_stream)

    return InMemoryFont(font_file=str(FONT), font_size=font_size)


def _style(font_size: int):
    from pyhanko.pdf_utils.layout import AxisAlignment, Margins, SimpleBoxLayoutRule
    from pyhanko.pdf_utils.text import TextBoxStyle

    text = TextBoxStyle(font=_font_factory(font_size),
                        font_size=font_size, leading=font_size + 2)
    centred = SimpleBoxLayoutRule(x_align=AxisAlignment.ALIGN_MID, y_align=AxisAlignment.ALIGN_MID,
                                  margins=Margins(4, 4, 4, 4))
    return text, centred


def _box_style():
    from pyhanko.stamp import TextStampStyle

    text, centred = _style(7)
    return TextStampStyle(stamp_text="%(leyenda)s\n%(nombre)s\n%(cargo)s\n%(fecha)s",
                          text_box_style=text, inner_content_layout=centred, border_width=1,
                          background=None)


def _print_line(writer, page: int, box: tuple[float, float, float, float], params: dict) -> None:
    """Prints 'Firmado electrónicamente por ..., el ...' in the page at the signature block."""
    from pyhanko.pdf_utils.layout import BoxConstraints
    from pyhanko.stamp import TextStamp, TextStampStyle

    text, centred = _style(7)  # a longer name or cargo shrinks the line to the block's width
    style = TextStampStyle(stamp_text="%(leyenda)s por %(nombre)s, %(cargo)s, el %(fecha)s",
                           text_box_style=text, inner_content_layout=centred, border_width=0,
                           background=None)
    stamp = TextStamp(writer, style, text_params=params,
                      box=BoxConstraints(width=box[2] - box[0], height=box[3] - box[1]))
    stamp.apply(page, box[0], box[1])


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

    _quiet_pyhanko()
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
