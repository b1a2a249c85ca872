"""Letters -> DOCX bytes: a Word document a secretary can edit, laid out as a Chilean oficio.

The only module that imports python-docx. Page set-up and the editable "Oficio ..." styles
are built once into a prepared base document kept as bytes; every letter starts from a
fresh load of it, so no state leaks between letters. Output is byte-reproducible.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import docx
from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Length, Pt, RGBColor
from docx.text.paragraph import Paragraph as DocxParagraph
from docx.text.run import Run as DocxRun

from oficios.letter import Block, Letter, ListBlock, Paragraph, Run

FONT = "Arial"  # LibreOffice substitutes the metric-compatible Liberation Sans
LANG = "es-CL"
LOGO_WIDTH = Cm(2.5)
# The reference block (number, ANT., MAT., date) sits in the right half of the 15.5 cm
# text column; its labels hang so a long MAT. wraps under the text, not under "MAT.:".
REF_LEFT, REF_LABEL = Cm(8.0), Cm(1.4)
PARTY_LABEL = Cm(1.6)  # "DE :" / "A :" column
# Parts of python-docx's default template that a letter does not need: a thumbnail of
# another document, Word 2010's duplicate styles, a bibliography item and list numbering.
_DROPPED_RELS = (
    RT.THUMBNAIL,
    "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects",
    RT.CUSTOM_XML,
    RT.NUMBERING,
)
_KEPT_STYLE_IDS = {"Normal", "DefaultParagraphFont", "TableNormal", "NoList"}


@dataclass(frozen=True)
class _Style:
    """One paragraph style of the oficio (sizes and spacing in points); None inherits Normal."""

    name: str
    size: float | None = None
    bold: bool | None = None
    small_caps: bool | None = None
    align: WD_ALIGN_PARAGRAPH | None = None
    before: float = 0
    after: float = 0
    left: Length | None = None
    hanging: Length | None = None
    keep_with_next: bool | None = None
    keep_together: bool | None = None


_J, _C = WD_ALIGN_PARAGRAPH.JUSTIFY, WD_ALIGN_PARAGRAPH.CENTER
STYLES = (
    _Style("Oficio Membrete", size=9, bold=True, small_caps=True, after=24),
    _Style("Oficio Referencia", left=REF_LEFT + REF_LABEL, hanging=REF_LABEL, after=6),
    _Style("Oficio Destinatario", bold=True, left=PARTY_LABEL, hanging=PARTY_LABEL,
           before=12, after=12),
    _Style("Oficio Cuerpo", align=_J, after=10),
    _Style("Oficio Lista", align=_J, after=6, left=Cm(1.9), hanging=Cm(0.9)),
    # Space above leaves room for the hand signature; keeping the lines together and with
    # the initials below means the signature never stands alone at the top of a page.
    _Style("Oficio Firma", bold=True, align=_C, before=54, after=18,
           keep_with_next=True, keep_together=True),
    _Style("Oficio Iniciales", size=8, after=12),
    _Style("Oficio Distribución", size=9),
)


class DocxRenderer:
    """Renders Letters to DOCX bytes; prepare once, render many."""

    def __init__(self) -> None:
        doc = docx.Document()
        _slim_package(doc)
        _set_up_page(doc)
        _set_up_defaults(doc)
        for spec in STYLES:
            _add_style(doc, spec)
        _add_hyperlink_style(doc)
        _clear_body(doc)
        buf = io.BytesIO()
        doc.save(buf)
        self._base = buf.getvalue()

    def render(self, letter: Letter) -> bytes:
        """One letter -> the content of its .docx file (byte-identical for equal letters)."""
        doc = docx.Document(io.BytesIO(self._base))
        _write_letter(doc, letter)
        _set_properties(doc, letter)
        buf = io.BytesIO()
        doc.save(buf)
        return _normalize_zip(buf.getvalue(), _zip_time(letter.fecha))


def render_docx(letters: Iterable[Letter]) -> Iterator[tuple[Letter, bytes]]:
    """Render each letter with one shared renderer, yielding (letter, docx bytes)."""
    renderer = DocxRenderer()
    for letter in letters:
        yield letter, renderer.render(letter)


# -- the prepared base document ---------------------------------------------------------


def _slim_package(doc: Document) -> None:
    """Drop unneeded template parts and styles: smaller files, faster load per letter."""
    for part in (doc.part.package, doc.part):
        for rId, rel in list(part.rels.items()):
            if rel.reltype in _DROPPED_RELS:
                del part.rels[rId]
    styles = doc.styles.element
    for style in styles.findall(qn("w:style")):
        if style.get(qn("w:styleId")) not in _KEPT_STYLE_IDS:
            styles.remove(style)
    settings = doc.settings.element
    for name in ("w:proofState", "w:attachedTemplate"):
        # A stale "spelling clean" mark would tell Word to skip checking the new text.
        for el in settings.findall(qn(name)):
            settings.remove(el)
    theme_lang = settings.find(qn("w:themeFontLang"))
    if theme_lang is not None:
        theme_lang.set(qn("w:val"), LANG)


def _set_up_page(doc: Document) -> None:
    """A4 portrait with the margins of a ministry letter."""
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2.5)
    section.left_margin, section.right_margin = Cm(3.0), Cm(2.5)
    section.header_distance = section.footer_distance = Cm(1.25)
    # Later pages carry the number and recipient (filled per letter, as in the PDF), in case
    # pages are separated; every page carries "page / pages".
    section.different_first_page_header_footer = True
    for footer in (section.footer, section.first_page_footer):
        _add_page_numbers(footer.paragraphs[0])
    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _add_page_numbers(paragraph: DocxParagraph) -> None:
    """Right-aligned "PAGE / NUMPAGES" fields in small grey type."""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for i, field in enumerate(("PAGE", "NUMPAGES")):
        if i:
            _small(paragraph.add_run(" / "))
        simple = OxmlElement("w:fldSimple", {qn("w:instr"): field})
        run = OxmlElement("w:r")
        run.append(OxmlElement("w:t"))
        run[0].text = "1"
        simple.append(run)
        paragraph._p.append(simple)
        _small(DocxRun(run, paragraph))


def _small(run: DocxRun) -> DocxRun:
    run.font.size = Pt(8)
    run.font.color.rgb = RGBColor(0x55, 0x55, 0x55)
    return run


def _set_up_defaults(doc: Document) -> None:
    """Arial 11 pt, Spanish (Chile), single spacing, in the defaults and in Normal."""
    styles = doc.styles.element
    r_pr = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts_and_lang(r_pr)
    p_pr = styles.find(qn("w:docDefaults")).find(qn("w:pPrDefault")).find(qn("w:pPr"))
    p_pr.remove(p_pr.find(qn("w:spacing")))
    normal = doc.styles["Normal"]
    normal.font.size = Pt(11)
    _set_fonts_and_lang(normal.element.get_or_add_rPr())
    fmt = normal.paragraph_format
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(0), Pt(0), 1.0
    fmt.widow_control = True


def _set_fonts_and_lang(r_pr) -> None:
    """Point every script's font at Arial (no theme fonts) and the language at es-CL."""
    for tag in ("w:rFonts", "w:lang"):
        for old in r_pr.findall(qn(tag)):
            r_pr.remove(old)
    fonts = {qn(f"w:{script}"): FONT for script in ("ascii", "hAnsi", "eastAsia", "cs")}
    r_pr.insert(0, OxmlElement("w:rFonts", fonts))  # rFonts comes first in w:rPr
    langs = {qn("w:val"): LANG, qn("w:eastAsia"): LANG, qn("w:bidi"): "ar-SA"}
    r_pr.append(OxmlElement("w:lang", langs))  # after w:sz, the only other child here


