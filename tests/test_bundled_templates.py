"""Generic checks every bundled template passes, whatever its kind of letter.

For each template in templates/ with its roster: the PDF and the DOCX hold every sentence of
the merged body in order, the DOCX's bold runs are the body's bold runs, pages are A4 and
fonts embedded; `check` accepts the whole roster; the roster is what its build script makes.
"""

from __future__ import annotations

import re
import subprocess
import sys

import docx
import pytest
from pypdf import PdfReader

import seed
from conftest import BUNDLED, ROOT, files_by_key
from oficios.letter import ListBlock

A4 = (595.28, 841.89)
_SENTENCE_END = re.compile(r"(?<=[.:;])\s+")


@pytest.fixture(scope="module", params=sorted(BUNDLED))
def bundled(request, tmp_path_factory):
    """A bundled template's merged letters and the files the pipeline wrote for them."""
    from oficios.merge import merge_all
    from oficios.pipeline import Job, generate, load

    folder, roster, keys = BUNDLED[request.param]
    out = tmp_path_factory.mktemp(request.param)
    result = generate(Job(template=folder, roster=roster, output=out, only=keys, workers=1))
    letters = {letter.key: letter for letter in merge_all(*load(Job(template=folder, roster=roster,
                                                                      only=keys)))}
    return request.param, letters, result


def body_paragraphs(letter) -> list[list]:
    """The runs of each body paragraph and list item, then of the closing, in order."""
    paragraphs = []
    for block in (*letter.body, *letter.closing):
        paragraphs += [list(item) for item in block.items] if isinstance(block, ListBlock) \
            else [list(block.runs)]
    return paragraphs


def sentences(letter) -> list[str]:
    text = [seed.normalize("".join(run.text for run in runs)) for runs in body_paragraphs(letter)]
    return [s for paragraph in text for s in _SENTENCE_END.split(paragraph) if s]


def test_the_pdf_holds_every_sentence_of_the_body_in_order(bundled):
    _name, letters, result = bundled
    for key, path in files_by_key(result, "pdf").items():
        text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
        assert seed.find_in_order(text, sentences(letters[key])) == [], key
        assert seed.find_in_order(text, [letters[key].number, "A :", *letters[key].addressee.lines,
                                         *letters[key].signature, "Distribución:",
                                         *letters[key].distribution]) == [], key


def test_the_docx_holds_every_sentence_and_the_bold_runs_of_the_body(bundled):
    _name, letters, result = bundled
    for key, path in files_by_key(result, "docx").items():
        document = docx.Document(str(path))
        text = "\n".join(p.text for p in document.paragraphs)
        assert seed.find_in_order(text, sentences(letters[key])) == [], key
        body = [p for p in document.paragraphs if p.style.name in ("Oficio Cuerpo", "Oficio Lista")]
        bold = [seed.normalize(r.text) for p in body for r in p.runs if r.bold]
        expected = [seed.normalize(run.text) for runs in body_paragraphs(letters[key])
                    for run in runs if run.bold]
        assert bold == expected and bold, key


def test_pages_are_a4_and_every_font_is_embedded(bundled):
    _name, _letters, result = bundled
    for path in result.files["pdf"]:
        reader = PdfReader(path)
        for page in reader.pages:
            assert (float(page.mediabox.width), float(page.mediabox.height)) == \
                pytest.approx(A4, abs=0.5)
            for ref in page["/Resources"]["/Font"].values():
                font = ref.get_object()
                descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def test_the_docx_pages_are_a4(bundled):
    _name, _letters, result = bundled
    for path in result.files["docx"]:
        section = docx.Document(str(path)).sections[0]
        assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_check_accepts_the_whole_roster_of_each_bundled_template(name):
    from click.testing import CliRunner

    from oficios.cli import cli

    folder, roster, _keys = BUNDLED[name]
    result = CliRunner().invoke(cli, ["check", "--template", str(folder), "--roster", str(roster)])
    assert result.exit_code == 0, result.output


def test_every_template_folder_is_bundled_and_tested():
    assert sorted(p.name for p in (ROOT / "templates").iterdir() if p.is_dir()) == sorted(BUNDLED)


def test_the_circular_is_addressed_according_to_its_distribution(circular_run):
    text = seed.normalize(PdfReader(files_by_key(circular_run, "pdf")["16"]).pages[0].extract_text())
    assert "A : SEGÚN DISTRIBUCIÓN" in text
    assert "la Región de Ñuble comprende 3 provincias, 21 comunas y 21 municipalidades" in text
    assert "Solicito al Gobierno Regional de Ñuble verificar" in text


def test_the_regional_governments_roster_is_what_its_build_script_makes(tmp_path):
    out = tmp_path / "gobiernos_regionales.csv"
    subprocess.run([sys.executable, str(ROOT / "recipients" / "build_gobiernos_regionales.py"),
                    str(ROOT / "recipients" / "source" / "chile_division_politica.csv"), str(out)],
                   check=True, capture_output=True)
    assert out.read_bytes() == (ROOT / "recipients" / "gobiernos_regionales.csv").read_bytes()


def test_region_codes_without_their_leading_zero_get_it_back(tmp_path):
    import oficios

    template = oficios.load_template(BUNDLED["circular-gobiernos-regionales"][0])
    roster = tmp_path / "gores.csv"
    roster.write_text("cut_region,gobierno_regional,region,provincias,comunas,municipalidades\n"
                      "1,Gobierno Regional de Tarapacá,Región de Tarapacá,2,7,7\n", "utf-8")
    assert oficios.read_roster(template, roster).recipients[0]["cut_region"] == "01"
