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
    PDF (the PDF/A archive copy, with the nómina) is made only for a whole roster, so a
    partial run never replaces it. `register` None keeps the register in the output root;
    `pdfa` writes each letter as PDF/A-2b too; `qr` adds a QR code of the verification code;
    `command` is recorded in the register.
    """

    template: Path = DEFAULT_TEMPLATE
    roster: Path = DEFAULT_ROSTER
    output: Path = DEFAULT_OUTPUT
    formats: tuple[str, ...] = FORMATS
    only: tuple[str, ...] | None = None
    workers: int | None = None
    combined: bool = True
    register: Path | None = None
    reissue: bool = False
    reason: str = ""
    pdfa: bool = False
    qr: bool = False
    command: str = "oficios generate"
    # (template name, roster header) pairs from --map, e.g. (("region", "REGIÓN_NOMBRE"),).
    column_map: tuple[tuple[str, str], ...] = ()
    # A Dask scheduler's address (tcp://HOST:8786) to render on instead of local processes.
    cluster: str | None = None

    def register_path(self) -> Path:
        """Where the register is: the given file, or one in the output root."""
        from oficios.register import FILE_NAME

        return self.register if self.register is not None else self.output / FILE_NAME


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
    batch: object | None = None  # register.Batch; None when nothing was registered
    register: Path | None = None


class Progress(Protocol):
    """Told how many letters a run will make, then how many more are done."""

    def start(self, total: int) -> None: ...

    def advance(self, count: int) -> None: ...


def _read(job: Job) -> tuple[OficioTemplate, Roster, int]:
    template = OficioTemplate(job.template)
    # Every column the template reads needs a value, except optional ones and the gender
    # (empty means the neutral forms).
    optional = set(template.optional_columns) | {template.gender_column}
    required = (set(template.required_variables()) | {template.name_column}) - optional
    roster = load_roster(job.roster, key_column=template.key_column, required=required,
                         optional=optional, column_map=dict(job.column_map))
    total = len(roster)
    if job.only:
        roster = roster.only(list(job.only), template.key_column)
    return template, roster, total


def load(job: Job) -> tuple[OficioTemplate, Roster]:
    """The template and the (possibly restricted) roster, both validated; writes nothing."""
    template, roster, _total = _read(job)
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
    """Runs the whole job: validate everything, register the batch, render and write every
    file, then the archive copy, nómina, manifest and distribution copies.

    `progress` (None for no report) hears how far the batch is; `kind` writes into a
    sub-folder of that name and registers nothing (the preview uses it). Rendering uses
    worker processes: a script calling this must guard its entry point with
    `if __name__ == "__main__":`, as multiprocessing requires.
    """
    from oficios.batch import Settings, WorkerPool, default_workers

    started = time.perf_counter()
    template, roster, total = _read(job)
    layout = OutputLayout.for_template(job.output, template.slug)
    settings = Settings(template.folder, roster.path, job.formats, layout, kind,
                        oficio=template.text("oficio", "numero"), pdfa=job.pdfa, qr=job.qr)
    result = Result(letters=len(roster), folder=layout.folder,
                    files={fmt: [] for fmt in job.formats})
    archiving = job.combined and "pdf" in job.formats and not job.only and kind is None
    if job.cluster:
        from oficios.cluster import ClusterPool

        executor = ClusterPool(job.cluster, settings)
    else:
        executor = WorkerPool(settings, job.workers or default_workers(), len(roster))
    with executor as pool, _register(job, kind) as register:
        validate_all(template, roster)  # while the workers start; nothing is written before
        batch = register.open(template, roster, layout) if register else None
        remove_partial_files(layout.folder)
        if progress:
            progress.start(len(roster))
        written, nomina = [], _Nomina(template, batch, pool, len(roster))
        with _combined(layout, template, archiving) as combined:
            for item in pool.render(roster.recipients, batch.version if batch else None,
                                    progress.advance if progress else None):
                written.append(item)
                for fmt, (path, sha256, _size) in item.files.items():
                    result.files[fmt].append(path)
                    result.sha256[path] = sha256
                if combined:
                    combined.add(item.files["pdf"][0], f"{item.key} {item.name}")
                    nomina.add(item)
                if register:
                    register.record(batch, item)
            if register:
                register.flush(batch)
            if combined:
                for number, section in enumerate(nomina.sections()):
                    combined.add(section, None if number else "Nómina de distribución")
        if register:
            result.batch = register.close(batch, total)
            result.register = register.path
    if archiving:
        result.combined = layout.combined_pdf
        _write_records(template, layout, batch, written)
    result.seconds = time.perf_counter() - started
    return result


class _Recorder:
    """Records a batch's letters in the register, a chunk per transaction."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.path = job.register_path()
        self.db = None  # opened only once the roster is valid: a refused run leaves no file
        self.pending: list = []

    def open(self, template: OficioTemplate, roster: Roster, layout: OutputLayout):
        from oficios.archive import folder_sha256
        from oficios.output import sha256_file
        from oficios.register import Register

        self.db = Register(self.path)
        return self.db.open_batch(
            oficio=template.text("oficio", "numero"), fecha=template.fecha.isoformat(),
            materia=template.text("oficio", "materia"),
            plantilla_sha256=folder_sha256(template.folder),
            nomina_sha256=sha256_file(roster.path), comando=self.job.command,
            carpeta=str(layout.folder), reissue=self.job.reissue, reason=self.job.reason)

    def record(self, batch, item) -> None:
        self.pending.append((item.key, item.name, item.row, item.code, item.files))
        if len(self.pending) >= 8:
            self.flush(batch)

    def flush(self, batch) -> None:
        if self.pending:
            self.db.record_letters(batch, self.pending)
            self.pending.clear()

    def close(self, batch, expected: int):
        return self.db.close_batch(batch, expected)


