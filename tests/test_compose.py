"""Composed letters (a shared layout per shape, each letter's own heading and margins) look
exactly like letters rendered whole, read in the same order, and fall back when they cannot."""

from __future__ import annotations

import csv
import dataclasses
import shutil
import sqlite3

import pypdfium2
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

import seed
from conftest import ROSTER, TEMPLATE, load_roster, template_variant
from oficios.cli import cli
from oficios.pipeline import Job, generate

LONG_NAME = "San Pedro de la Paz y Villa Alegre de los Andes del Sur"


def pages_as_pixels(pdf: bytes) -> list[bytes]:
    """Each page rasterized at 100 dpi (pypdfium2), as raw RGB bytes."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [document[i].render(scale=100 / 72).to_pil().tobytes() for i in range(len(document))]
    finally:
        document.close()


def roster_with(tmp_path, changes: dict[str, dict[str, str]]):
    """The bundled roster with some rows' values changed (by CUT)."""
    with ROSTER.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = tmp_path / "roster.csv"
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, **changes.get(row["cut"], {})})
    return out


def coded(letters):
    return [dataclasses.replace(letter, verification=f"TEST-{i:04d}-ZZ") for i, letter in enumerate(letters)]


def test_an_a_block_that_wraps_gets_a_shape_of_its_own_and_still_matches_the_whole_letter(tmp_path):
    from oficios.compose import ComposingRenderer
    from oficios.merge import merge_all
    from oficios.render_pdf import PdfRenderer
    from oficios.template import OficioTemplate

    roster = load_roster(roster_with(tmp_path, {"13120": {"municipalidad": LONG_NAME}}))
    template = OficioTemplate(TEMPLATE)
    wanted = {"13101", "13120", "08301", "12201"}
    letters = coded([letter for letter in merge_all(template, roster) if letter.key in wanted])
    renderer = PdfRenderer(TEMPLATE)
    composer = ComposingRenderer(renderer)
    composed = composer.render_all(letters)
    assert len(composer.shapes) == 2  # the long name's A block has one more line
    for letter, pdf in zip(letters, composed, strict=True):
        assert pages_as_pixels(pdf) == pages_as_pixels(renderer.render(letter)), letter.key
    long_pdf = composed[[letter.key for letter in letters].index("13120")]
    long_text = "\n".join(p.extract_text() for p in PdfReader(_bytes_io(long_pdf)).pages)
    assert "ILUSTRE MUNICIPALIDAD DE SAN PEDRO DE LA PAZ Y VILLA ALEGRE" in seed.normalize(long_text)


def _composed_and_whole(folder, letters):
    """Each letter composed in one chunk and rendered whole, and the composer used."""
    from oficios.compose import ComposingRenderer
    from oficios.render_pdf import PdfRenderer

    renderer = PdfRenderer(folder, stylesheet=(folder / "oficio.css")
                           if (folder / "oficio.css").exists() else None)
    composer = ComposingRenderer(renderer)
    composed = composer.render_all(letters)
    return composer, composed, [renderer.render(letter) for letter in letters]


def _letters_of(folder, keys, changes=None, tmp_path=None):
    from oficios.merge import merge_all
    from oficios.template import OficioTemplate

    roster = load_roster(roster_with(tmp_path, changes or {}))
    return coded([letter for letter in merge_all(OficioTemplate(folder), roster) if letter.key in keys])


def test_a_chunk_of_the_roster_is_stamped_line_by_line_and_matches_whole_renders(tmp_path):
    """The own layers of letters of one shape are drawn from their lines laid out alone (a
    tenth of the work); each letter, its running head moved by its own width, still equals
    its whole render pixel for pixel, reads in order, and names only its own recipient."""
    from oficios.compose import shared_part

    keys = {"13120", "13121", "08301", "12201", "13101", "05101"}  # Ñuñoa, Pedro Aguirre Cerda…
    letters = _letters_of(TEMPLATE, keys, tmp_path=tmp_path)
    composer, composed, whole = _composed_and_whole(TEMPLATE, letters)
    part = shared_part(letters[0])
    assert composer.plans[part] is not None  # the shape's stamps drew what laying out draws
    assert composer._stamped(letters, [part] * len(letters)) is not None
    for letter, pdf, full in zip(letters, composed, whole, strict=True):
        assert pages_as_pixels(pdf) == pages_as_pixels(full), letter.key
        pages = [seed.normalize(page.extract_text()) for page in PdfReader(_bytes_io(pdf)).pages]
        name = letter.recipient_name.upper()
        assert f"MUNICIPALIDAD DE {name}" in pages[0] and letter.verification in pages[0]
        assert pages[0].index("MUNICIPALIDAD DE") < pages[0].index("Mediante el presente")
        assert f"01-A/264 — {letter.recipient_name}" in pages[1]
        others = {other.recipient_name.upper() for other in letters} - {name}
        assert not any(f"MUNICIPALIDAD DE {other}\n" in pages[0] for other in others)


