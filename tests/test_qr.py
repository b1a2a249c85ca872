"""QR codes (--qr): a scanner reads the verification code back from the PDF and the DOCX."""

from __future__ import annotations

import io
import zipfile

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image

from conftest import DATA, TEMPLATE
from oficios.pipeline import Job, generate
from oficios.verify import VERIFIED, verify

EXPECTED = "MIDEPLAN OF. N° 01-A/264 · 13120 · Código de verificación {code}"


@pytest.fixture(scope="module")
def with_qr(tmp_path_factory):
    out = tmp_path_factory.mktemp("qr")
    result = generate(Job(template=TEMPLATE, roster=DATA / "roster-four-municipalities.csv",
                          output=out, workers=1, only=("13120",), qr=True))
    code = verify(result.files["pdf"][0], out / "registro-oficina-de-partes.sqlite").code
    return result, code


def decoded(image: Image.Image) -> list[str]:
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


def test_the_pdf_qr_code_scans_as_the_oficio_recipient_and_code(with_qr):
    result, code = with_qr
    document = pdfium.PdfDocument(str(result.files["pdf"][0]))
    try:
        last_page = document[len(document) - 1].render(scale=200 / 72).to_pil()
    finally:
        document.close()
    assert decoded(last_page) == [EXPECTED.format(code=code)]


def test_the_docx_qr_code_scans_the_same(with_qr):
    result, code = with_qr
    with zipfile.ZipFile(result.files["docx"][0]) as package:
        images = [name for name in package.namelist() if name.startswith("word/media/")]
        assert images == ["word/media/image1.png"]
        image = Image.open(io.BytesIO(package.read(images[0])))
    assert decoded(image) == [EXPECTED.format(code=code)]


def test_letters_with_qr_are_registered_and_verified(with_qr):
    result, _ = with_qr
    register = result.register
    for fmt in ("pdf", "docx"):
        assert verify(result.files[fmt][0], register).status == VERIFIED


def test_without_qr_there_is_no_code_image(sample_run):
    from conftest import files_by_key

    with zipfile.ZipFile(files_by_key(sample_run, "docx")["13120"]) as package:
        assert not [n for n in package.namelist() if n.startswith("word/media/")]


def test_with_a_public_site_the_qr_code_opens_its_verification_page_for_the_code(tmp_path):
    out = tmp_path / "salida"
    result = generate(Job(template=TEMPLATE, roster=DATA / "roster-four-municipalities.csv",
                          output=out, workers=1, only=("13120",), qr=True,
                          verify_url="https://oficios.ejemplo.cl/"))
    code = verify(result.files["pdf"][0], out / "registro-oficina-de-partes.sqlite").code
    document = pdfium.PdfDocument(str(result.files["pdf"][0]))
    try:
        last_page = document[len(document) - 1].render(scale=200 / 72).to_pil()
    finally:
        document.close()
    assert decoded(last_page) == [f"https://oficios.ejemplo.cl/verificar?codigo={code}"]
