"""The prepared base document of every DOCX letter: A4 page set-up, header and footers,
Spanish (Chile) defaults and the editable "Oficio ..." styles, built once with python-docx."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import docx
from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Length, Pt, RGBColor
from docx.text.paragraph import Paragraph as DocxParagraph
from docx.text.run import Run as DocxRun

FONT = "Arial"  # LibreOffice substitutes the metric-compatible Liberation Sans
LANG = "es-CL"
TEXT_WIDTH = Cm(15.5)  # A4 less the 3 cm and 2.5 cm side margins
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


def base_document() -> Document:
    """python-docx's default document, slimmed and set up as an empty oficio."""
    doc = docx.Document()
    _slim_package(doc)
    _set_up_page(doc)
    _set_up_defaults(doc)
    for spec in STYLES:
        _add_style(doc, spec)
    _add_hyperlink_style(doc)
    _clear_body(doc)
    return doc


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
        paragraph = footer.paragraphs[0]
        # The verification code at the left (written per letter), the page numbers at the
        # right margin, after a right-aligned tab.
        _small(paragraph.add_run())
        paragraph.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
        _small(paragraph.add_run("\t"))
        _add_page_numbers(paragraph)
    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _small(header.add_run())  # each letter writes its number and recipient in this run


def _add_page_numbers(paragraph: DocxParagraph) -> None:
    """"PAGE / NUMPAGES" fields in small grey type."""
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
    style.style_id = style_id(spec.name)
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


def style_id(name: str) -> str:
    """The XML id of a style: its name in ASCII without spaces, as Word makes them."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return ascii_name.replace(" ", "")


def _clear_body(doc: Document) -> None:
    """Remove the template's empty paragraph, keeping the section properties."""
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