def _add_style(doc: Document, spec: _Style) -> None:
    """Define one visible, editable paragraph style based on Normal."""
    style = doc.styles.add_style(spec.name, WD_STYLE_TYPE.PARAGRAPH)
    style.style_id = _style_id(spec.name)
    style.base_style = doc.styles["Normal"]
    style.quick_style = True  # shown in Word's style gallery
    font, fmt = style.font, style.paragraph_format
    font.size = Pt(spec.size) if spec.size else None
    font.bold, font.small_caps = spec.bold, spec.small_caps
    fmt.alignment = spec.align
    fmt.space_before, fmt.space_after = Pt(spec.before), Pt(spec.after)
    fmt.keep_with_next, fmt.keep_together = spec.keep_with_next, spec.keep_together
    if spec.left is not None:
        fmt.left_indent = spec.left
        fmt.first_line_indent = -spec.hanging if spec.hanging else None
        # An explicit stop at the indent, so "label<TAB>text" lines up in every editor.
        fmt.tab_stops.add_tab_stop(spec.left)


def _add_hyperlink_style(doc: Document) -> None:
    """Word's built-in "Hyperlink" character style: blue, underlined."""
    style = doc.styles.add_style("Hyperlink", WD_STYLE_TYPE.CHARACTER)
    del style.element.attrib[qn("w:customStyle")]  # Word's own style, not a custom one
    style.base_style = doc.styles["Default Paragraph Font"]
    style.font.color.rgb = RGBColor(0x05, 0x63, 0xC1)
    style.font.underline = True