def test_a_template_whose_margins_read_otherwise_is_laid_out_not_stamped(tmp_path):
    """Stamps know the package's running head; a template that shows something else there is
    laid out page by page, and its letters still equal their whole renders."""
    from oficios.compose import shared_part

    folder = template_variant(tmp_path / "t")
    (folder / "oficio.css").write_text(
        "@page { @top-right { content: \"Para: \" string(destinatario); } }", "utf-8")
    letters = _letters_of(folder, {"13120", "08301"}, tmp_path=tmp_path)
    composer, composed, whole = _composed_and_whole(folder, letters)
    assert composer.plans[shared_part(letters[0])] is None
    for letter, pdf, full in zip(letters, composed, whole, strict=True):
        assert pages_as_pixels(pdf) == pages_as_pixels(full), letter.key
    nunoa = composed[[letter.key for letter in letters].index("13120")]
    assert "Para: Ñuñoa" in PdfReader(_bytes_io(nunoa)).pages[1].extract_text()


def test_a_running_head_too_wide_for_the_page_is_laid_out_and_wraps_as_in_the_whole_letter(tmp_path):
    wide = "Municipalidad " * 14 + "del Extremo Sur"
    letters = _letters_of(TEMPLATE, {"13120", "08301"}, {"13120": {"municipalidad": "Ñuñoa"}},
                          tmp_path=tmp_path)
    letters = [dataclasses.replace(letters[0], recipient_name=wide), letters[1]]
    composer, composed, whole = _composed_and_whole(TEMPLATE, letters)
    for letter, pdf, full in zip(letters, composed, whole, strict=True):
        assert pages_as_pixels(pdf) == pages_as_pixels(full), letter.key


def test_a_composed_letter_reads_heading_then_a_block_then_body_with_the_code_on_every_page(tmp_path):
    result = generate(Job(template=TEMPLATE, roster=ROSTER, output=tmp_path,
                          only=("13120", "08301", "12201"), formats=("pdf",)))
    assert result.composition.compose
    pdf = next(path for path in result.files["pdf"] if path.name.startswith("13120"))
    reader = PdfReader(pdf)
    pages = [page.extract_text() for page in reader.pages]
    text = seed.normalize("\n".join(pages))
    order = ["GOBIERNO DE CHILE", "MIDEPLAN OF. N° 01-A/264", "MAT.:", "DE :",
             "PAULA QUINTANA MELÉNDEZ", "A :", "ILUSTRE MUNICIPALIDAD DE ÑUÑOA",
             seed.normalize(seed.body_sentences()[0])]
    positions = [text.find(seed.normalize(item)) for item in order]
    assert -1 not in positions and positions == sorted(positions), list(zip(order, positions, strict=True))
    assert seed.find_in_order("\n".join(pages), seed.body_sentences() + seed.distribution()) == []
    with sqlite3.connect(result.register) as db:
        code = db.execute("SELECT codigo FROM cartas WHERE clave='13120'").fetchone()[0]
    assert all(f"Código de verificación: {code}" in page for page in pages)
    assert "MIDEPLAN OF. N° 01-A/264 — Ñuñoa" in pages[1]
    assert reader.metadata.title == "MIDEPLAN OF. N° 01-A/264 — Ñuñoa"
    for page in reader.pages:
        assert [round(float(v)) for v in page.mediabox] == [0, 0, 595, 842]
    assert _all_fonts_embedded(reader)


def test_composed_letters_as_pdfa_keep_title_metadata_and_output_intent(tmp_path):
    result = generate(Job(template=TEMPLATE, roster=ROSTER, output=tmp_path, pdfa=True,
                          only=("13120", "08301"), formats=("pdf",)))
    assert result.composition.compose
    for path in result.files["pdf"]:
        reader = PdfReader(path)
        xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
        assert 'pdfaid:part="2"' in xmp and 'pdfaid:conformance="B"' in xmp
        assert reader.metadata.title in xmp
        assert "/OutputIntents" in reader.trailer["/Root"]
        assert _all_fonts_embedded(reader)


