"""The PDF renderer: Letter -> HTML (Jinja layout) -> PDF (WeasyPrint).

The only module that imports weasyprint. Fonts and CSS are loaded once per renderer and
shared by every letter; WeasyPrint may fetch only files inside the template folder and the
package's assets, so nothing in a template or roster can reach the network or other files.
"""

from __future__ import annotations

import atexit
import functools
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from oficios.errors import TemplateError
from oficios.i18n import gettext as _
from oficios.letter import Letter

ASSETS = Path(__file__).resolve().parent / "assets"
LAYOUT = "oficio.html.j2"
STYLESHEET = "oficio.css"


def harfbuzz_subset_available() -> bool:
    """Whether libharfbuzz-subset can be loaded (without it WeasyPrint falls back to fontTools
    and PDFs are ~2.5x slower to write). Looked for under the names WeasyPrint tries, without
    importing WeasyPrint: that costs ~0.6 s, which the main process of a batch never needs."""
    import ctypes
    import ctypes.util

    names = ["libharfbuzz-subset.so.0", "libharfbuzz-subset-0", "libharfbuzz-subset.0.dylib",
             "libharfbuzz-subset-0.dll"]
    for name in names:
        try:
            ctypes.CDLL(name)
            return True
        except OSError:
            continue
    found = ctypes.util.find_library("harfbuzz-subset")
    return found is not None


def _fetcher_class():
    from weasyprint.urls import URLFetcher

    class FolderFetcher(URLFetcher):
        """Fetches regular files below the allowed folders and nothing else.

        No network, no data: URLs, no file outside the folders: not by '..', not by a symlink
        inside them pointing out (paths are resolved before the check, and the resolved path
        is what is opened). A refusal stops the rendering (fail_on_errors).
        """

        def __init__(self, roots: Iterable[Path]) -> None:
            super().__init__(allowed_protocols=("file",), allow_redirects=False,
                             fail_on_errors=True)
            self.roots = [Path(r).resolve() for r in roots]

        def fetch(self, url, headers=None):
            path = self.allowed_path(url)
            if path is None:
                raise PermissionError(f"refused to fetch {url}: only existing files inside "
                                      f"{', '.join(map(str, self.roots))} may be used")
            return super().fetch(path.as_uri(), headers)

        def allowed_path(self, url: str) -> Path | None:
            """The file a URL names if it may be read, resolved; None if it may not."""
            from urllib.parse import unquote, urlsplit

            try:
                parts = urlsplit(url)
                if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
                    return None
                path = Path(unquote(parts.path)).resolve()
            except (ValueError, OSError, RuntimeError):  # bad URL, NUL in path, symlink loop
                return None
            inside = any(path.is_relative_to(root) for root in self.roots)
            return path if inside and path.is_file() else None

    return FolderFetcher