def _style_id(name: str) -> str:
    """The XML id of a style: its name in ASCII without spaces, as Word makes them."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return ascii_name.replace(" ", "")


def _clear_body(doc: Document) -> None:
    """Remove the template's empty paragraph, keeping the section properties."""
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)


# -- one letter -------------------------------------------------------------------------


def _write_letter(doc: Document, letter: Letter) -> None:
    """Lay the letter out top to bottom as D.S. 291/1974 describes an oficio."""
    running = " — ".join(filter(None, (letter.numero, letter.recipient_name)))
    _small(doc.sections[0].header.paragraphs[0].add_run(running))
    _write_letterhead(doc, letter)
    _write_reference(doc, letter)
    for party in (letter.de, letter.a):
        _write_lines(_paragraph(doc, "Oficio Destinatario"), party.lines, f"{party.label} :\t")
    for block in letter.body:
        _write_block(doc, block)
    for block in letter.closing:
        for paragraph in _write_block(doc, block):
            paragraph.paragraph_format.keep_with_next = True  # stays with the signature
    _write_lines(_paragraph(doc, "Oficio Firma"), letter.firma)
    _paragraph(doc, "Oficio Iniciales").add_run(letter.iniciales)
    _write_distribution(doc, letter)


def _paragraph(doc: Document, style: str) -> DocxParagraph:
    """A new paragraph at the end of the body, in one of the oficio styles."""
    paragraph = doc.add_paragraph()
    # Set by id: python-docx's lookup by style name costs more than the rest of the letter.
    paragraph._p.get_or_add_pPr().style = _style_id(style)
    return paragraph


def _write_lines(paragraph: DocxParagraph, lines: Iterable[str], lead: str = "") -> None:
    """`lead`, then `lines` joined by line breaks, so a block stays one paragraph in Word."""
    paragraph.add_run(lead + "\n".join(lines))  # python-docx turns "\n" into a w:br


def _write_letterhead(doc: Document, letter: Letter) -> None:
    """The logo (if any) above the letterhead lines, top left."""
    if not letter.membrete and letter.logo is None:
        return
    paragraph, lead = _paragraph(doc, "Oficio Membrete"), ""
    if letter.logo is not None:
        shape = paragraph.add_run().add_picture(str(letter.logo), width=LOGO_WIDTH)
        for side in ("distT", "distB", "distL", "distR"):  # else LibreOffice adds 0.32 cm
            shape._inline.set(side, "0")
        lead = "\n" if letter.membrete else ""
    _write_lines(paragraph, letter.membrete, lead)


