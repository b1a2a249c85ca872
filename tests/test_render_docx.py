"""The DOCX renderer: the produced file opened with python-docx and checked, never mocked."""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile
import zlib
from pathlib import Path

import docx
import pytest
from docx.shared import Cm, Mm

from oficios.letter import Letter, ListBlock, Paragraph, Party, Run
from oficios.render_docx import DocxRenderer

BOLD_RUN = (
    "costos de alimentación y alojamiento desde el almuerzo del miércoles 25 de marzo "
    "hasta el almuerzo del viernes 27 de marzo de 2009"
)
HOSTILE = '<b>x</b> {{ 7*7 }} ** & "q"'
# The seed oficio's body (MIDEPLAN Of. N° 01-A/264): plain paragraphs, an (i)-(iii) list,
# one bold stretch and one link.
SEED_PARAGRAPHS = (
    "Mediante el presente, tengo el agrado de informar a Ud. que los días 25, 26 y 27 de "
    "marzo del presente año, realizaremos en la ciudad de Santiago un Encuentro Nacional del "
    "Sistema Intersectorial de Protección Social, con la participación de las "
    "Municipalidades del País.",
    "Este Encuentro Nacional se enmarca en los propósitos que nos hemos planteado como "
    "Ministerio, de generar y poner a disposición de los servicios públicos y municipales, "
    "herramientas y estrategias orientadas al fortalecimiento de la institucionalidad ligada "
    "a la operación y funcionamiento del Sistema Intersectorial de Protección Social.",
    "Uno de los principales ámbitos de acción del Sistema, corresponde al espacio local, por "
    "la relevancia que este tiene para la coordinación y articulación de las políticas, "
    "programas, servicios y beneficios destinados a la población perteneciente a los "
    "segmentos de mayor vulnerabilidad.",
    "En este nivel, en el que personas y familias desarrollan su vida cotidiana, las "
    "Municipalidades representan la vía específica a través de la cual se canalizan los "
    "servicios y beneficios que van en directo apoyo al mejoramiento de la calidad de vida "
    "de la población adscrita a los territorios comunales. En consecuencia, el rol que "
    "cumplen las Municipalidades en la estructuración y despliegue del Sistema "
    "Intersectorial de Protección Social, resulta crucial.",
    "Por ello, para este Ministerio es del mayor interés la participación de su "
    "Municipalidad en este Encuentro, a través del Director o Directora de Desarrollo "
    "Comunitario, o en su defecto, del Director o Directora de Desarrollo Social, puesto que "
    "se constituirá en un espacio de análisis y discusión técnica en base a los siguientes "
    "objetivos principales:",
)
SEED_ITEMS = (
    "(i) Analizar la estructuración del Sistema Intersectorial de Protección Social, sus "
    "subsistemas, sus instrumentos programáticos y herramientas de apoyo a la gestión, para "
    "su aplicación a nivel local.",
    "(ii) Concordar mecanismos de trabajo, para coordinar las acciones de apoyo y "
    "acompañamiento técnico a las Municipalidades, en la implementación y funcionamiento del "
    "Sistema Intersectorial de Protección Social a nivel local.",
    "(iii) Facilitar información sobre los mecanismos de trabajo y coordinación, con los "
    "Servicios Públicos y Ministerios que conforman el Sistema Intersectorial de Protección "
    "Social, para la implementación de los programas y beneficios adscritos a dichas "
    "instituciones.",
)
SEED_AFTER_LIST = (
    "Conforme a lo anterior, solicito a Ud. autorizar la participación de su Director/a de "
    "Desarrollo Comunitario, o en su defecto de su Director/a de Desarrollo Social, en esta "
    "importante iniciativa que queremos llevar a efecto.",
)
SEED_CONSIDERANDO = (
    "Considerando la magnitud de esta actividad, solo se podrá considerar un funcionario o "
    "funcionaria de su Municipalidad, sin embargo, dispondremos de material de apoyo "
    "referido al Sistema Intersectorial de Protección Social, que posteriormente quién "
    "represente a su Municipalidad podrá transferir, compartir y socializar con los equipos "
    "técnicos que se desempeñan en los servicios sociales municipales."
)
CLOSING = "Agradeciendo su atención y colaboración, le saluda muy atentamente,"
FIRMA = ("PAULA QUINTANA MELÉNDEZ", "MINISTRA DE PLANIFICACIÓN")
DISTRIBUCION = (
    "Destinatario/a",
    "Gabinete Ministra de Planificación",
    "Archivo Secretaría Ejecutiva Sistema Protección Social, MIDEPLAN.",
    "Oficina de Partes MIDEPLAN.",
)