@contextlib.contextmanager
def _register(job: Job, kind: str | None) -> Iterator[_Recorder | None]:
    if kind is not None:  # previews are not issued letters
        yield None
        return
    recorder = _Recorder(job)
    try:
        yield recorder
    finally:
        if recorder.db is not None:
            recorder.db.close()


class _Nomina:
    """The nómina's sections, rendered by the workers as soon as their letters are written."""

    SECTION = 200  # rows per section: bounds the memory of a render, whatever the roster

    def __init__(self, template: OficioTemplate, batch, pool, total: int) -> None:
        from oficios.merge import Merger

        self.pool, self.total, self.rows, self.futures = pool, total, [], []
        self.context = dict(
            numero=template.text("oficio", "numero"), materia=template.text("oficio", "materia"),
            lugar_fecha=Merger(template).fecha, fecha=template.fecha,
            author=template.meta.get("oficio", {}).get("autor", ""),
            version=batch.version if batch else 1, key_label=template.key_column.upper())
        self.first = 1

    def add(self, item) -> None:
        from oficios.archive import nomina_rows

        self.rows += nomina_rows([item])
        if len(self.rows) == self.SECTION:
            self._submit()

    def _submit(self) -> None:
        from oficios.render_pdf import render_nomina

        last = self.first + len(self.rows) - 1 == self.total
        self.futures.append(self.pool.submit(
            render_nomina, dict(self.context, rows=self.rows, first=self.first,
                                total=self.total if last else 0)))
        self.first += len(self.rows)
        self.rows = []

    def sections(self) -> Iterator[bytes]:
        """Each section's PDF, in order, once every letter has been added."""
        if self.rows or not self.futures:
            self._submit()
        for future in self.futures:
            yield future.result()


def _write_records(template: OficioTemplate, layout: OutputLayout, batch, written: list) -> None:
    from oficios.archive import distribution_copies, write_manifest, write_nomina_csv

    nomina = write_nomina_csv(layout.folder / "nomina.csv", written)
    about = {"oficio": template.text("oficio", "numero"),
             "fecha": template.fecha.isoformat(),
             "materia": template.text("oficio", "materia"),
             "version": batch.version if batch else None,
             "plantilla_sha256": batch.plantilla_sha256 if batch else None,
             "nomina_sha256": batch.nomina_sha256 if batch else None,
             "cartas": len(written),
             "copia_de_archivo": layout.combined_pdf.name,
             "formato_copia_de_archivo": "PDF/A-2b"}
    write_manifest(layout.folder, about, written, [layout.combined_pdf, nomina])
    distribution_copies(layout.folder, template.lines("distribucion"), layout.combined_pdf)


@contextlib.contextmanager
def _combined(layout: OutputLayout, template: OficioTemplate, wanted: bool) -> Iterator:
    if not wanted:
        yield None
        return
    from oficios.combine import ArchiveInfo, CombinedPdf

    title = template.text("oficio", "numero")
    archive = ArchiveInfo(title=title, subject=template.text("oficio", "materia"),
                          author=template.meta.get("oficio", {}).get("autor", ""),
                          date=template.fecha)
    with CombinedPdf(layout.combined_pdf, title, archive) as combined:
        yield combined
