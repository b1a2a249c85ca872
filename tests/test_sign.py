"""Signing a letter (PAdES) with a PKCS#12 key and a SoftHSM2 token, and checking signatures.

The PKI is made in the test (tests/pki.py); signatures are checked with pyHanko's validator
through oficios.signing.check_signatures, and the PDFs are opened with pypdf.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

import pki
from conftest import TEMPLATE
from oficios.signing import Appearance, SignerSpec, SigningError, check_signatures, describe_signatures

FIRMA = ("PAULA QUINTANA MELÉNDEZ", "MINISTRA DE PLANIFICACIÓN")


@pytest.fixture(scope="module")
def ca() -> pki.Pki:
    return pki.shared()[0]


@pytest.fixture(scope="module")
def letter_pdf(letters) -> bytes:
    from oficios.render_pdf import PdfRenderer

    return PdfRenderer(TEMPLATE).render(letters["13120"])


@pytest.fixture
def token() -> Path:
    """The SOFTHSM2_CONF of the process's tokens: 'oficios' holds `ca`'s key, 'vacio' none."""
    return pki.shared()[1]


def p12_signer(p: pki.Pki, modo: str = "visible", **changes) -> SignerSpec:
    values = dict(pkcs12=p.p12, secret=pki.PASSWORD, appearance=Appearance(modo))
    values.update(changes)
    return SignerSpec(**values)


def token_signer(**changes) -> SignerSpec:
    values = dict(pkcs11_module=pki.SOFTHSM_MODULE, pkcs11_token="oficios", pkcs11_key="firma",
                  secret=pki.PIN)
    values.update(changes)
    return SignerSpec(**values)


def signed_file(tmp_path: Path, data: bytes, name: str = "carta.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def widget(data: bytes):
    """The signature field's widget annotation and the index of its page."""
    reader = PdfReader(io.BytesIO(data))
    for number, page in enumerate(reader.pages):
        for annot in page.get("/Annots", []):
            annot = annot.get_object()
            if annot.get("/FT") == "/Sig" or annot.get("/Parent", {}).get("/FT") == "/Sig":
                return annot, number
    raise AssertionError("no signature widget")


def test_a_letter_signed_with_a_pkcs12_key_is_intact_trusted_and_keeps_every_byte(
        ca, letter_pdf, tmp_path):
    signed = p12_signer(ca).load().sign(letter_pdf, FIRMA)
    assert signed.startswith(letter_pdf)  # an incremental update: the letter is untouched
    report = check_signatures(signed_file(tmp_path, signed), [ca.root])
    assert report.ok, describe_signatures(report)
    (signature,) = report.signatures
    assert signature.signer == pki.SIGNER_NAME
    assert signature.intact and signature.trusted and not signature.changed_after
    assert signature.signing_time is not None and not signature.timestamped
    text = "\n".join(describe_signatures(report))
    assert f"firmada por {pki.SIGNER_NAME}" in text
    assert "el contenido firmado está intacto" in text and "Resultado de la firma: VÁLIDA." in text


def test_a_letter_is_signed_from_inside_a_running_event_loop(ca, letter_pdf, tmp_path):
    # An async web server, or a test session driving a browser, runs an event loop in the
    # thread that signs: pyHanko's own asyncio.run must not be refused there.
    import asyncio

    async def sign_in_a_loop():
        return p12_signer(ca).load().sign(letter_pdf, FIRMA)

    signed = asyncio.run(sign_in_a_loop())
    assert check_signatures(signed_file(tmp_path, signed), [ca.root]).ok


def test_the_signature_is_pades_with_the_chain_embedded(ca, letter_pdf):
    from asn1crypto import cms

    signed = p12_signer(ca).load().sign(letter_pdf, FIRMA)
    annot, _page = widget(signed)
    value = annot.get("/V") or annot["/Parent"]["/V"]
    assert value["/SubFilter"] == "/ETSI.CAdES.detached"
    content = cms.ContentInfo.load(bytes(value["/Contents"]).rstrip(b"\0"))
    names = {c.chosen.subject.native["common_name"] for c in content["content"]["certificates"]}
    assert {pki.SIGNER_NAME, "Intermedia de Raíz de Prueba"} <= names


def test_a_letter_signed_on_a_softhsm2_token_is_intact_and_trusted(ca, token, letter_pdf, tmp_path):
    with token_signer().load() as signer:
        signed = signer.sign(letter_pdf, FIRMA)
    report = check_signatures(signed_file(tmp_path, signed), [ca.root])
    assert report.ok, describe_signatures(report)
    assert report.signatures[0].signer == pki.SIGNER_NAME