def _plain(text: str) -> Paragraph:
    return Paragraph((Run(text),))


def seed_body() -> tuple:
    """The seed letter's body as Letter blocks."""
    return (
        *(_plain(t) for t in SEED_PARAGRAPHS),
        ListBlock(tuple((Run(t),) for t in SEED_ITEMS)),
        *(_plain(t) for t in SEED_AFTER_LIST),
        Paragraph((
            Run("Para facilitar la participación de su Municipalidad, MIDEPLAN cubrirá los "),
            Run(BOLD_RUN, bold=True),
            Run(". Por razones administrativas, no es posible cubrir los gastos de traslado."),
        )),
        _plain(SEED_CONSIDERANDO),
        Paragraph((
            Run("La inscripción y registro de los participantes se realizará exclusivamente a "
                "través de la página Web de Ficha de Protección Social "),
            Run("www.fichaproteccionsocial.cl", href="http://www.fichaproteccionsocial.cl"),
            Run(" de la Plataforma FPS."),
        )),
    )


def make_letter(municipalidad: str = "Ñuñoa", region: str = "Región Metropolitana de Santiago",
                **changes) -> Letter:
    """The seed oficio merged for one municipality; `changes` override Letter fields."""
    fields = dict(
        key="13120",
        slug="nunoa",
        recipient_name=municipalidad,
        number="MIDEPLAN OF. N° 01-A/264",
        reference="No hay.",
        subject="Informa Encuentro Nacional del Sistema Intersectorial de Protección Social.",
        place_date="SANTIAGO, 05 de Febrero de 2009",
        date=dt.date(2009, 2, 5),
        sender=Party("DE", FIRMA),
        addressee=Party("A", ("Sr./a", "ALCALDE/SA", f"ILUSTRE MUNICIPALIDAD DE {municipalidad.upper()}",
                      region.upper())),
        body=seed_body(),
        closing=(_plain(CLOSING),),
        signature=FIRMA,
        initials="XSL/PJM/MMSM/CSB/mnq",
        distribution_title="Distribución:",
        distribution=DISTRIBUCION,
        letterhead=("GOBIERNO DE CHILE", "MINISTERIO DE PLANIFICACIÓN"),
        author="Ministerio de Planificación",
    )
    fields.update(changes)
    return Letter(**fields)


@pytest.fixture(scope="module")
def renderer() -> DocxRenderer:
    return DocxRenderer()


@pytest.fixture(scope="module")
def nunoa() -> Letter:
    return make_letter()


@pytest.fixture(scope="module")
def nunoa_bytes(renderer, nunoa) -> bytes:
    return renderer.render(nunoa)


@pytest.fixture(scope="module")
def document(nunoa_bytes):
    return docx.Document(io.BytesIO(nunoa_bytes))


def texts(document, style: str) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == style]


def bold_texts(paragraph) -> list[str]:
    return [r.text for r in paragraph.runs if r.bold]


def index_of(paragraphs: list[str], needle: str) -> int:
    return next(i for i, text in enumerate(paragraphs) if needle in text)


def test_body_paragraphs_appear_in_order_with_bold_where_the_letter_has_it(document, nunoa):
    body = [p for p in document.paragraphs if p.style.name in ("Oficio Cuerpo", "Oficio Lista")]
    expected = nunoa.body_text.split("\n")
    assert [p.text for p in body] == expected
    bolds = [text for p in body for text in bold_texts(p)]
    assert bolds == [BOLD_RUN]


