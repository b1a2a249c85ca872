"""Merging: the personalized A block, Spanish forms, and values that stay literal text."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import DATA, SAMPLE
from oficios.errors import ErrorList
from oficios.letter import ListBlock, Paragraph, Run
from oficios.merge import Merger, merge_all
from conftest import load_roster
from oficios.roster import Recipient

import seed


@pytest.mark.parametrize("key", sorted(SAMPLE))
def test_a_block_uses_the_neutral_forms_and_the_official_region_name(letters, key):
    name, region = SAMPLE[key]
    assert letters[key].addressee.lines == (
        "Sr./a", "ALCALDE/SA", f"ILUSTRE MUNICIPALIDAD DE {name.upper()}", region)


def test_every_region_line_is_the_official_name_in_capitals(letters, roster):
    for recipient in roster.recipients:
        line = letters[recipient["cut"]].addressee.lines[-1]
        assert line == recipient["region"].upper()
        assert line.startswith(("REGIÓN DE ", "REGIÓN DEL ", "REGIÓN METROPOLITANA DE SANTIAGO"))
        assert "REGIÓN DE REGIÓN" not in line


def test_mayor_name_and_gender_personalize_the_a_block(template):
    roster = load_roster(DATA / "roster-with-mayor-names-and-genders.csv")
    lines = {letter.key: letter.addressee.lines[:2] for letter in merge_all(template, roster)}
    assert lines["13120"] == ("Sr. SEBASTIÁN SICHEL RAMÍREZ", "ALCALDE")
    assert lines["08301"] == ("Sra. MARÍA ANGÉLICA MUÑOZ NÚÑEZ", "ALCALDESA")
    assert lines["12201"] == ("Sr./a", "ALCALDE/SA")
    assert lines["08101"] == ("Sr./a ÁLVARO ORTIZ VERA", "ALCALDE/SA")


def test_unknown_genders_are_reported_all_at_once_with_row_and_column(template):
    roster = load_roster(DATA / "roster-unknown-gender.csv")
    with pytest.raises(ErrorList) as info:
        merge_all(template, roster)
    assert [(e.row, e.column) for e in info.value.errors] == [(2, "genero"), (4, "genero")]
    assert "escriba M o F, o deje la celda vacía para las formas neutras (Sr./a y ALCALDE/SA)" in \
        info.value.format()


def test_date_place_and_reference_block_follow_the_seed(letters):
    letter = letters["13120"]
    assert letter.place_date == "SANTIAGO, 05 de Febrero de 2009"
    assert letter.date == dt.date(2009, 2, 5)
    assert (letter.number, letter.reference) == ("MIDEPLAN OF. N° 01-A/264", "No hay.")
    assert letter.sender.lines == tuple(seed.SIGNATURE)
    assert letter.initials == seed.INITIALS
    assert list(letter.distribution) == seed.distribution()


def test_body_is_the_seed_word_for_word_with_its_bold_phrase_and_list(letters):
    letter = letters["08301"]
    assert seed.normalize(letter.body_text) == seed.normalize(" ".join(seed.body_paragraphs()))
    bold = [run.text for block in letter.body if isinstance(block, Paragraph)
            for run in block.runs if run.bold]
    assert bold == seed.bold_phrases()
    lists = [b for b in letter.body if isinstance(b, ListBlock)]
    assert len(lists) == 1 and [item[0].text[:5] for item in lists[0].items] == ["(i) A", "(ii) ", "(iii)"]


HOSTILE = [
    "<b>negrita</b></p><script>alert(1)</script>",
    "{{ 7*7 }} {% for x in range(3) %}x{% endfor %}",
    "**no negrita** # no título\n\n- no lista",
    "Comillas \"dobles\" y 'simples' & ampersand &amp; \\ barra",
    "1. no es lista",
]


@pytest.fixture(scope="module")
def quoting_template(tmp_path_factory):
    """The bundled template with a body that quotes a roster value at a paragraph's start."""
    from conftest import template_variant
    from oficios.template import OficioTemplate

    return OficioTemplate(template_variant(
        tmp_path_factory.mktemp("quoting-template"),
        body="{{ municipalidad }}\n\nLa Municipalidad de {{ municipalidad }} recibe **este** oficio.\n"))


@pytest.mark.parametrize("value", HOSTILE)
def test_roster_values_stay_literal_text_in_every_part_of_the_letter(quoting_template, value):
    recipient = Recipient(2, {"cut": "13120", "municipalidad": value, "region": value})
    letter = Merger(quoting_template).merge(recipient)
    flat = " ".join(value.split())
    assert letter.addressee.lines[2] == f"ILUSTRE MUNICIPALIDAD DE {flat.upper()}"
    assert letter.recipient_name == value
    # Exactly the template's two paragraphs; the value is one plain run, never markup.
    assert [type(b) for b in letter.body] == [Paragraph, Paragraph]
    assert letter.body[0].runs == (Run(flat),)
    assert letter.body[1].text == f"La Municipalidad de {flat} recibe este oficio."
    assert [r.text for r in letter.body[1].runs if r.bold] == ["este"]