def _write_reference(doc: Document, letter: Letter) -> None:
    """Number, ANT., MAT. and place and date, in the right half of the page."""
    _paragraph(doc, "Oficio Referencia").add_run(letter.numero).bold = True
    for label, value in (("ANT.:", letter.antecedente), ("MAT.:", letter.materia)):
        paragraph = _paragraph(doc, "Oficio Referencia")
        paragraph.add_run(label).bold = True
        paragraph.add_run("\t" + value)
    _paragraph(doc, "Oficio Referencia").add_run(letter.lugar_fecha).bold = True


def _write_block(doc: Document, block: Block) -> list[DocxParagraph]:
    """A body paragraph or list; returns the paragraphs it produced."""
    if isinstance(block, Paragraph):
        paragraph = _paragraph(doc, "Oficio Cuerpo")
        _write_runs(paragraph, block.runs)
        return [paragraph]
    return [_write_item(doc, block, i, item) for i, item in enumerate(block.items)]


def _write_item(doc: Document, block: ListBlock, index: int, runs: tuple[Run, ...]):
    """One list item; unordered items carry their own marker ("(i)") in the text."""
    paragraph = _paragraph(doc, "Oficio Lista")
    if block.ordered:
        paragraph.add_run(f"{block.start + index}.\t")  # the tab reaches the hanging indent
    _write_runs(paragraph, runs)
    return paragraph


def _write_runs(paragraph: DocxParagraph, runs: Iterable[Run]) -> None:
    """Literal text runs, bold/italic as given; linked runs become real hyperlinks."""
    for run in runs:
        target = _add_hyperlink(paragraph, run.href) if run.href else paragraph.add_run()
        target.text = run.text
        if run.bold:  # only when set: assigning False/None would leave an empty w:rPr
            target.bold = True
        if run.italic:
            target.italic = True


def _add_hyperlink(paragraph: DocxParagraph, url: str) -> DocxRun:
    """Append a w:hyperlink to `url` holding one empty run, and return that run."""
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), paragraph.part.relate_to(url, RT.HYPERLINK, is_external=True))
    link.set(qn("w:history"), "1")
    r = OxmlElement("w:r")
    r.get_or_add_rPr().style = "Hyperlink"
    link.append(r)
    paragraph._p.append(link)  # python-docx has no public API to add a hyperlink
    return DocxRun(r, paragraph)


def _write_distribution(doc: Document, letter: Letter) -> None:
    """The distribution title, then its lines numbered 1., 2., ..."""
    title = _paragraph(doc, "Oficio Distribución")
    title.add_run(letter.distribucion_titulo).bold = True
    title.paragraph_format.keep_with_next = True
    for number, line in enumerate(letter.distribucion, start=1):
        _paragraph(doc, "Oficio Distribución").add_run(f"{number}. {line}")


def _set_properties(doc: Document, letter: Letter) -> None:
    """Core properties, dated by the letter (never now()) so output is reproducible."""
    props = doc.core_properties
    stamp = dt.datetime.combine(letter.fecha, dt.time(12, 0), tzinfo=dt.timezone.utc)
    props.title = letter.title or letter.numero
    props.subject = letter.materia
    props.author = props.last_modified_by = letter.author
    props.language = letter.language or LANG
    props.created = props.modified = stamp
    props.revision = 1
    props.comments = props.keywords = props.category = ""


# -- reproducible zip -------------------------------------------------------------------


def _zip_time(day: dt.date) -> tuple[int, int, int, int, int, int]:
    """The letter's date at noon, as a zip timestamp (zip cannot store years before 1980)."""
    day = max(day, dt.date(1980, 1, 1))
    return (day.year, day.month, day.day, 12, 0, 0)


def _normalize_zip(raw: bytes, when: tuple[int, int, int, int, int, int]) -> bytes:
    """Rewrite a zip with one fixed timestamp and fixed attributes for every entry."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():  # python-docx writes parts in a stable order
            entry = zipfile.ZipInfo(info.filename, date_time=when)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            entry.create_system = 3  # "Unix" on every OS, so the bytes do not depend on it
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()
