"""Letters -> DOCX bytes: a Word document a secretary can edit, laid out as a Chilean oficio.

This package is the only place that imports python-docx. Page set-up and the editable
"Oficio ..." styles are built once into a prepared base document (base.py). A letter changes
only its body, running header, footers, relationships and core properties: those are built
with lxml on copies of the base's, every other part is reused already deflated, and the zip
is written in one pass (zipwrite.py). Output is byte-reproducible.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

import docx
from docx.image.image import Image
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.coreprops import CoreProperties
from docx.opc.oxml import parse_xml as parse_opc_xml, serialize_part_xml
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.opc.pkgwriter import _ContentTypesItem
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docx.oxml.shape import CT_Inline
from docx.parts.image import ImagePart
from docx.shared import Cm, Length
from lxml.etree import SubElement, _Element

from oficios.i18n import gettext as _
from oficios.letter import Block, Letter, ListBlock, Paragraph, Run
from oficios.render_docx.base import LANG, base_document, style_id
from oficios.zipwrite import deflate, write_zip, zip_time

LOGO_WIDTH = Cm(2.5)
QR_WIDTH = Cm(2.2)


# The parts a letter changes, as python-docx's default template names them (header1.xml is
# the header of pages after the first), each with its parser: python-docx reads package
# relationships with element classes of their own.
_CORE, _DOCUMENT, _HEADER = "docProps/core.xml", "word/document.xml", "word/header1.xml"
_STYLES = "word/styles.xml"
_FOOTERS = ("word/footer1.xml", "word/footer2.xml")  # later pages', first page's
_DOCUMENT_RELS, _CONTENT_TYPES = "word/_rels/document.xml.rels", "[Content_Types].xml"
_PARSERS = {_CORE: parse_xml, _DOCUMENT: parse_xml, _HEADER: parse_xml,
            _DOCUMENT_RELS: parse_opc_xml, **{name: parse_xml for name in _FOOTERS}}
_P, _PPR, _PSTYLE, _KEEP_NEXT, _R, _RPR, _RSTYLE, _B, _I, _T, _TAB, _BR, _BODY, _DRAWING = (
    qn(f"w:{tag}") for tag in ("p", "pPr", "pStyle", "keepNext", "r", "rPr", "rStyle", "b",
                               "i", "t", "tab", "br", "body", "drawing"))
_HYPERLINK, _HISTORY, _VAL, _RID, _XML_SPACE = map(
    qn, ("w:hyperlink", "w:history", "w:val", "r:id", "xml:space"))
_BREAKS = re.compile(r"([\t\r\n])")  # characters Word stores as elements, not as text


class DocxRenderer:
    """Renders Letters to DOCX bytes; prepare once, render many."""

    def __init__(self, styles: Path | None = None) -> None:
        """`styles` is a template's reference .docx whose styles replace the package's
        (None: the package's "Oficio ..." styles)."""
        doc = base_document()
        buf = io.BytesIO()
        doc.save(buf)
        with zipfile.ZipFile(buf) as zf:
            blobs = {name: zf.read(name) for name in zf.namelist()}
        if styles is not None:
            blobs[_STYLES] = _reference_styles(styles, blobs[_STYLES])
        # Deflated once here, in python-docx's order ([Content_Types].xml first).
        self._entries = tuple(deflate(name, blob) for name, blob in blobs.items())
        self._xml = {name: parse(blobs[name]) for name, parse in _PARSERS.items()}
        self._parts = tuple(doc.part.package.iter_parts())  # to type a logo's part

    def render(self, letter: Letter) -> bytes:
        """One letter -> the content of its .docx file (byte-identical for equal letters)."""
        doc = _LetterDoc({name: copy.deepcopy(xml) for name, xml in self._xml.items()})
        _write_letter(doc, letter)
        parts = doc.parts(self._parts)
        entries = [deflate(e.name, parts.pop(e.name)) if e.name in parts else e
                   for e in self._entries]
        entries += (deflate(name, blob) for name, blob in parts.items())  # the logo, last
        return write_zip(entries, zip_time(letter.date))


def _reference_styles(path: Path, ours: bytes) -> bytes:
    """The styles part of a reference .docx, if it defines every style a letter uses."""
    from oficios.errors import TemplateError

    try:
        with zipfile.ZipFile(path) as zf:
            theirs = zf.read(_STYLES)
        ids = {el.get(qn("w:styleId")) for el in parse_xml(theirs).iter(qn("w:style"))}
    except (OSError, KeyError, zipfile.BadZipFile, ValueError) as exc:
        raise TemplateError(_("not a Word document with styles ({kind})").format(
                                kind=type(exc).__name__),
                            file=path, hint=_("save the reference document as .docx")) from None
    needed = {el.get(qn("w:styleId")): el.find(qn("w:name")).get(qn("w:val"))
              for el in parse_xml(ours).iter(qn("w:style"))
              if el.find(qn("w:name")).get(qn("w:val")).startswith("Oficio ")
              or el.get(qn("w:styleId")) == "Hyperlink"}
    if missing := sorted(name for sid, name in needed.items() if sid not in ids):
        raise TemplateError(_("the reference document lacks the styles {styles}").format(
                                styles=", ".join(missing)),
                            file=path, hint=_("start from a .docx letter made by oficios and change "
                                              "its styles in Word"))
    return theirs


def docx_text(path: str | Path) -> str:
    """All the text of a DOCX file: body, headers and footers (to find its verification code)."""
    document = docx.Document(str(path))
    texts = [p.text for p in document.paragraphs]
    for section in document.sections:
        for part in (section.header, section.first_page_header, section.footer,
                     section.first_page_footer):
            texts += [p.text for p in part.paragraphs]
    return "\n".join(texts)


class _LetterDoc:
    """One letter's changing parts, as XML: body, header, relationships, core properties."""

    def __init__(self, xml: dict[str, _Element]) -> None:
        self._xml, self._rels = xml, xml[_DOCUMENT_RELS]
        self.body = xml[_DOCUMENT].find(_BODY)
        self._sect_pr = self.body[-1]  # moved back to the end once the body is written
        self.header_run = xml[_HEADER].find(_P).find(_R)  # styled and empty, for the text
        self.footer_runs = [xml[name].find(_P).find(_R) for name in _FOOTERS]  # for the code
        self.core_properties = CoreProperties(xml[_CORE])
        self._images: list[ImagePart] = []

    def paragraph(self, style: str) -> _Element:
        """A new paragraph at the end of the body, in one of the oficio styles."""
        p = SubElement(self.body, _P)
        SubElement(SubElement(p, _PPR), _PSTYLE, {_VAL: style_id(style)})
        return p

    def relate(self, reltype: str, target: str, external: bool = False) -> str:
        """The rId of a relationship to `target`, added if new, numbered as python-docx does."""
        wanted = (reltype, target, "External" if external else None)
        for rel in self._rels:
            if (rel.get("Type"), rel.get("Target"), rel.get("TargetMode")) == wanted:
                return rel.get("Id")  # one relationship per URL, however often it is linked
        used = {rel.get("Id") for rel in self._rels}
        rId = next(f"rId{n}" for n in range(1, len(used) + 2) if f"rId{n}" not in used)
        self._rels.add_rel(rId, reltype, target, external)
        return rId

    def add_image(self, paragraph: _Element, image: Image, width: Length) -> None:
        """An image part (logo, QR code), shown `width` wide in a run of `paragraph`."""
        number = len(self._images) + 1  # image1, image2...: also the drawing's shape id
        part = ImagePart.from_image(image, PackURI(f"/word/media/image{number}.{image.ext}"))
        self._images.append(part)
        rId = self.relate(RT.IMAGE, part.partname.relative_ref("/word"))
        cx, cy = image.scaled_dimensions(width, None)
        inline = CT_Inline.new_pic_inline(number, rId, image.filename, cx, cy)
        for side in ("distT", "distB", "distL", "distR"):  # else LibreOffice adds 0.32 cm
            inline.set(side, "0")
        SubElement(_run(paragraph), _DRAWING).append(inline)

    def parts(self, base_parts: tuple[Part, ...]) -> dict[str, bytes]:
        """The serialized parts, by zip entry name, with the images' if the letter has any."""
        self.body.append(self._sect_pr)  # w:sectPr must close the body
        parts = {name: serialize_part_xml(xml) for name, xml in self._xml.items()}
        if self._images:  # python-docx's own writer, to list their content types
            parts[_CONTENT_TYPES] = _ContentTypesItem.from_parts((*base_parts, *self._images)).blob
            parts |= {image.partname.membername: image.blob for image in self._images}
        return parts


# -- one letter -------------------------------------------------------------------------


def _write_letter(doc: _LetterDoc, letter: Letter) -> None:
    """Lay the letter out top to bottom as D.S. 291/1974 describes an oficio."""
    draft = ("BORRADOR",) if letter.draft else ()
    _add_text(doc.header_run, " — ".join(filter(None, (*draft, letter.number,
                                                       letter.recipient_name))))
    if letter.verification:
        for run in doc.footer_runs:
            _add_text(run, f"Código de verificación: {letter.verification}")
    elif letter.draft:
        for run in doc.footer_runs:
            _add_text(run, "BORRADOR: sin código de verificación, no enviar")
    _write_letterhead(doc, letter)
    _write_reference(doc, letter)
    for party in (letter.sender, letter.addressee):
        _write_lines(doc.paragraph("Oficio Destinatario"), party.lines, f"{party.label} :\t")
    for block in letter.body:
        _write_block(doc, block)
    for block in letter.closing:
        for paragraph in _write_block(doc, block):
            _keep_with_next(paragraph)  # stays with the signature
    _write_lines(doc.paragraph("Oficio Firma"), letter.signature)
    _run(doc.paragraph("Oficio Iniciales"), letter.initials)
    _write_distribution(doc, letter)
    _set_properties(doc.core_properties, letter)


def _run(parent: _Element, text="", bold=False, italic=False, style=None) -> _Element:
    """Append a w:r holding `text`, its formatting in w:rPr in the schema's order."""
    r = SubElement(parent, _R)
    if style or bold or italic:
        r_pr = SubElement(r, _RPR)
        if style:
            SubElement(r_pr, _RSTYLE, {_VAL: style})
        if bold:
            SubElement(r_pr, _B)
        if italic:
            SubElement(r_pr, _I)
    _add_text(r, text)
    return r


def _add_text(r: _Element, text: str) -> None:
    """Append `text` to a run as python-docx does: tabs as w:tab, line ends as w:br."""
    for piece in _BREAKS.split(text):
        if piece == "\t":
            SubElement(r, _TAB)
        elif piece in ("\r", "\n"):
            SubElement(r, _BR)
        elif piece:
            t = SubElement(r, _T)
            t.text = piece
            if len(piece.strip()) < len(piece):  # else readers drop the edge spaces
                t.set(_XML_SPACE, "preserve")


def _keep_with_next(paragraph: _Element) -> None:
    """Keep a paragraph on the page of the next one (w:keepNext follows w:pStyle)."""
    SubElement(paragraph[0], _KEEP_NEXT)


def _write_lines(paragraph: _Element, lines: Iterable[str], lead: str = "") -> None:
    """`lead`, then `lines` joined by line breaks, so a block stays one paragraph in Word."""
    _run(paragraph, lead + "\n".join(lines))


def _write_letterhead(doc: _LetterDoc, letter: Letter) -> None:
    """The logo (if any) above the letterhead lines, top left."""
    if not letter.letterhead and letter.logo is None:
        return
    paragraph, lead = doc.paragraph("Oficio Membrete"), ""
    if letter.logo is not None:
        doc.add_image(paragraph, Image.from_file(str(letter.logo)), LOGO_WIDTH)
        lead = "\n" if letter.letterhead else ""
    _write_lines(paragraph, letter.letterhead, lead)


def _write_reference(doc: _LetterDoc, letter: Letter) -> None:
    """Number, ANT., MAT. and place and date, in the right half of the page."""
    _run(doc.paragraph("Oficio Referencia"), letter.number, bold=True)
    for label, value in (("ANT.:", letter.reference), ("MAT.:", letter.subject)):
        paragraph = doc.paragraph("Oficio Referencia")
        _run(paragraph, label, bold=True)
        _run(paragraph, "\t" + value)
    _run(doc.paragraph("Oficio Referencia"), letter.place_date, bold=True)


def _write_block(doc: _LetterDoc, block: Block) -> list[_Element]:
    """A body paragraph or list; returns the paragraphs it produced."""
    if isinstance(block, Paragraph):
        paragraph = doc.paragraph("Oficio Cuerpo")
        _write_runs(doc, paragraph, block.runs)
        return [paragraph]
    return [_write_item(doc, block, i, item) for i, item in enumerate(block.items)]


def _write_item(doc: _LetterDoc, block: ListBlock, index: int, runs: tuple[Run, ...]):
    """One list item; unordered items carry their own marker ("(i)") in the text."""
    paragraph = doc.paragraph("Oficio Lista")
    if block.ordered:
        _run(paragraph, f"{block.start + index}.\t")  # the tab reaches the hanging indent
    _write_runs(doc, paragraph, runs)
    return paragraph


def _write_runs(doc: _LetterDoc, paragraph: _Element, runs: Iterable[Run]) -> None:
    """Literal text runs, bold/italic as given; linked runs become real hyperlinks."""
    for run in runs:
        if run.href:
            rId = doc.relate(RT.HYPERLINK, run.href, external=True)
            link = SubElement(paragraph, _HYPERLINK, {_RID: rId, _HISTORY: "1"})
            _run(link, run.text, run.bold, run.italic, style="Hyperlink")
        else:
            _run(paragraph, run.text, run.bold, run.italic)


def _write_distribution(doc: _LetterDoc, letter: Letter) -> None:
    """The distribution title, then its lines numbered 1., 2., ..."""
    title = doc.paragraph("Oficio Distribución")
    _keep_with_next(title)
    _run(title, letter.distribution_title, bold=True)
    for number, line in enumerate(letter.distribution, start=1):
        _run(doc.paragraph("Oficio Distribución"), f"{number}. {line}")
    if letter.qr and letter.verification:
        from oficios.qr import qr_png

        paragraph = doc.paragraph("Oficio Distribución")
        SubElement(paragraph.find(_PPR), qn("w:jc"), {_VAL: "right"})
        doc.add_image(paragraph, Image.from_blob(qr_png(letter)), QR_WIDTH)


def _set_properties(props: CoreProperties, letter: Letter) -> None:
    """Core properties, dated by the letter (never now()) so output is reproducible."""
    stamp = dt.datetime.combine(letter.date, dt.time(12, 0), tzinfo=dt.timezone.utc)
    props.title = letter.title or letter.number
    props.subject = letter.subject
    props.author = props.last_modified_by = letter.author
    props.language = letter.language or LANG
    props.created = props.modified = stamp
    props.revision = 1
    props.comments = props.keywords = props.category = ""
