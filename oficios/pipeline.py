"""The stages in order: roster + template -> merged letters -> renderers -> files.

`generate` is the one function that runs the whole job; the CLI, the bench and the tests
call it. Everything is validated before the first file is written.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from oficios.letter import Letter
from oficios.merge import merge_all, validate_all
from oficios.output import FORMATS, OutputLayout, remove_partial_files
from oficios.roster import Roster, load_roster
from oficios.template import OficioTemplate

DEFAULT_TEMPLATE = Path("templates/mideplan-01-A-264")
DEFAULT_ROSTER = Path("recipients/municipalidades.csv")
DEFAULT_OUTPUT = Path("output")


@dataclass(frozen=True)
class Job:
    """What to generate: template folder, roster file, output root, formats, chosen keys.

    `only` is None to render every recipient; `workers` None uses every core. The combined
    PDF is made only for a whole roster, so a partial run never replaces it.
    """

    template: Path = DEFAULT_TEMPLATE
    roster: Path = DEFAULT_ROSTER
    output: Path = DEFAULT_OUTPUT
    formats: tuple[str, ...] = FORMATS
    only: tuple[str, ...] | None = None
    workers: int | None = None
    combined: bool = True


@dataclass
class Result:
    """What a run produced: letters, files by format (roster order), hashes, where, how long.

    `combined` is None when no combined PDF was made.
    """

    letters: int
    folder: Path
    files: dict[str, list[Path]] = field(default_factory=dict)
    sha256: dict[Path, str] = field(default_factory=dict)
    combined: Path | None = None
    seconds: float = 0.0


class Progress(Protocol):
    """Told how many letters a run will make, then how many more are done."""

    def start(self, total: int) -> None: ...

    def advance(self, count: int) -> None: ...


def _read(job: Job) -> tuple[OficioTemplate, Roster]:
    template = OficioTemplate(job.template)
    roster = load_roster(job.roster, key_column=template.key_column)
    if job.only:
        roster = roster.only(list(job.only), template.key_column)
    return template, roster


def load(job: Job) -> tuple[OficioTemplate, Roster]:
    """The template and the (possibly restricted) roster, both validated; writes nothing."""
    template, roster = _read(job)
    validate_all(template, roster)
    return template, roster


def check(template_folder: Path, roster_file: Path) -> tuple[OficioTemplate, Roster]:
    """Checks that the roster gives what the template needs, for every row; renders nothing."""
    return load(Job(template=template_folder, roster=roster_file))


def letters(job: Job) -> list[Letter]:
    """Every merged letter of a job, in roster order (for callers that render themselves)."""
    template, roster = load(job)
    return merge_all(template, roster)


def generate(job: Job, progress: Progress | None = None, kind: str | None = None) -> Result:
    """Runs the whole job: validate everything, then render and write every file.

    `progress` (None for no report) hears how far the batch is; `kind` writes into a
    sub-folder of that name instead of one per format (the preview uses it). Rendering
    uses worker processes: a script calling this must guard its entry point with
    `if __name__ == "__main__":`, as multiprocessing requires.
    """
    from oficios.batch import Settings, WorkerPool, default_workers

    started = time.perf_counter()
    template, roster = _read(job)
    layout = OutputLayout.for_template(job.output, template.slug)
    settings = Settings(template.folder, roster.path, job.formats, layout, kind)
    result = Result(letters=len(roster), folder=layout.folder,
                    files={fmt: [] for fmt in job.formats})
    want_combined = job.combined and "pdf" in job.formats and not job.only and kind is None
    with WorkerPool(settings, job.workers or default_workers(), len(roster)) as pool:
        validate_all(template, roster)  # while the workers start; nothing is written before
        remove_partial_files(layout.folder)
        if progress:
            progress.start(len(roster))
        with _combined(layout, template, want_combined) as combined:
            for written in pool.render(roster.recipients, progress.advance if progress else None):
                for fmt, (path, sha256, _size) in written.files.items():
                    result.files[fmt].append(path)
                    result.sha256[path] = sha256
                if combined:
                    combined.add(written.files["pdf"][0], f"{written.key} {written.name}")
    result.combined = layout.combined_pdf if want_combined else None
    result.seconds = time.perf_counter() - started
    return result


@contextlib.contextmanager
def _combined(layout: OutputLayout, template: OficioTemplate, wanted: bool) -> Iterator:
    if not wanted:
        yield None
        return
    from oficios.combine import CombinedPdf

    title = template.text("oficio", "numero")
    with CombinedPdf(layout.combined_pdf, title) as combined:
        yield combined

