"""The output formats: one table, one entry per format, each entry one renderer module.

A renderer turns a chunk of merged Letters into one file's bytes each. `steps` are applied,
in order, to each letter's bytes after rendering and before they are hashed and written:
the place for work on finished files (e.g. signing a PDF). A new format (a signed PDF, an
e-mail) is one module and one `register` call here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from oficios.letter import Letter

Step = Callable[[Letter, bytes], bytes]


class Renderer(Protocol):
    """Made once per worker process; renders many chunks of letters."""

    def render_all(self, letters: Sequence[Letter]) -> list[bytes]: ...


@dataclass(frozen=True)
class Options:
    """What renderers may need to know about a run (sent to every worker)."""

    template: object  # oficios.template.OficioTemplate
    pdfa: bool = False
    compose: bool = False  # PDFs from shared layers (compose.py); False renders each whole


@dataclass(frozen=True)
class Format:
    """An output format: its name (also the file suffix and folder), how to make its renderer,
    and the steps applied to each file's bytes."""

    name: str
    renderer: Callable[[Options], Renderer]
    steps: tuple[Step, ...] = ()


FORMATS: dict[str, Format] = {}


def register(fmt: Format) -> None:
    """Adds (or replaces) a format in the table."""
    FORMATS[fmt.name] = fmt


def get(name: str) -> Format:
    """The format called `name`; KeyError if there is none."""
    return FORMATS[name]


class _Each:
    """A renderer of one letter at a time, as a renderer of chunks."""

    def __init__(self, renderer) -> None:
        self.renderer = renderer

    def render_all(self, letters: Sequence[Letter]) -> list[bytes]:
        return [self.renderer.render(letter) for letter in letters]


def _pdf(options: Options) -> Renderer:
    from oficios.render_pdf import PdfRenderer

    template = options.template
    renderer = PdfRenderer(template.folder, pdf_variant="pdf/a-2b" if options.pdfa else None,
                           layout=template.layout_html, stylesheet=template.layout_css)
    # Composition knows the package's layout only: a template's own layout is rendered whole.
    if options.compose and template.layout_html is None:
        from oficios.compose import ComposingRenderer

        return ComposingRenderer(renderer)
    return _Each(renderer)


def _docx(options: Options) -> Renderer:
    from oficios.render_docx import DocxRenderer

    return _Each(DocxRenderer(styles=options.template.docx_styles))


register(Format("pdf", _pdf))
register(Format("docx", _docx))