def test_list_items_use_the_list_style_and_carry_their_own_markers(document):
    assert texts(document, "Oficio Lista") == list(SEED_ITEMS)


def test_link_run_becomes_a_real_hyperlink(document):
    links = [h for p in document.paragraphs for h in p.hyperlinks]
    assert [(h.text, h.url) for h in links] == [
        ("www.fichaproteccionsocial.cl", "http://www.fichaproteccionsocial.cl")
    ]


def test_addressee_lines_and_distribution_appear_in_order(document):
    paragraphs = [p.text for p in document.paragraphs]
    de, a = texts(document, "Oficio Destinatario")
    assert de == "DE :\t" + "\n".join(FIRMA)
    assert a.split("\n")[2:] == [
        "ILUSTRE MUNICIPALIDAD DE ÑUÑOA", "REGIÓN METROPOLITANA DE SANTIAGO"
    ]
    assert texts(document, "Oficio Distribución") == ["Distribución:"] + [
        f"{n}. {line}" for n, line in enumerate(DISTRIBUCION, start=1)
    ]
    assert index_of(paragraphs, "ÑUÑOA") < index_of(paragraphs, "Mediante") < index_of(
        paragraphs, "Distribución:"
    )


def test_reference_block_sits_in_the_right_half_with_bold_labels(document):
    ref = [p for p in document.paragraphs if p.style.name == "Oficio Referencia"]
    assert [p.text for p in ref] == [
        "MIDEPLAN OF. N° 01-A/264",
        "ANT.:\tNo hay.",
        "MAT.:\tInforma Encuentro Nacional del Sistema Intersectorial de Protección Social.",
        "SANTIAGO, 05 de Febrero de 2009",
    ]
    assert [bold_texts(p) for p in ref] == [
        ["MIDEPLAN OF. N° 01-A/264"], ["ANT.:"], ["MAT.:"], ["SANTIAGO, 05 de Febrero de 2009"]
    ]
    fmt = ref[0].style.paragraph_format
    assert fmt.left_indent + fmt.first_line_indent >= Cm(7.5)


def test_page_is_a4(document):
    section = document.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(0.1)
    assert abs(section.page_height - Mm(297)) < Mm(0.1)


def test_normal_style_is_arial_11_in_chilean_spanish(document):
    normal = document.styles["Normal"]
    assert normal.font.name == "Arial"
    assert normal.font.size.pt == 11
    lang = normal.element.rPr.find(docx.oxml.ns.qn("w:lang"))
    assert lang.get(docx.oxml.ns.qn("w:val")) == "es-CL"


def test_paragraphs_use_the_named_oficio_styles(document):
    used = {p.style.name for p in document.paragraphs}
    assert used == {
        "Oficio Membrete", "Oficio Referencia", "Oficio Destinatario", "Oficio Cuerpo",
        "Oficio Lista", "Oficio Firma", "Oficio Iniciales", "Oficio Distribución",
    }
    assert document.styles["Oficio Cuerpo"].paragraph_format.alignment == 3  # justify
    assert texts(document, "Oficio Firma") == ["\n".join(FIRMA)]
    assert texts(document, "Oficio Iniciales") == ["XSL/PJM/MMSM/CSB/mnq"]


def test_closing_and_signature_are_kept_together(document):
    closing = next(p for p in document.paragraphs if p.text == CLOSING)
    assert closing.paragraph_format.keep_with_next is True
    firma = document.styles["Oficio Firma"].paragraph_format
    assert firma.keep_with_next is True and firma.keep_together is True
    assert firma.space_before >= Cm(1.5)  # room for the hand signature