def test_a_visible_signature_is_a_box_in_the_blank_above_the_signers_name(ca, letter_pdf):
    signed = p12_signer(ca, "visible").load().sign(letter_pdf, FIRMA)
    annot, page_number = widget(signed)
    reader = PdfReader(io.BytesIO(signed))
    dest = reader.named_destinations["firma"]  # the top of the name, as the layout left it
    assert reader.get_destination_page_number(dest) == page_number
    x1, y1, x2, y2 = (float(v) for v in annot["/Rect"])
    width = float(reader.pages[page_number].mediabox.width)
    assert abs((x1 + x2) / 2 - width / 2) < 1  # centred, as the signature block is
    assert float(dest.top) < y1 < y2 < float(dest.top) + 62  # in the 2.2 cm blank above
    appearance = annot["/AP"]["/N"].get_object()
    assert appearance.get_data()  # a drawn box, not an empty widget


def test_an_invisible_signature_prints_a_line_and_shows_no_box(ca, letter_pdf, tmp_path):
    signed = p12_signer(ca, "invisible").load().sign(letter_pdf, FIRMA)
    annot, _page = widget(signed)
    x1, y1, x2, y2 = (float(v) for v in annot["/Rect"])
    assert x1 == x2 and y1 == y2  # no box
    import pypdfium2

    reader = PdfReader(io.BytesIO(signed))
    page_number = reader.get_destination_page_number(reader.named_destinations["firma"])

    document = pypdfium2.PdfDocument(signed)
    textpage = document[page_number].get_textpage()
    text = textpage.get_text_range()
    first = textpage.get_charbox(text.index("Firmado"))  # the F: legible, not shrunk away
    document.close()
    assert ("Firmado electrónicamente por PAULA QUINTANA MELÉNDEZ, MINISTRA DE PLANIFICACIÓN, el"
            in " ".join(text.split()))
    assert first[3] - first[1] > 4.0  # a capital at 7 pt is 5 pt tall
    assert check_signatures(signed_file(tmp_path, signed), [ca.root]).ok


def test_a_letter_signed_by_a_key_of_another_root_is_reported_untrusted(ca, letter_pdf, tmp_path):
    other = pki.make_pki(tmp_path / "otra", root_name="Otra Raíz")
    signed = p12_signer(other).load().sign(letter_pdf, FIRMA)
    report = check_signatures(signed_file(tmp_path, signed), [ca.root])
    (signature,) = report.signatures
    assert signature.intact and not signature.trusted and not report.ok
    text = "\n".join(describe_signatures(report))
    assert "Confianza: NO" in text and "NO VÁLIDA" in text


