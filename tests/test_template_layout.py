"""A template may bring its own layout (HTML and CSS in its folder), still under the fetch sandbox."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from conftest import template_variant
from oficios.errors import TemplateError

def diseno(line: str) -> tuple[str, str]:
    """An edit of oficio.toml adding a [diseno] table with one key."""
    return "[destinatario]", f"[diseno]\n{line}\n\n[destinatario]"


OWN_HTML = """<!DOCTYPE html>
<html lang="es"><head><meta charset="utf-8"><title>{{ letter.number }}</title></head>
<body><h1 class="propia">CARTA CON DISEÑO PROPIO</h1><p>{{ letter.number }}</p>
{% for block in letter.body %}<p>{% for run in block.runs %}{{ run.text }}{% endfor %}</p>{% endfor %}
</body></html>
"""


def render(folder) -> str:
    import oficios

    template = oficios.load_template(folder)
    roster = folder / "nomina.csv"
    roster.write_text("cut,municipalidad,region\n13120,Ñuñoa,Región Metropolitana de Santiago\n", "utf-8")
    letter = next(oficios.letters(template, oficios.read_roster(template, roster)))
    pdf = PdfReader(io.BytesIO(oficios.render(template, letter, "pdf")))
    return " ".join(" ".join(page.extract_text() for page in pdf.pages).split())


def test_an_own_html_layout_named_in_diseno_is_used(tmp_path):
    folder = template_variant(tmp_path / "t", body="Cuerpo <{{ municipalidad }}>.",
                              replace=diseno('html = "carta.html.j2"'))
    (folder / "carta.html.j2").write_text(OWN_HTML, "utf-8")
    text = render(folder)
    assert text.startswith("CARTA CON DISEÑO PROPIO MIDEPLAN OF. N° 01-A/264 Cuerpo <Ñuñoa>.")
    assert "ANT.:" not in text  # the package's layout was not used


def test_an_oficio_css_in_the_folder_is_applied_after_the_packages(tmp_path):
    folder = template_variant(tmp_path / "t", body="Cuerpo.")
    (folder / "oficio.css").write_text(".referencia .numero { text-transform: lowercase; }", "utf-8")
    text = render(folder)
    assert "mideplan of. n° 01-a/264" in text and "ANT.:" in text


def test_an_own_stylesheet_may_not_fetch_outside_the_folder(tmp_path):
    folder = template_variant(tmp_path / "t", body="Cuerpo.",
                              replace=diseno('css = "carta.css"'))
    (folder / "carta.css").write_text("body { background: url(file:///etc/passwd) }", "utf-8")
    with pytest.raises(TemplateError, match="refused to fetch"):
        render(folder)


def test_an_own_layout_runs_in_the_sandbox(tmp_path):
    folder = template_variant(tmp_path / "t", body="Cuerpo.")
    (folder / "oficio.html.j2").write_text("{{ letter.__class__.__mro__ }}", "utf-8")
    with pytest.raises(TemplateError, match="oficio.html.j2: SecurityError: access to attribute"):
        render(folder)


def test_a_layout_file_named_in_diseno_must_be_inside_the_folder(tmp_path):
    import oficios

    folder = template_variant(tmp_path / "t", body="Cuerpo.",
                              replace=diseno('html = "../fuera.html"'))
    (tmp_path / "fuera.html").write_text(OWN_HTML, "utf-8")
    with pytest.raises(TemplateError,
                       match="'../fuera.html' no es un archivo dentro de la carpeta de la plantilla"):
        oficios.load_template(folder)


def reference_docx(path, size_pt: int | None = None):
    """A reference .docx: a letter oficios made, with the body style's size changed."""
    import docx
    from docx.shared import Pt

    import oficios
    from conftest import ROSTER, TEMPLATE

    template = oficios.load_template(TEMPLATE)
    roster = oficios.read_roster(template, ROSTER, only=["13120"])
    letter = next(oficios.letters(template, roster))
    (path.parent / "base.docx").write_bytes(oficios.render(template, letter, "docx"))
    document = docx.Document(str(path.parent / "base.docx"))
    if size_pt:
        document.styles["Oficio Cuerpo"].font.size = Pt(size_pt)
    document.save(str(path))


def test_a_reference_docx_in_the_folder_gives_the_letters_its_styles(tmp_path):
    import docx

    import oficios

    folder = template_variant(tmp_path / "t", body="Cuerpo del oficio.")
    reference_docx(folder / "estilos.docx", size_pt=14)
    template = oficios.load_template(folder)
    roster = folder / "nomina.csv"
    roster.write_text("cut,municipalidad,region\n13120,Ñuñoa,Región Metropolitana de Santiago\n", "utf-8")
    letter = next(oficios.letters(template, oficios.read_roster(template, roster)))
    (tmp_path / "carta.docx").write_bytes(oficios.render(template, letter, "docx"))
    document = docx.Document(str(tmp_path / "carta.docx"))
    body = [p for p in document.paragraphs if p.style.name == "Oficio Cuerpo"]
    assert [p.text for p in body][0] == "Cuerpo del oficio."
    assert body[0].style.font.size.pt == 14


def test_a_reference_docx_without_the_oficio_styles_is_refused(tmp_path):
    import docx

    import oficios

    folder = template_variant(tmp_path / "t", body="Cuerpo.",
                              replace=diseno('estilos_docx = "word.docx"'))
    docx.Document().save(str(folder / "word.docx"))
    template = oficios.load_template(folder)
    roster = folder / "nomina.csv"
    roster.write_text("cut,municipalidad,region\n13120,Ñuñoa,R\n", "utf-8")
    letter = next(oficios.letters(template, oficios.read_roster(template, roster)))
    with pytest.raises(TemplateError,
                       match="al documento de referencia le faltan los estilos Hyperlink, Oficio Cuerpo"):
        oficios.render(template, letter, "docx")
