"""The stages in order: roster + template -> merged letters -> renderers -> files.

`generate` is the one function that runs the whole job; the CLI and the tests call it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from oficios.errors import OficiosError
from oficios.letter import Letter
from oficios.merge import merge_all
from oficios.output import FORMATS, OutputLayout, remove_partial_files, write_atomic
from oficios.roster import Roster, load_roster
from oficios.template import OficioTemplate

DEFAULT_TEMPLATE = Path("templates/mideplan-01-A-264")
DEFAULT_ROSTER = Path("recipients/municipalidades.csv")
DEFAULT_OUTPUT = Path("output")


@dataclass(frozen=True)
class Job:
    """What to generate: template folder, roster file, output root, formats, chosen keys.

    `only` is None to render every recipient of the roster.
    """

    template: Path = DEFAULT_TEMPLATE
    roster: Path = DEFAULT_ROSTER
    output: Path = DEFAULT_OUTPUT
    formats: tuple[str, ...] = FORMATS
    only: tuple[str, ...] | None = None


@dataclass
class Result:
    """What a run produced: how many letters, which files, where, and how long it took."""

    letters: int
    folder: Path
    files: dict[str, list[Path]] = field(default_factory=dict)
    seconds: float = 0.0


class Progress(Protocol):
    """Told how many letters a run will make, then each letter as its files are written."""

    def start(self, total: int) -> None: ...

    def advance(self, letter: Letter) -> None: ...


def prepare(job: Job) -> tuple[OficioTemplate, Roster, list[Letter]]:
    """Loads and validates everything and merges every letter; writes nothing."""
    template = OficioTemplate(job.template)
    roster = load_roster(job.roster, key_column=template.key_column)
    if job.only:
        roster = roster.only(list(job.only), template.key_column)
    letters = merge_all(template, roster)
    return template, roster, letters


def check(template_folder: Path, roster_file: Path) -> tuple[OficioTemplate, Roster]:
    """Checks that the roster gives what the template needs, for every row; renders nothing."""
    template = OficioTemplate(template_folder)
    roster = load_roster(roster_file, key_column=template.key_column)
    merge_all(template, roster)
    return template, roster


def render(letters: Iterable[Letter], template: OficioTemplate,
           formats: Iterable[str]) -> Iterator[tuple[Letter, dict[str, bytes]]]:
    """Each letter with its files' bytes by format."""
    renderers = {fmt: _renderer(fmt, template) for fmt in formats}
    for letter in letters:
        yield letter, {fmt: r.render(letter) for fmt, r in renderers.items()}


def _renderer(fmt: str, template: OficioTemplate):
    # Imported here so that `oficios --help` and `check` never load WeasyPrint or python-docx.
    if fmt == "pdf":
        from oficios.render_pdf import PdfRenderer

        return PdfRenderer(template.folder)
    if fmt == "docx":
        from oficios.render_docx import DocxRenderer

        return DocxRenderer()
    raise OficiosError(f"unknown format '{fmt}'", hint=f"use one of: {', '.join(FORMATS)}")


def generate(job: Job, progress: Progress | None = None, kind: str | None = None) -> Result:
    """Runs the whole job: validate and merge everything, then render and write each file.

    `progress` (None for no report) hears of each letter as its files are written; `kind` writes into a
    sub-folder of that name instead of one per format (the preview uses it).
    """
    started = time.perf_counter()
    template, _roster, letters = prepare(job)
    layout = OutputLayout.for_template(job.output, template.slug)
    remove_partial_files(layout.folder)
    result = Result(letters=len(letters), folder=layout.folder,
                    files={fmt: [] for fmt in job.formats})
    if progress:
        progress.start(len(letters))
    for letter, files in render(letters, template, job.formats):
        for fmt, data in files.items():
            result.files[fmt].append(write_atomic(layout.path(letter, fmt, kind), data))
        if progress:
            progress.advance(letter)
    result.seconds = time.perf_counter() - started
    return result
