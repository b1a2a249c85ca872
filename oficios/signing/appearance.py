"""How a signature shows on a letter: the template's choice, and where and how it is drawn.

The letter layout puts a named destination `firma` on the signature block; the box (visible
mode) or the printed line (invisible mode) goes in the blank above the signer's name there.
Texts are drawn in the letter's font, embedded, so the PDF/A archive copy stays conformant.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

ANCHOR = "firma"  # the named destination the letter layout puts on the signature block
MODES = ("visible", "invisible")
DEFAULT_LEYENDA = "Firmado electrónicamente"
FONT = Path(__file__).resolve().parent.parent / "assets" / "fonts" / "LiberationSans-Regular.ttf"
# The visible box (points): it fills the blank the layout leaves above the signer's name.
BOX_WIDTH, BOX_HEIGHT, BOX_GAP = 180.0, 46.0, 8.0
LINE_HEIGHT = 32.0  # the printed line of an invisible signature, just above the name


@dataclass(frozen=True)
class Appearance:
    """How a letter's signature shows, from the template's [firma_electronica] table.

    `modo` "visible": a box at the signature block with signer, cargo, date and `leyenda`;
    "invisible": no box, a printed line at the signature block says the same.
    """

    modo: str = "visible"
    leyenda: str = DEFAULT_LEYENDA

    @classmethod
    def from_template(cls, template) -> Appearance:
        """The template's choice; the defaults when it has no [firma_electronica] table."""
        from oficios.errors import TemplateError
        from oficios.i18n import gettext as _
        from oficios.template import METADATA_FILE

        table = template.meta.get("firma_electronica", {})
        where = template.folder / METADATA_FILE
        if not isinstance(table, dict):
            raise TemplateError(_("[{table}] must be a table").format(table="firma_electronica"),
                                file=where)
        unknown = sorted(set(table) - {"modo", "leyenda"})
        if unknown:
            raise TemplateError(_("[firma_electronica] has unknown keys: {keys}").format(
                keys=", ".join(unknown)), file=where, hint=_("it takes modo and leyenda"))
        modo = table.get("modo", "visible")
        if modo not in MODES:
            raise TemplateError(_("[firma_electronica] modo = {value} is not a mode").format(
                value=repr(modo)), file=where, hint=_('write modo = "visible" or modo = "invisible"'))
        leyenda = table.get("leyenda", DEFAULT_LEYENDA)
        if not isinstance(leyenda, str) or not leyenda.strip():
            raise TemplateError(_("[firma_electronica] leyenda must be a text"), file=where)
        return cls(modo, leyenda.strip())


def now_text() -> str:
    return dt.datetime.now().astimezone().strftime("%d-%m-%Y %H:%M %Z")


def anchor(writer) -> tuple[int, float, float, float] | None:
    """(page index, centre x, top y, width) of the signature block, None if the PDF has none.

    The layout's named destination gives the block's top left corner; the block is centred
    on the page, so its width is what lies between that left edge and the same margin on
    the right."""
    from pyhanko.pdf_utils import generic

    try:
        names = writer.root["/Names"]["/Dests"]["/Names"]
    except KeyError:
        return None
    for i in range(0, len(names) - 1, 2):
        if str(names[i]) == ANCHOR:
            dest = names[i + 1]
            break
    else:
        return None
    if isinstance(dest, generic.DictionaryObject):
        dest = dest["/D"]
    page_ref = dest.raw_get(0) if hasattr(dest, "raw_get") else dest[0]
    count = int(writer.root["/Pages"]["/Count"])
    for index in range(count):
        ref, _resources = writer.find_page_for_modification(index)
        if ref.reference == page_ref.reference:
            left, right = _horizontal_extent(ref.get_object())
            centre = (left + right) / 2
            return index, centre, float(dest[3]), 2 * (centre - float(dest[2]))
    return None


def _horizontal_extent(page) -> tuple[float, float]:
    box = page.get("/CropBox", page["/MediaBox"])
    return float(box[0]), float(box[2])


_font_bytes: bytes | None = None


def _font() -> bytes:
    """The letter font for signature texts at 1000 units per em, made once per process.

    pyHanko 0.38 writes glyph widths in font units as if every font had 1000 units per em;
    Liberation Sans has 2048, so its text came out spread to twice its width. A copy cut to
    the Latin scripts and scaled to 1000 units takes 0.3 s and stays in memory.
    """
    global _font_bytes
    if _font_bytes is None:
        from fontTools import subset
        from fontTools.ttLib import TTFont
        from fontTools.ttLib.scaleUpem import scale_upem

        font = TTFont(str(FONT))
        options = subset.Options()
        # No layout tables or hinting: pyHanko subsets the font again at every signature,
        # and without them that takes a fraction of the time (the box needs no kerning).
        options.layout_features, options.hinting, options.name_IDs = [], False, ["*"]
        options.glyph_names = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[*range(0x20, 0x250), *range(0x2010, 0x2030), 0x20AC])
        subsetter.subset(font)
        scale_upem(font, 1000)
        buffer = io.BytesIO()
        font.save(buffer)
        font.close()
        _font_bytes = buffer.getvalue()
    return _font_bytes


def _font_factory(font_size: int):
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory

    class InMemoryFont(GlyphAccumulatorFactory):
        """pyHanko's factory opens the font file and never closes it; this reads bytes."""

        def create_font_engine(self, writer, obj_stream=None):
            if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
                obj_stream = writer.prepare_object_stream()
            return GlyphAccumulator(writer=writer, font_handle=io.BytesIO(_font()),
                                    font_size=self.font_size, obj_stream=obj_stream)

    return InMemoryFont(font_file=str(FONT), font_size=font_size)


def _style(font_size: int):
    from pyhanko.pdf_utils.layout import AxisAlignment, Margins, SimpleBoxLayoutRule
    from pyhanko.pdf_utils.text import TextBoxStyle

    text = TextBoxStyle(font=_font_factory(font_size),
                        font_size=font_size, leading=font_size + 2)
    centred = SimpleBoxLayoutRule(x_align=AxisAlignment.ALIGN_MID, y_align=AxisAlignment.ALIGN_MID,
                                  margins=Margins(4, 4, 4, 4))
    return text, centred


def box_style():
    from pyhanko.stamp import TextStampStyle

    text, centred = _style(7)
    return TextStampStyle(stamp_text="%(leyenda)s\n%(nombre)s\n%(cargo)s\n%(fecha)s",
                          text_box_style=text, inner_content_layout=centred, border_width=1,
                          background=None)


def print_line(writer, page: int, box: tuple[float, float, float, float], params: dict) -> None:
    """Prints 'Firmado electrónicamente por ..., el ...' in the page at the signature block."""
    from pyhanko.pdf_utils.layout import BoxConstraints
    from pyhanko.stamp import TextStamp, TextStampStyle

    text, centred = _style(7)  # a longer name or cargo shrinks the line to the block's width
    style = TextStampStyle(stamp_text="%(leyenda)s por %(nombre)s, %(cargo)s, el %(fecha)s",
                           text_box_style=text, inner_content_layout=centred, border_width=0,
                           background=None)
    stamp = TextStamp(writer, style, text_params=params,
                      box=BoxConstraints(width=box[2] - box[0], height=box[3] - box[1]))
    stamp.apply(page, box[0], box[1])