class PdfRenderer:
    """Renders Letters to PDF bytes; create once (fonts, CSS, layout), render many."""

    def __init__(self, template_folder: str | Path, pdf_variant: str | None = None,
                 layout: Path | None = None, stylesheet: Path | None = None) -> None:
        """`layout` is the template's own HTML layout and `stylesheet` its CSS, applied after
        the package's (None: the package's layout, no extra CSS); both inside its folder."""
        from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader, StrictUndefined
        from jinja2.sandbox import SandboxedEnvironment
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        _quiet_weasyprint()
        self.template_folder = Path(template_folder).resolve()
        self.pdf_variant = pdf_variant  # e.g. "pdf/a-2b"; None for a plain PDF
        self.fetcher = _fetcher_class()([self.template_folder, ASSETS])
        self.font_config = FontConfiguration()
        self.css = [CSS(filename=str(sheet), font_config=self.font_config, url_fetcher=self.fetcher)
                    for sheet in (ASSETS / STYLESHEET, stylesheet) if sheet is not None]
        package = FileSystemLoader(str(ASSETS))
        # An own layout is read from the template's folder and may extend the package's as
        # "paquete/oficio.html.j2"; it runs sandboxed, as every text of a template does.
        loader = ChoiceLoader([FileSystemLoader(str(self.template_folder)),
                               PrefixLoader({"paquete": package})]) if layout else package
        env = SandboxedEnvironment(loader=loader, autoescape=True, undefined=StrictUndefined,
                                   trim_blocks=False)
        env.globals["qr_svg"] = _qr_svg
        self.layout = env.get_template(layout.name if layout else LAYOUT)
        self.env = env
        self._layers: dict[str, object] = {}  # composition stylesheets, loaded when first used

    def html(self, letter: Letter) -> str:
        """The letter as the HTML document WeasyPrint lays out."""
        from jinja2 import TemplateError as JinjaError

        try:
            return self.layout.render(letter=letter)
        except JinjaError as exc:  # only a template's own layout can fail here
            raise TemplateError(f"{type(exc).__name__}: {exc}", file=self.layout.filename,
                                line=getattr(exc, "lineno", None),
                                hint=_("fix the template's own layout")) from None

    def document(self, letter: Letter, **options):
        """The laid-out WeasyPrint document of one letter (pages, bookmarks, metadata)."""
        from weasyprint import HTML
        from weasyprint.urls import FatalURLFetchingError

        html = HTML(string=self.html(letter), base_url=str(self.template_folder),
                    url_fetcher=self.fetcher)
        try:
            return html.render(stylesheets=self.css, font_config=self.font_config, **options)
        except FatalURLFetchingError as exc:
            raise TemplateError(f"{exc.__cause__ or exc}", file=self.template_folder,
                                hint=_("reference only files inside the template folder")) from None

    def render(self, letter: Letter) -> bytes:
        """The PDF file of one letter."""
        return self.document(letter).write_pdf(pdf_variant=self.pdf_variant)

    # Composition (see compose.py): a letter's page is drawn from layers, each the letter's
    # layout with a stylesheet added that hides what the other layers draw, so everything
    # lands where the whole letter has it: the heading (shared), the letter's own A block and
    # margins, then the body and foot (shared by the letters of the same shape).

    def shared_layers(self, letter: Letter) -> SharedLayers:
        """The layers that the letters sharing this one's shape draw alike, and its shape."""
        document = self._lay_out(self.html(letter), "oficio-compartido.css")
        root = document.pages[0]._page_box.children[0]
        addressee = _boxes_of(document.pages[0], "parte")[-1]
        below = document.write_pdf(pdf_variant=self.pdf_variant)
        heading = self._lay_out(self.html(letter), "oficio-membrete.css").write_pdf()
        return SharedLayers(heading, below, len(document.pages),
                            addressee.position_y - root.content_box_y(), addressee.margin_height())

    def own_layers(self, letters: Sequence[Letter], tops: Sequence[float]) -> tuple[bytes, list[float]]:
        """Two pages per letter (see assets/oficio-capas.html.j2) with its A block `tops[i]`
        below the top of the page's content, and the height of each A block as laid out."""
        html = self.env.get_template("oficio-capas.html.j2").render(letters=letters, tops=tops)
        document = self._lay_out(html, "oficio-capas.css")
        if len(document.pages) != 2 * len(letters):
            raise LayoutError("a letter's A block does not fit on its first page")
        heights = []
        for page in document.pages[::2]:
            boxes = _boxes_of(page, "parte")
            if len(boxes) != 1:
                raise LayoutError("a letter's A block does not fit on its first page")
            heights.append(boxes[0].margin_height())
        return document.write_pdf(), heights

    # Stamping (compose.StampedLayers): the lines of the letters' own layers laid out alone, one
    # after another on one page, and drawn where the letter of their shape has them. Laying
    # out a line alone costs WeasyPrint a tenth of laying out a page with margins around it.

    def stamp_plan(self, letter: Letter, top: float) -> StampPlan | None:
        """Where each line of this letter's own layers is drawn, and in which style; None when
        its layers hold anything the stamps cannot redraw exactly (then they are laid out)."""
        html = self.env.get_template("oficio-capas.html.j2").render(letters=[letter], tops=[top])
        document = self._lay_out(html, "oficio-capas.css")
        if len(document.pages) != 2 or not all(letter.addressee.lines) or not letter.verification:
            return None
        texts = stamp_texts(letter)
        stamps = []
        for number, page in enumerate(document.pages):
            lines = 0
            for place, box, container, label in _visible_text(page._page_box):
                kind = {"parte": "label" if label else "line", "@bottom-left": "code",
                        "@top-right": "head"}.get(place)
                if kind not in (("label", "line", "code"), ("head", "code"))[number]:
                    return None
                if kind == "line":
                    if lines >= len(texts["lines"]):
                        return None
                    expected = texts["lines"][lines]
                else:
                    expected = texts[kind]
                css, color, right = _stamp_style(box, container)
                if css is None or _collapsed(box.text) != _collapsed(expected):
                    return None
                # The widest it may be without wrapping: its block's width, or for a margin's
                # text the page's (a margin box's width follows what it holds).
                area = page._page_box if place.startswith("@") else container
                room = area.content_box_x() + area.width - (
                    area.content_box_x() if right else box.position_x)
                stamps.append(Stamp(number, kind, lines if kind == "line" else 0, box.position_x,
                                    box.position_y + box.baseline, box.width, room, right, css,
                                    color))
                lines += kind == "line"
            if number == 0 and lines != len(letter.addressee.lines):
                return None
        box = document.pages[0]._page_box
        return StampPlan(tuple(stamps), (box.margin_width() * 0.75, box.margin_height() * 0.75),
                         len(letter.addressee.lines), document.write_pdf())

    def stamp_lines(self, lines: Sequence[tuple[str, str]], lang: str) -> tuple[bytes, list[float]] | None:
        """The PDF of one page with each (css, text) line laid out alone, in order, and each
        line's width; None if a line did not stay one line of one text."""
        from markupsafe import escape

        styles = {css: f"s{number}" for number, css in enumerate(dict.fromkeys(css for css, _ in lines))}
        rules = "".join(f"p.{name} {{ {css} }}\n" for css, name in styles.items())
        body = "".join(f'<p class="{styles[css]}">{escape(text)}</p>' for css, text in lines)
        document = self._lay_out(f'<!DOCTYPE html><html lang="{escape(lang)}"><head>'
                                 f'<meta charset="utf-8"><style>{rules}</style></head>'
                                 f'<body>{body}</body></html>', "oficio-sellos.css")
        if len(document.pages) != 1:
            return None
        widths = []
        for _place, box, _container, _label in _visible_text(document.pages[0]._page_box):
            if len(widths) >= len(lines) or _collapsed(box.text) != _collapsed(lines[len(widths)][1]):
                return None
            widths.append(box.width)
        if len(widths) != len(lines):
            return None
        return document.write_pdf(), widths

    def _lay_out(self, html: str, layer: str):
        from weasyprint import CSS, HTML
        from weasyprint.urls import FatalURLFetchingError

        if layer not in self._layers:
            self._layers[layer] = CSS(filename=str(ASSETS / layer), font_config=self.font_config,
                                      url_fetcher=self.fetcher)
        document = HTML(string=html, base_url=str(self.template_folder), url_fetcher=self.fetcher)
        try:
            return document.render(stylesheets=[*self.css, self._layers[layer]],
                                   font_config=self.font_config)
        except FatalURLFetchingError as exc:
            raise TemplateError(f"{exc.__cause__ or exc}", file=self.template_folder,
                                hint=_("reference only files inside the template folder")) from None