def test_hostile_text_appears_literally(renderer):
    letter = make_letter(
        municipalidad=HOSTILE,
        subject=HOSTILE,
        body=(Paragraph((Run(HOSTILE), Run(HOSTILE, bold=True))),),
    )
    doc = docx.Document(io.BytesIO(renderer.render(letter)))
    assert texts(doc, "Oficio Cuerpo") == [HOSTILE + HOSTILE, CLOSING]
    assert f"ILUSTRE MUNICIPALIDAD DE {HOSTILE.upper()}" in texts(doc, "Oficio Destinatario")[1]
    assert doc.core_properties.subject == HOSTILE


def test_two_renders_give_identical_bytes_with_fixed_zip_timestamps(nunoa, nunoa_bytes):
    again = DocxRenderer().render(nunoa)
    assert again == nunoa_bytes
    with zipfile.ZipFile(io.BytesIO(nunoa_bytes)) as zf:
        assert {info.date_time for info in zf.infolist()} == {(2009, 2, 5, 12, 0, 0)}
        assert zf.namelist()[0] == "[Content_Types].xml"
        assert zf.testzip() is None


def test_core_properties_come_from_the_letter(document):
    props = document.core_properties
    assert props.title == "MIDEPLAN OF. N° 01-A/264"
    assert props.subject.startswith("Informa Encuentro Nacional")
    assert props.author == props.last_modified_by == "Ministerio de Planificación"
    assert props.language == "es-CL"
    noon_utc = dt.datetime(2009, 2, 5, 12, 0, tzinfo=dt.timezone.utc)
    assert props.created == props.modified == noon_utc
    assert props.revision == 1


def test_ordered_list_items_are_numbered_from_start(renderer):
    items = ListBlock(((Run("uno"),), (Run("dos"),)), ordered=True, start=3)
    doc = docx.Document(io.BytesIO(renderer.render(make_letter(body=(items,)))))
    assert texts(doc, "Oficio Lista") == ["3.\tuno", "4.\tdos"]


def tiny_png(path: Path) -> Path:
    """A 2x2 white PNG written by hand (no imaging library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\xff" * 6 + b"\x00" + b"\xff" * 6)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
                     + chunk(b"IEND", b""))
    return path


def test_logo_is_placed_above_the_letterhead_and_output_stays_reproducible(renderer, tmp_path):
    letter = make_letter(logo=tiny_png(tmp_path / "logo.png"))
    first, second = renderer.render(letter), renderer.render(letter)
    assert first == second
    doc = docx.Document(io.BytesIO(first))
    (shape,) = doc.inline_shapes
    assert abs(shape.width - Cm(2.5)) < Mm(0.1)
    assert doc.paragraphs[0].text.split("\n")[1:] == [
        "GOBIERNO DE CHILE", "MINISTERIO DE PLANIFICACIÓN"
    ]



def test_later_pages_carry_the_number_and_recipient_in_small_grey_type(document):
    section = document.sections[0]
    assert section.different_first_page_header_footer
    (header,) = section.header.paragraphs
    assert header.text == "MIDEPLAN OF. N° 01-A/264 — Ñuñoa"
    (run,) = header.runs
    assert run.font.size.pt == 8 and str(run.font.color.rgb) == "555555"


def test_zip_entries_are_deflated_with_host_independent_attributes(nunoa_bytes):
    with zipfile.ZipFile(io.BytesIO(nunoa_bytes)) as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos[:2]] == ["[Content_Types].xml", "_rels/.rels"]
        assert len({i.filename for i in infos}) == len(infos)
        for info in infos:
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert (info.create_system, info.external_attr) == (3, 0o644 << 16)
            assert info.compress_size < info.file_size  # really compressed, not stored
            assert zf.read(info) and zf.getinfo(info.filename).CRC == info.CRC


def test_entries_keep_one_order_for_every_letter(renderer, nunoa_bytes):
    other = renderer.render(make_letter("Arica", "Región de Arica y Parinacota"))
    with zipfile.ZipFile(io.BytesIO(nunoa_bytes)) as a, zipfile.ZipFile(io.BytesIO(other)) as b:
        assert a.namelist() == b.namelist()


def content_types_cover_every_part(data: bytes) -> bool:
    """True when [Content_Types].xml gives a type to every part of the package."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        types = zf.read("[Content_Types].xml").decode()
        parts = [n for n in zf.namelist() if n != "[Content_Types].xml"]
    return all(f'PartName="/{name}"' in types
               or f'Extension="{name.rsplit(".", 1)[1]}"' in types for name in parts)


