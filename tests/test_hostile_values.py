"""Hostile and long roster values, end to end: the files the pipeline writes, opened.

HTML, Jinja, Markdown, quotes and ampersands typed into a roster appear literally in the PDF
and the DOCX and never change their structure; long values lay out inside the page, with the
signature still sharing a page with the closing.
"""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from pypdf import PdfReader

import seed
from conftest import DATA, TEMPLATE, files_by_key
from oficios.pipeline import Job, generate

A4_WIDTH = 595.28
RIGHT_MARGIN = 2.5 / 2.54 * 72  # oficio.css: @page margin-right 2.5cm


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("hostile")
    return generate(Job(template=TEMPLATE, roster=DATA / "roster-hostile-values.csv", output=out,
                        workers=1, combined=False))


@pytest.fixture(scope="module")
def hostile_letters(template):
    from oficios.merge import merge_all
    from conftest import load_roster

    roster = load_roster(DATA / "roster-hostile-values.csv", required=("municipalidad", "region"),
                         optional=("alcalde", "genero"))
    return {letter.key: letter for letter in merge_all(template, roster)}


@pytest.fixture(scope="module")
def benign_docx_styles(letters):
    from oficios.render_docx import DocxRenderer

    document = docx.Document(io.BytesIO(DocxRenderer().render(letters["13120"])))
    return [p.style.name for p in document.paragraphs]


def pdf_text(path) -> str:
    return seed.normalize("\n".join(p.extract_text() for p in PdfReader(path).pages))


def squeeze(text: str) -> str:
    """Text without whitespace: lines may wrap anywhere a value allows (after '/', say)."""
    return "".join(text.split())


def docx_text(document) -> str:
    return "\n".join(p.text for p in document.paragraphs)


def pdf_links(path) -> list[str]:
    return [a.get_object()["/A"]["/URI"] for page in PdfReader(path).pages
            for a in page.get("/Annots", []) if a.get_object().get("/A")]


@pytest.mark.parametrize("key", ["13120", "08301", "06101"])
def test_hostile_values_appear_literally_in_the_pdf(hostile_run, hostile_letters, key):
    path = files_by_key(hostile_run, "pdf")[key]
    text = squeeze(pdf_text(path))
    for line in hostile_letters[key].addressee.lines:
        assert squeeze(line) in text
    assert len(PdfReader(path).pages) == 2
    # Only the template's own link; "[enlace](http://…)" in a value is text, not a link.
    assert pdf_links(path) == ["http://www.fichaproteccionsocial.cl"]


def test_jinja_in_a_value_is_not_run(hostile_run):
    text = pdf_text(files_by_key(hostile_run, "pdf")["13120"])
    assert "A : Sra. {{ 7*7 }} {% FOR X IN RANGE(3) %}X{% ENDFOR %} ALCALDESA" in text
    assert "49" not in text and "XXX" not in text
    assert squeeze("ILUSTRE MUNICIPALIDAD DE <B>NEGRITA</B> </P><SCRIPT>ALERT(1)</SCRIPT>") \
        in squeeze(text)


@pytest.mark.parametrize("key", ["13120", "08301", "06101"])
def test_hostile_values_appear_literally_in_the_docx_with_its_structure_unchanged(
        hostile_run, hostile_letters, benign_docx_styles, key):
    path = files_by_key(hostile_run, "docx")[key]
    document = docx.Document(path)
    text = docx_text(document)
    for line in hostile_letters[key].addressee.lines:
        assert line in text
    assert [p.style.name for p in document.paragraphs] == benign_docx_styles
    with zipfile.ZipFile(path) as package:
        rels = package.read("word/_rels/document.xml.rels").decode()
        body = package.read("word/document.xml").decode()
    assert "example.invalid" not in rels and "/etc/passwd" not in rels
    assert "<script>" not in body  # escaped as &lt;script&gt; like any text


def test_markdown_in_a_value_makes_no_bold_heading_or_list(hostile_run, benign_docx_styles):
    document = docx.Document(files_by_key(hostile_run, "docx")["08301"])
    text = docx_text(document)
    assert "ILUSTRE MUNICIPALIDAD DE **NO NEGRITA** # NO TÍTULO" in text
    assert 'COMILLAS "DOBLES" Y \'SIMPLES\'' in text
    assert "Sr. & AMPERSAND &AMP; \\ BARRA" in text


def _signature_page(reader: PdfReader) -> int:
    texts = [seed.normalize(p.extract_text()) for p in reader.pages]
    return max(i for i, t in enumerate(texts) if t.count("PAULA QUINTANA MELÉNDEZ") > (i == 0))


def test_a_150_character_name_lays_out_and_the_signature_keeps_the_closing(tmp_path):
    result = generate(Job(template=TEMPLATE, roster=DATA / "roster-150-character-name.csv",
                          output=tmp_path, formats=("pdf",), workers=1, combined=False))
    reader = PdfReader(result.files["pdf"][0])
    page = _signature_page(reader)
    assert "muy atentamente" in reader.pages[page].extract_text()
    name = (DATA / "roster-150-character-name.csv").read_text("utf-8").splitlines()[1].split(",")[1]
    assert len(name) == 150
    assert squeeze(f"ILUSTRE MUNICIPALIDAD DE {name.upper()}") in squeeze(pdf_text(result.files["pdf"][0]))
    _assert_inside_the_right_margin(result.files["pdf"][0].read_bytes())


def test_the_longest_allowed_word_stays_inside_the_margin(tmp_path):
    result = generate(Job(template=TEMPLATE, roster=DATA / "roster-35-character-word.csv",
                          output=tmp_path, formats=("pdf",), workers=1, combined=False))
    pdf = result.files["pdf"][0].read_bytes()
    assert "W" * 35 in pdf_text(result.files["pdf"][0])
    _assert_inside_the_right_margin(pdf)


def _assert_inside_the_right_margin(pdf: bytes) -> None:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        for page in document:
            text = page.get_textpage()
            # Line ends are reported as characters just past the last one: skip whitespace.
            rights = [text.get_charbox(i)[2] for i in range(text.count_chars())
                      if not text.get_text_range(i, 1).isspace()]
            assert max(rights) <= A4_WIDTH - RIGHT_MARGIN + 1
    finally:
        document.close()