class LayoutError(Exception):
    """A letter cannot be composed from layers; the caller renders it whole instead."""


@dataclass(frozen=True)
class SharedLayers:
    """What the letters of one shape share: the heading's layer (one page), the layer below
    (the body and foot, every page), its page count, and where the A block starts (from the
    top of the page's content) and how tall it is, in CSS pixels."""

    heading: bytes
    below: bytes
    pages: int
    addressee_top: float
    addressee_height: float


@dataclass(frozen=True)
class Stamp:
    """One line of a letter's own layers as the letter of its shape has it: on its first page
    (0) or its later pages (1); what it is ("label", "line" of the A block, "code", "head");
    where its text starts (x) and its baseline (y), in CSS pixels; its width; how wide it may
    be without wrapping (`room`); whether it is aligned right (then its x moves with its
    width); its style as CSS, and its colour (sRGB)."""

    page: int
    kind: str
    index: int
    x: float
    y: float
    width: float
    room: float
    right: bool
    css: str
    color: tuple[float, float, float]


@dataclass(frozen=True)
class StampPlan:
    """The lines of a shape's own layers (see PdfRenderer.stamp_plan), the page's size in
    points, how many lines its A block has, and the own layers of the shape's letter laid out
    in full, which compose checks the stamps against before using them."""

    stamps: tuple[Stamp, ...]
    page_size: tuple[float, float]
    lines: int
    laid_out: bytes


def stamp_texts(letter: Letter) -> dict:
    """The texts of a letter's own layers by kind (lines of the A block under "lines")."""
    return {"label": f"{letter.addressee.label} :", "lines": letter.addressee.lines,
            "code": _code_text(letter), "head": _head_text(letter)}


def _code_text(letter: Letter) -> str:
    return f"Código de verificación: {letter.verification}"  # as oficio-capas.html.j2 writes it


def _head_text(letter: Letter) -> str:
    return f"{letter.number} — {letter.recipient_name}"  # as oficio.css's @top-right shows it


def _collapsed(text: str) -> str:
    return " ".join(text.split())


