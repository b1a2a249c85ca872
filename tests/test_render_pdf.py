"""The PDF renderer, checked on real PDFs opened with pypdf: text, order, page size, fonts."""

from __future__ import annotations

import pytest
from pypdf import PdfReader

import seed
from conftest import SAMPLE, files_by_key, template_variant

A4 = (595.28, 841.89)


@pytest.fixture(scope="module")
def pdfs(sample_run):
    return {key: PdfReader(path) for key, path in files_by_key(sample_run, "pdf").items()}


def pdf_text(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.mark.parametrize("key", sorted(SAMPLE))
def test_pdf_holds_every_seed_sentence_in_order(pdfs, key):
    assert seed.find_in_order(pdf_text(pdfs[key]), seed.body_sentences()) == []


@pytest.mark.parametrize("key", sorted(SAMPLE))
def test_pdf_addresses_the_municipality_and_its_official_region(pdfs, key):
    name, region = SAMPLE[key]
    expected = ["Sr./a", "ALCALDE/SA", f"ILUSTRE MUNICIPALIDAD DE {name.upper()}", region]
    assert seed.find_in_order(pdf_text(pdfs[key]), ["A :"] + expected) == []
    assert "REGIÓN DE REGIÓN" not in pdf_text(pdfs[key])


def test_pdf_header_signature_initials_and_distribution_in_order(pdfs):
    text = pdf_text(pdfs["13120"])
    for line in seed.HEADER:
        assert seed.normalize(line) in seed.normalize(text)
    tail = (["DE :"] + seed.SIGNATURE + seed.body_sentences()[-1:] + seed.SIGNATURE
            + [seed.INITIALS, "Distribución:"] + seed.distribution())
    assert seed.find_in_order(text, tail) == []


def test_pdf_pages_are_a4_and_the_letter_has_two_pages(pdfs):
    for reader in pdfs.values():
        assert len(reader.pages) == 2
        for page in reader.pages:
            assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(A4, abs=0.5)


def test_pdf_fonts_are_embedded(pdfs):
    fonts = {}
    for page in pdfs["08301"].pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            fonts[font["/BaseFont"]] = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert fonts and all(fonts.values()), fonts
    assert any(name.endswith("Oficio-Sans-Bold") for name in fonts)


def test_pdf_metadata_comes_from_the_oficio(pdfs):
    meta = pdfs["13120"].metadata
    assert meta.title == "MIDEPLAN OF. N° 01-A/264 — Ñuñoa"
    assert meta.subject == "Informa Encuentro Nacional del Sistema Intersectorial de Protección Social."
    assert meta.creation_date.date().isoformat() == "2009-02-05"


def test_pdf_link_to_the_registration_site(pdfs):
    links = [a.get_object()["/A"]["/URI"] for page in pdfs["13120"].pages
             for a in page.get("/Annots", []) if a.get_object().get("/A")]
    assert "http://www.fichaproteccionsocial.cl" in links


def test_later_pages_repeat_the_number_and_recipient(pdfs):
    page2 = pdfs["12201"].pages[1].extract_text()
    assert "MIDEPLAN OF. N° 01-A/264 — Cabo de Hornos" in page2


def _signature_page(reader: PdfReader) -> int:
    texts = [seed.normalize(p.extract_text()) for p in reader.pages]
    # Page 1 also names the minister in the DE block; the signature is the last mention.
    return max(i for i, t in enumerate(texts) if t.count("PAULA QUINTANA MELÉNDEZ") > (i == 0))


def test_signature_is_on_the_same_page_as_the_closing(pdfs):
    for reader in pdfs.values():
        page = _signature_page(reader)
        assert "muy atentamente" in reader.pages[page].extract_text()


def test_signature_never_stands_alone_whatever_the_body_length(letters, template):
    """Pads the body paragraph by paragraph so the closing crosses the page end at some point."""
    import dataclasses
    import io

    from oficios.letter import Paragraph, Run
    from oficios.render_pdf import PdfRenderer

    renderer = PdfRenderer(template.folder)
    base = letters["13120"]
    closing_pages = set()
    for extra in range(6, 14):
        filler = tuple(Paragraph((Run(f"Párrafo de relleno {n} para desplazar el cierre."),))
                       for n in range(extra))
        letter = dataclasses.replace(base, body=base.body[:5] + filler + base.body[5:])
        reader = PdfReader(io.BytesIO(renderer.render(letter)))
        page = _signature_page(reader)
        text = seed.normalize(reader.pages[page].extract_text())
        assert "le saluda muy atentamente" in text, (
            f"signature alone on page {page + 1} with {extra} extra paragraphs")
        closing_pages.add(page)
    # The padding did push the closing over a page end, so the check above meant something.
    assert len(closing_pages) >= 2


def test_hostile_values_appear_literally_in_the_pdf(template):
    import io

    from oficios.merge import Merger
    from oficios.render_pdf import PdfRenderer
    from oficios.roster import Recipient

    value = '<b>x</b></p><script>alert(1)</script> {{ 7*7 }} **y** & "q"'
    letter = Merger(template).merge(Recipient(2, {"cut": "13120", "municipalidad": value,
                                                  "region": "Región de Ñuble"}))
    text = seed.normalize(pdf_text(PdfReader(io.BytesIO(PdfRenderer(template.folder).render(letter)))))
    assert f"ILUSTRE MUNICIPALIDAD DE {value.upper()}" in text
    assert "{{ 7*7 }}" in text and "49" not in text


def test_renderer_refuses_files_outside_the_template_and_the_network(template, tmp_path):
    import dataclasses

    from oficios.errors import TemplateError
    from oficios.render_pdf import PdfRenderer

    renderer = PdfRenderer(template.folder)
    for url in ("file:///etc/passwd", "http://example.invalid/logo.png"):
        fetcher_error = None
        try:
            renderer.fetcher.fetch(url)
        except PermissionError as exc:
            fetcher_error = exc
        assert fetcher_error is not None and "refused to fetch" in str(fetcher_error)
    outside = tmp_path / "logo.png"
    outside.write_bytes(b"not an image")
    letter = dataclasses.replace(_any_letter(template), logo=outside)
    with pytest.raises(TemplateError, match="refused to fetch"):
        renderer.render(letter)


def _any_letter(template):
    from oficios.merge import Merger
    from oficios.roster import Recipient

    return Merger(template).merge(Recipient(2, {"cut": "13120", "municipalidad": "Ñuñoa",
                                                "region": "Región Metropolitana de Santiago"}))


def test_logo_inside_the_template_folder_is_drawn_in_the_letterhead(tmp_path):
    import io

    from PIL import Image

    from oficios.merge import Merger
    from oficios.render_pdf import PdfRenderer
    from oficios.roster import Recipient
    from oficios.template import OficioTemplate

    template_variant(tmp_path, body="Cuerpo.", replace=('# logo = "logo.png"', 'logo = "logo.png"'))
    Image.new("RGB", (120, 80), (0, 56, 168)).save(tmp_path / "logo.png")
    template = OficioTemplate(tmp_path)
    letter = Merger(template).merge(Recipient(2, {"cut": "13120", "municipalidad": "Ñuñoa",
                                                  "region": "Región Metropolitana de Santiago"}))
    reader = PdfReader(io.BytesIO(PdfRenderer(template.folder).render(letter)))
    images = reader.pages[0].images
    assert len(images) == 1 and images[0].image.size == (120, 80)


def test_the_harfbuzz_check_agrees_with_weasyprint_without_importing_it():
    """The main process of a batch asks before starting the workers; importing WeasyPrint
    for that cost it ~0.6 s of a batch's start."""
    import subprocess
    import sys

    code = ("import sys, warnings\n"
            "from oficios.render_pdf import harfbuzz_subset_available\n"
            "ours = harfbuzz_subset_available()\n"
            "assert 'weasyprint' not in sys.modules\n"
            "warnings.simplefilter('ignore')\n"
            "from weasyprint.text.ffi import harfbuzz_subset\n"
            "print(ours, harfbuzz_subset is not None)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]  # the Makefile installs libharfbuzz-subset0