def test_a_signed_letter_with_one_byte_changed_is_reported_altered(ca, letter_pdf, tmp_path):
    signed = bytearray(p12_signer(ca).load().sign(letter_pdf, FIRMA))
    at = signed.index(b"stream", len(signed) // 8) + 20  # inside the first page's content
    signed[at] ^= 0x01
    report = check_signatures(signed_file(tmp_path, bytes(signed)), [ca.root])
    assert not report.ok
    if report.signatures:
        assert not report.signatures[0].intact
        assert "ALTERADO" in "\n".join(describe_signatures(report))
    else:  # the change made the file unreadable: reported as such
        assert "alterado" in report.problem


def test_an_incremental_update_after_signing_is_reported_as_a_change(ca, letter_pdf, tmp_path):
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.stamp import TextStamp, TextStampStyle

    signed = p12_signer(ca).load().sign(letter_pdf, FIRMA)
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    TextStamp(writer, TextStampStyle(stamp_text="ANULADO", border_width=0, background=None)
              ).apply(0, 200, 400)
    out = io.BytesIO()
    writer.write(out)
    report = check_signatures(signed_file(tmp_path, out.getvalue()), [ca.root])
    (signature,) = report.signatures
    assert signature.intact and signature.trusted  # what was signed is still there...
    assert signature.changed_after and not report.ok  # ...but the file says more now
    assert "Cambios después de firmar: SÍ" in "\n".join(describe_signatures(report))


def test_a_pdf_without_a_signature_says_so(letter_pdf, ca, tmp_path):
    report = check_signatures(signed_file(tmp_path, letter_pdf), [ca.root])
    assert not report.ok
    assert describe_signatures(report) == ["FIRMA: el archivo no tiene firma electrónica."]


# -- bad input: each refused before anything is signed, with a Spanish message --------------

def refused(spec: SignerSpec) -> SigningError:
    with pytest.raises(SigningError) as caught:
        spec.load()
    assert caught.value.exit_code == 8
    return caught.value


def test_a_wrong_password_is_refused(ca):
    error = refused(p12_signer(ca, secret="otra clave"))
    assert "la contraseña no abre el archivo PKCS#12" in error.format()
    assert str(ca.p12) in error.format()


def test_a_missing_pkcs12_file_is_refused(tmp_path):
    error = refused(SignerSpec(pkcs12=tmp_path / "no-existe.p12", secret="x"))
    assert "no existe el archivo de la clave de firma" in error.format()


def test_an_expired_certificate_is_refused(tmp_path):
    error = refused(p12_signer(pki.make_pki(tmp_path, days_valid=(-400, -35))))
    assert f"el certificado de {pki.SIGNER_NAME}" in error.format() and "venció el" in error.format()


def test_a_certificate_not_yet_valid_is_refused(tmp_path):
    error = refused(p12_signer(pki.make_pki(tmp_path, days_valid=(10, 400))))
    assert "aún no es válido: rige desde el" in error.format()


def test_a_certificate_without_the_signing_key_usage_is_refused(tmp_path):
    error = refused(p12_signer(pki.make_pki(tmp_path, signing_usage=False)))
    assert "no permite firmar" in error.format() and "no repudio" in error.format()


def test_a_token_without_the_key_is_refused(ca, token):
    error = refused(token_signer(pkcs11_key="otra-firma"))
    assert "no tiene una clave de firma con la etiqueta 'otra-firma'" in error.format()


def test_an_empty_token_is_refused(token):
    error = refused(token_signer(pkcs11_token="vacio"))
    assert "el token 'vacio' no tiene una clave de firma con la etiqueta 'firma'" in error.format()


def test_a_wrong_pin_is_refused(ca, token):
    error = refused(token_signer(secret="9999"))
    assert "el PIN no abre el token 'oficios'" in error.format()


def test_a_token_that_is_not_there_is_refused(ca, token):
    error = refused(token_signer(pkcs11_token="otro"))
    assert "no hay un token 'otro' conectado" in error.format()


def test_a_missing_pkcs11_library_is_refused(tmp_path):
    error = refused(token_signer(pkcs11_module=str(tmp_path / "libnada.so")))
    assert "no se encuentra la biblioteca PKCS#11" in error.format()
    assert "--pkcs11-module" in error.format()


def test_the_template_chooses_the_appearance_and_unknown_keys_are_refused(tmp_path):
    from conftest import template_variant
    from oficios.errors import TemplateError
    from oficios.template import OficioTemplate

    def appearance(table: str) -> Appearance:
        folder = template_variant(tmp_path / str(abs(hash(table))),
                                  replace=("[destinatario]", f"{table}\n[destinatario]"))
        return Appearance.from_template(OficioTemplate(folder))

    assert appearance("") == Appearance("visible", "Firmado electrónicamente")
    assert appearance('[firma_electronica]\nmodo = "invisible"\nleyenda = "Firma digital"\n') == \
        Appearance("invisible", "Firma digital")
    with pytest.raises(TemplateError, match="modo debe ser 'visible' o 'invisible'"):
        appearance('[firma_electronica]\nmodo = "oculta"\n')
    with pytest.raises(TemplateError, match="color"):
        appearance('[firma_electronica]\ncolor = "azul"\n')


@pytest.fixture
def tsa_url():
    """A timestamp authority over real HTTP on 127.0.0.1: pyHanko's DummyTimeStamper (a TSA
    that signs every request with its own certificate) behind http.server."""
    import datetime as dt
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from asn1crypto import keys, tsp
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # the dummy is RSA-only
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Sello de Tiempo de Prueba")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .sign(key, hashes.SHA256()))
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())))
    requests = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            requests.append(self.headers["Content-Type"])
            answer = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/tsa", requests
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_tsa_url_makes_the_signature_pades_b_t_with_a_timestamp(ca, letter_pdf, tmp_path, tsa_url):
    url, requests = tsa_url
    signed = p12_signer(ca, tsa_url=url).load().sign(letter_pdf, FIRMA)
    # The authority was asked over HTTP (pyHanko asks twice: once to size the signature).
    assert requests and set(requests) == {"application/timestamp-query"}
    report = check_signatures(signed_file(tmp_path, signed), [ca.root])
    (signature,) = report.signatures
    assert signature.timestamped and signature.intact and signature.trusted
    assert "(con sello de tiempo)" in "\n".join(describe_signatures(report))


def test_a_tsa_that_does_not_answer_fails_the_signature_and_writes_nothing(ca, letter_pdf):
    spec = p12_signer(ca, tsa_url="http://127.0.0.1:9/tsa")  # the discard port: refused
    with pytest.raises(SigningError, match="la firma falló"):
        spec.load().sign(letter_pdf, FIRMA)
