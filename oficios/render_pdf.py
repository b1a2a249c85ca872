"""The PDF renderer: Letter -> HTML (Jinja layout) -> PDF (WeasyPrint).

The only module that imports weasyprint. Fonts and CSS are loaded once per renderer and
shared by every letter; WeasyPrint may fetch only files inside the template folder and the
package's assets, so nothing in a template or roster can reach the network or other files.
"""

from __future__ import annotations

import logging
import warnings
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
    """Whether WeasyPrint found libharfbuzz-subset (without it, PDFs are ~2.5x slower to write)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from weasyprint.text.ffi import harfbuzz_subset
    return harfbuzz_subset is not None


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
    from jinja2 import Environment, FileSystemLoader, StrictUndefined
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    _quiet_weasyprint()
    fetcher = _fetcher_class()([ASSETS])
    fonts = FontConfiguration()
    css = CSS(filename=str(ASSETS / "nomina.css"), font_config=fonts, url_fetcher=fetcher)
    env = Environment(loader=FileSystemLoader(str(ASSETS)), autoescape=True,
                      undefined=StrictUndefined)
    html = env.get_template("nomina.html.j2").render(context)
    return HTML(string=html, base_url=str(ASSETS), url_fetcher=fetcher).write_pdf(
        stylesheets=[css], font_config=fonts, pdf_variant="pdf/a-2b")


def _qr_svg(letter: Letter):
    from markupsafe import Markup

    from oficios.qr import qr_svg

    return Markup(qr_svg(letter))  # segno's markup: a path, no text from the letter


def _quiet_weasyprint() -> None:
    # WeasyPrint logs progress at INFO and CSS it ignores at WARNING; our CSS is known, so
    # only its errors matter to a user.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("weasyprint.progress").setLevel(logging.ERROR)