def test_logo_is_its_own_image_part_listed_in_the_content_types(renderer, tmp_path):
    data = renderer.render(make_letter(logo=tiny_png(tmp_path / "logo.png")))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.namelist()[-1] == "word/media/image1.png"
        assert zf.read("word/media/image1.png") == (tmp_path / "logo.png").read_bytes()
        assert 'Extension="png" ContentType="image/png"' in zf.read("[Content_Types].xml").decode()
    assert content_types_cover_every_part(data)


def test_no_state_leaks_from_one_letter_to_the_next(tmp_path):
    plain = make_letter()
    fresh = DocxRenderer().render(plain)
    renderer = DocxRenderer()
    links = Paragraph((Run("a", href="http://a.cl"), Run("b", href="http://b.cl")),)
    renderer.render(make_letter(logo=tiny_png(tmp_path / "logo.png"), body=(links,)))
    assert renderer.render(plain) == fresh
    assert content_types_cover_every_part(fresh)
    with zipfile.ZipFile(io.BytesIO(fresh)) as zf:
        assert not any(name.startswith("word/media/") for name in zf.namelist())


def test_links_to_one_url_share_one_relationship_and_keep_their_formatting(renderer):
    body = (Paragraph((
        Run("uno", href="http://a.cl", bold=True), Run(" y "),
        Run("dos", href="http://b.cl", italic=True), Run("tres", href="http://a.cl"),
    )),)
    doc = docx.Document(io.BytesIO(renderer.render(make_letter(body=body))))
    links = [h for p in doc.paragraphs for h in p.hyperlinks]
    assert [(h.text, h.url) for h in links] == [
        ("uno", "http://a.cl"), ("dos", "http://b.cl"), ("tres", "http://a.cl")]
    assert links[0]._hyperlink.rId == links[2]._hyperlink.rId != links[1]._hyperlink.rId
    assert [(r.bold, r.italic) for h in links for r in h.runs] == [
        (True, None), (None, True), (None, None)]
    assert all(r.style.name == "Hyperlink" for h in links for r in h.runs)
    hyperlink_rels = [r for r in doc.part.rels.values() if r.reltype.endswith("/hyperlink")]
    assert len(hyperlink_rels) == 2


def test_tabs_line_breaks_and_edge_spaces_survive(renderer):
    text = "  a\tb\nc  "
    doc = docx.Document(io.BytesIO(renderer.render(make_letter(body=(_plain(text),)))))
    (paragraph,) = [p for p in doc.paragraphs if p.text == text]
    xml = paragraph._p.xml
    assert "<w:tab/>" in xml and "<w:br/>" in xml and 'xml:space="preserve"' in xml


def test_section_properties_close_the_body_as_the_schema_requires(document):
    body = document.element.body
    assert body[-1].tag == docx.oxml.ns.qn("w:sectPr")
    assert len(body.findall(docx.oxml.ns.qn("w:sectPr"))) == 1


def test_logo_and_qr_code_are_two_image_parts(renderer, tmp_path):
    import dataclasses
    import io
    import zipfile

    from PIL import Image as PILImage

    logo = tmp_path / "logo.png"
    PILImage.new("RGB", (40, 20), (0, 56, 168)).save(logo)
    letter = dataclasses.replace(make_letter(), logo=logo, verification="ABCD-EFGH-JK", qr=True)
    data = renderer.render(letter)
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        media = sorted(n for n in package.namelist() if n.startswith("word/media/"))
        types = package.read("[Content_Types].xml").decode()
    assert media == ["word/media/image1.png", "word/media/image2.png"]
    assert 'Extension="png"' in types or "image/png" in types
    document = docx.Document(io.BytesIO(data))
    assert len(document.inline_shapes) == 2
    assert renderer.render(letter) == data
