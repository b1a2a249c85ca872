"""The DOCX files the pipeline wrote for real recipients, opened with python-docx."""

from __future__ import annotations

import docx
import pytest

import seed
from conftest import SAMPLE, files_by_key


@pytest.fixture(scope="module")
def documents(sample_run):
    return {key: docx.Document(str(path)) for key, path in files_by_key(sample_run, "docx").items()}


def all_text(document) -> str:
    return "\n".join(p.text for p in document.paragraphs)


@pytest.mark.parametrize("key", sorted(SAMPLE))
def test_docx_holds_every_seed_sentence_in_order(documents, key):
    assert seed.find_in_order(all_text(documents[key]), seed.body_sentences()) == []


@pytest.mark.parametrize("key", sorted(SAMPLE))
def test_docx_bold_runs_are_the_seed_bold_phrases(documents, key):
    body = [p for p in documents[key].paragraphs if p.style.name == "Oficio Cuerpo"]
    bold = [seed.normalize(r.text) for p in body for r in p.runs if r.bold]
    assert bold == seed.bold_phrases()


@pytest.mark.parametrize("key", sorted(SAMPLE))
def test_docx_addresses_the_municipality_in_bold(documents, key):
    name, region = SAMPLE[key]
    a_block = [p for p in documents[key].paragraphs if p.text.startswith("A")
               and "ILUSTRE MUNICIPALIDAD" in p.text][0]
    assert seed.find_in_order(a_block.text, ["Sr./a", "ALCALDE/SA",
                                             f"ILUSTRE MUNICIPALIDAD DE {name.upper()}", region]) == []
    # Bold comes from the paragraph style, so a secretary changes it in one place.
    assert a_block.style.name == "Oficio Destinatario" and a_block.style.font.bold
    assert all(r.bold is not False for r in a_block.runs)


def test_docx_header_signature_initials_and_distribution_in_order(documents):
    text = all_text(documents["12201"])
    assert seed.find_in_order(text, seed.HEADER[:1] + ["No hay."] + seed.HEADER[3:]) == []
    tail = (seed.body_sentences()[-1:] + seed.SIGNATURE + [seed.INITIALS, "Distribución:"]
            + seed.distribution())
    assert seed.find_in_order(text, tail) == []


def test_docx_later_pages_carry_number_recipient_and_page_fields(documents):
    section = documents["08301"].sections[0]
    assert section.different_first_page_header_footer
    assert section.header.paragraphs[0].text == "MIDEPLAN OF. N° 01-A/264 — Los Ángeles"
    assert section.first_page_header.paragraphs[0].text == ""
    for footer in (section.footer, section.first_page_footer):
        fields = [f.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}instr")
                  for f in footer.paragraphs[0]._p.iter() if f.tag.endswith("fldSimple")]
        assert fields == ["PAGE", "NUMPAGES"]