def test_a_body_that_uses_recipient_values_is_rendered_whole_and_the_summary_says_so(tmp_path):
    template = tmp_path / "plantilla"
    shutil.copytree(TEMPLATE, template)
    body = template / "cuerpo.md"
    body.write_text(body.read_text(encoding="utf-8").replace(
        "con la participación de las Municipalidades del País.",
        "con la participación de la Municipalidad de {{ municipalidad }}."), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["generate", "--template", str(template), "--roster", str(ROSTER),
                                      "--output", str(out), "--only", "13120,08301,12201,16101",
                                      "--format", "pdf"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "PDF generados enteros, uno por uno: el cuerpo difiere entre destinatarios (usa " \
           "municipalidad)" in result.output
    text = "\n".join(p.extract_text() for p in PdfReader(next(out.glob("*/pdf/13120-*.pdf"))).pages)
    assert "con la participación de la Municipalidad de Ñuñoa." in seed.normalize(text)


def test_exact_renders_every_letter_whole_and_gives_the_same_pages(tmp_path):
    composed = generate(Job(template=TEMPLATE, roster=ROSTER, output=tmp_path / "a",
                            only=("13120", "08301", "12201"), formats=("pdf",)))
    out = tmp_path / "b"
    result = CliRunner().invoke(cli, ["generate", "--template", str(TEMPLATE), "--roster", str(ROSTER),
                                      "--output", str(out), "--only", "13120,08301,12201",
                                      "--format", "pdf", "--exact"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "PDF generados enteros, uno por uno: --exact" in result.output
    for path in composed.files["pdf"]:
        whole = out / "mideplan-01-a-264" / "pdf" / path.name
        assert whole.read_bytes() != path.read_bytes()
        assert pages_as_pixels(whole.read_bytes()) == pages_as_pixels(path.read_bytes())


def test_a_caller_keeps_one_worker_pool_warm_for_several_batches(tmp_path):
    from oficios.batch import process_pool

    with process_pool(2) as pool:
        first = generate(Job(template=TEMPLATE, roster=ROSTER, output=tmp_path / "a",
                             only=("13120", "08301", "12201")), executor=pool)
        second = generate(Job(template=TEMPLATE, roster=ROSTER, output=tmp_path / "b",
                              only=("13120", "08301", "12201")), executor=pool)
        assert not pool._shutdown_thread  # still running: the caller owns it
    assert [p.read_bytes() for p in first.files["pdf"]] == [p.read_bytes() for p in second.files["pdf"]]


@pytest.mark.slow
def test_every_composed_letter_of_the_roster_rasterizes_exactly_like_its_whole_render(tmp_path):
    composed = generate(Job(template=TEMPLATE, roster=ROSTER, output=tmp_path / "a",
                            formats=("pdf",), combined=False))
    whole = generate(Job(template=TEMPLATE, roster=ROSTER, output=tmp_path / "b",
                         formats=("pdf",), combined=False, exact=True))
    assert composed.composition.compose and not whole.composition.compose
    assert len(composed.files["pdf"]) == 345
    different = [a.name for a, b in zip(composed.files["pdf"], whole.files["pdf"], strict=True)
                 if pages_as_pixels(a.read_bytes()) != pages_as_pixels(b.read_bytes())]
    assert different == []


def _bytes_io(data: bytes):
    import io

    return io.BytesIO(data)


def _all_fonts_embedded(reader) -> bool:
    fonts = []
    for page in reader.pages:
        stack = [page["/Resources"]]
        while stack:
            resources = stack.pop().get_object()
            for font in resources.get("/Font", {}).values():
                fonts.append(font.get_object())
            for xobject in resources.get("/XObject", {}).values():
                xobject = xobject.get_object()
                if "/Resources" in xobject:
                    stack.append(xobject["/Resources"])
    descriptors = [f["/DescendantFonts"][0].get_object()["/FontDescriptor"] if "/DescendantFonts" in f
                   else f["/FontDescriptor"] for f in fonts]
    return bool(fonts) and all(any(k in d.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                               for d in descriptors)


def test_a_script_without_a_main_guard_is_told_what_to_do(tmp_path):
    import subprocess
    import sys

    from conftest import DATA, ROOT

    TEN = DATA / "roster-ten-municipalities.csv"

    script = tmp_path / "sin_guardia.py"
    script.write_text(
        "from pathlib import Path\n"
        "from oficios.pipeline import Job, generate\n"
        f"generate(Job(template=Path({str(TEMPLATE)!r}), roster=Path({str(TEN)!r}), "
        f"output=Path({str(tmp_path / 'out')!r}), formats=('pdf',), workers=2))\n",
        encoding="utf-8")
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                         cwd=ROOT)
    assert run.returncode != 0
    assert 'if __name__ == "__main__":' in run.stderr