def _visible_text(page_box):
    """(place, text box, block that lays it out, inside the A block's label) of every visible
    text on a laid-out page, in document order; place is the margin box's at-keyword, or the
    class of the paragraph."""
    from weasyprint.formatting_structure import boxes

    stack = [(page_box, "", None, False)]
    while stack:
        box, place, container, label = stack.pop()
        if isinstance(box, boxes.MarginBox):
            place, container = box.at_keyword, box
        elif isinstance(box, boxes.BlockContainerBox) and box.element is not None \
                and box.element_tag == "p":
            place, container = box.element.get("class") or "p", box
        if isinstance(box, (boxes.InlineBlockBox, boxes.InlineBox)) and box.element is not None \
                and box.element.get("class") == "etiqueta":
            label = True
        if isinstance(box, boxes.TextBox):
            if box.style["visibility"] == "visible":
                yield place, box, container, label
            continue
        stack.extend((child, place, container, label)
                     for child in reversed(getattr(box, "children", ())))


# The text properties a stamp carries; any other left at its initial value, or no stamp.
_PLAIN = {"letter_spacing": "normal", "word_spacing": 0, "text_transform": "none",
          "font_kerning": "auto", "font_feature_settings": "normal",
          "font_variation_settings": "normal", "font_variant_ligatures": "normal",
          "font_variant_position": "normal", "font_variant_caps": "normal",
          "font_variant_numeric": "normal", "font_variant_east_asian": "normal",
          "font_variant_alternates": "normal", "font_language_override": "normal",
          "direction": "ltr"}
_GENERIC = {"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui"}


def _stamp_style(box, container) -> tuple[str | None, tuple, bool]:
    """The CSS that lays out the text box's text alone as it is here, its colour and whether
    its line is aligned right; (None, (), False) if a stamp cannot reproduce it."""
    style = box.style
    if any(style[name] != value for name, value in _PLAIN.items()) \
            or style["text_decoration_line"] not in ("none", (), None, frozenset()):
        return None, (), False
    align = container.style["text_align_all"]
    if align not in ("start", "left", "right", "end"):
        return None, (), False
    color = style["color"]
    *channels, alpha = color
    if color.space != "srgb" or alpha != 1:
        return None, (), False
    families = ", ".join(name if name in _GENERIC else '"' + name.replace('"', "") + '"'
                         for name in style["font_family"])
    css = (f"font-family: {families}; font-size: {style['font_size']!r}px; "
           f"font-weight: {style['font_weight']}; font-style: {style['font_style']}; "
           f"font-stretch: {style['font_stretch']}")
    return css, tuple(color.to("srgb").coordinates), align in ("right", "end")


def _boxes_of(page, css_class: str) -> list:
    """The boxes of the elements with this class on a laid-out page, in document order."""
    found, stack = [], [page._page_box]
    while stack:
        box = stack.pop()
        element = getattr(box, "element", None)
        if element is not None and element.get("class") == css_class and box.element_tag in ("p", "div"):
            found.append(box)
            continue
        stack.extend(reversed(getattr(box, "children", ())))
    return found


def render_nomina(context: dict) -> bytes:
    """A section of the nómina de distribución as PDF/A-2b (see assets/nomina.html.j2)."""
    from weasyprint import HTML

    fetcher, fonts, css, layout = _nomina_tools()
    return HTML(string=layout.render(context), base_url=str(ASSETS), url_fetcher=fetcher).write_pdf(
        stylesheets=[css], font_config=fonts, pdf_variant="pdf/a-2b")


@functools.lru_cache(maxsize=1)
def _nomina_tools():
    """The nómina's fetcher, fonts, CSS and compiled layout, made once per process (they were
    a third of the time of rendering a section)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    _quiet_weasyprint()
    fetcher = _fetcher_class()([ASSETS])
    fonts = FontConfiguration()
    css = CSS(filename=str(ASSETS / "nomina.css"), font_config=fonts, url_fetcher=fetcher)
    env = Environment(loader=FileSystemLoader(str(ASSETS)), autoescape=True,
                      undefined=StrictUndefined)
    # Let go of the fonts before the interpreter tears its modules down: WeasyPrint's clean-up
    # of a FontConfiguration fails then, and says so on stderr.
    atexit.register(_nomina_tools.cache_clear)
    return fetcher, fonts, css, env.get_template("nomina.html.j2")


def _qr_svg(letter: Letter):
    from markupsafe import Markup

    from oficios.qr import qr_svg

    return Markup(qr_svg(letter))  # segno's markup: a path, no text from the letter


def _quiet_weasyprint() -> None:
    # WeasyPrint logs progress at INFO and CSS it ignores at WARNING; our CSS is known, so
    # only its errors matter to a user.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("weasyprint.progress").setLevel(logging.ERROR)
