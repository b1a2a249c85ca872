"""The stages in order: roster + template -> merged letters -> renderers -> files.

`generate` is the one function that runs the whole job; the CLI, the bench and the tests
call it. Everything is validated before the first file is written.
"""

from __future__ import annotations

import contextlib
import os
import time
from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from oficios.letter import Letter
from oficios.merge import merge_all, validate_all
from oficios.output import FORMATS, OutputLayout, remove_partial_files
from oficios.packed import PackedTexts
from oficios.roster import Roster, load_roster
from oficios.template import OficioTemplate


@dataclass(frozen=True)
class Job:
    """What to generate: template folder, roster file, output root, formats, chosen keys.

    `only` is None to render every recipient; `workers` None uses every core. The combined
    PDF (the PDF/A archive copy, with the nómina) is made only for a whole roster, so a
    partial run never replaces it. `register` None finds the register by `register.locate`
    (environment, settings file, else the output root);
    `pdfa` writes each letter as PDF/A-2b too; `qr` adds a QR code of the verification code;
    `command` is recorded in the register.
    """

    template: Path | str
    roster: Path | str
    output: Path | str | None = None  # None: a job that only reads (load, check)
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
    exact: bool = False  # render every PDF whole instead of composing it from shared layers
    # (template name, roster header) pairs from --map, e.g. (("region", "REGIÓN_NOMBRE"),).
    column_map: tuple[tuple[str, str], ...] = ()
    sheet: str | None = None  # the workbook's sheet to read; None: the first
    # signing.SignerSpec: sign every letter PDF and the archive copy; None: unsigned.
    signer: object | None = None
    # A Dask scheduler's address (tcp://HOST:8786) to render on instead of local processes.
    cluster: str | None = None
    # The public verification site the QR codes point to (oficios serve's /verificar); "": none.
    verify_url: str = ""

    def __post_init__(self) -> None:
        # Paths may be given as text (a script's "output/envio"); the job holds Paths.
        for name in ("template", "roster", "output", "register"):
            if isinstance(value := getattr(self, name), str):
                object.__setattr__(self, name, Path(value))

    def register_location(self):
        """Where the register is and how that was decided (`oficios.register.locate`)."""
        from oficios.register import locate

        return locate(self.register, self.output)

    def register_path(self) -> Path:
        """Where the register is: the given file, $OFICIOS_REGISTER, the settings file's, or
        the one in the output root."""
        return self.register_location().path


class Files(Sequence):
    """One format's files of a run, in roster order, each with its SHA-256 (`sha256(i)`).

    Packed: each file's name as UTF-8 in one buffer (`packed.PackedTexts`), its folder once (a
    run writes a format's files into one folder), its SHA-256 as 32 bytes; ≈ 70 bytes a file,
    where a Path would cost ≈ 0.5 KB and a path as text ≈ 0.15 KB. Indexing gives a Path.
    """

    def __init__(self) -> None:
        self._folders: list[str] = []  # each distinct folder once
        self._folder_index: dict[str, int] = {}
        self._folder_of = array("I")
        self._names = PackedTexts()
        self._digests = bytearray()  # 32 bytes per file

    def append(self, path: Path, sha256: str) -> None:
        path = Path(path)
        folder = str(path.parent)
        if (index := self._folder_index.get(folder)) is None:
            index = self._folder_index[folder] = len(self._folders)
            self._folders.append(folder)
        self._folder_of.append(index)
        self._names.append(path.name)
        self._digests += bytes.fromhex(sha256)

    def sha256(self, index: int) -> str:
        index = range(len(self))[index]
        return self._digests[32 * index:32 * index + 32].hex()

    def text(self, index: int) -> str:
        """The index-th file's path as text."""
        return os.path.join(self._folders[self._folder_of[index]], self._names[index])

    def __len__(self) -> int:
        return len(self._names)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [Path(self.text(i)) for i in range(len(self))[index]]
        return Path(self.text(range(len(self))[index]))

    def __repr__(self) -> str:
        return f"Files({list(self)!r})"


class _Hashes(Mapping):
    """Result.sha256: each file's SHA-256 by its path, read from the run's `Files`."""

    def __init__(self, files: dict[str, Files]) -> None:
        self.files = files

    def _where(self) -> dict[str, tuple[Files, int]]:
        return {files.text(index): (files, index) for files in self.files.values()
                for index in range(len(files))}

    def __getitem__(self, path: Path) -> str:
        files, index = self._where()[str(path)]
        return files.sha256(index)

    def __iter__(self) -> Iterator[Path]:
        return (path for files in self.files.values() for path in files)

    def __len__(self) -> int:
        return sum(len(files) for files in self.files.values())


@dataclass
class Result:
    """What a run produced: letters, files by format (roster order), hashes, where, how long.

    `combined` is None when no combined PDF was made. `sha256` maps each file to its SHA-256.
    """

    letters: int
    folder: Path
    files: dict[str, Files] = field(default_factory=dict)
    combined: Path | None = None
    seconds: float = 0.0
    batch: object | None = None  # register.Batch; None when nothing was registered
    register: Path | None = None
    composition: object | None = None  # compose.Plan: how the PDFs were made; None without PDFs

    @property
    def sha256(self) -> Mapping[Path, str]:
        return _Hashes(self.files)


class Progress(Protocol):
    """Told how many letters a run will make, then how many more are done."""

    def start(self, total: int) -> None: ...

    def advance(self, count: int) -> None: ...


def _read(job: Job, template: OficioTemplate | None = None) -> tuple[OficioTemplate, Roster, int]:
    """The template (read unless given), the roster read as it needs, the roster's size."""
    template = template or OficioTemplate(job.template)
    # Every column the template reads needs a value, except optional ones and the gender
    # (empty means the neutral forms).
    optional = set(template.optional_columns) | {template.gender_column}
    required = (set(template.required_variables()) | {template.name_column}) - optional
    roster = load_roster(job.roster, key_column=template.key_column, required=required,
                         optional=optional, column_map=dict(job.column_map),
                         key_digits=template.key_digits, max_value=template.max_value,
                         max_word=template.max_word, sheet=job.sheet)
    total = len(roster)
    if job.only:
        roster = roster.only(list(job.only), template.key_column, template.key_digits)
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


def generate(job: Job, progress: Progress | None = None, kind: str | None = None,
             executor=None) -> Result:
    """Runs the whole job: validate everything, register the batch, render and write every
    file, then the archive copy, nómina, manifest and distribution copies.

    `progress` (None for no report) hears how far the batch is; `kind` writes into a
    sub-folder of that name and registers nothing (the preview uses it). Rendering uses
    worker processes: `executor` (a `concurrent.futures.Executor`, e.g. from
    `batch.process_pool`) runs them on a pool the caller keeps; None starts one for this job.
    A script calling this without an executor must guard its entry point with
    `if __name__ == "__main__":`, as multiprocessing requires (it is told so otherwise).
    """
    import dataclasses
    import itertools

    from oficios.batch import Settings
    from oficios.output import exclusive_folder, make_folder

    if job.output is None:
        raise ValueError("Job.output is needed to generate: the folder letters are written to")
    started = time.perf_counter()
    template, roster, total = _read(job)
    layout = OutputLayout.for_template(job.output, template.slug)
    signing = _signer(job, template, kind)  # the key is checked before anything is written
    # Workers start loading their renderers now, composing unless it is clear they will not.
    settings = Settings(template.folder, job.formats, layout, kind, pdfa=job.pdfa,
                        compose=not (job.exact or job.qr or kind) and len(roster) > 1,
                        signer=signing)
    result = Result(letters=len(roster), folder=layout.folder,
                    files={fmt: Files() for fmt in job.formats})
    archiving = job.combined and "pdf" in job.formats and not job.only and kind is None
    with contextlib.ExitStack() as stack:
        register = stack.enter_context(_register(job, kind))
        if register:
            # Whatever this run writes and fails to record is removed once the workers have
            # stopped (they finish the chunk in hand), before the register closes.
            stack.push(lambda failure, *_: register.remove_unrecorded(layout, failure))
        pool = stack.enter_context(_executor(job, settings, len(roster), executor))
        # Every letter is merged now, while the workers start, so that nothing is written
        # unless every row is valid; of each, only its shape is kept, for the plan.
        shapes = _Shapes(job, registered=register is not None, draft=kind is not None) \
            if "pdf" in job.formats else None
        numbered = register is not None and template.numbering is not None
        validate_all(template, roster, each=None if shapes is None or numbered else shapes.add)
        make_folder(layout.folder)
        if kind is None:  # a preview writes only into its own sub-folder
            stack.enter_context(exclusive_folder(layout.folder, job.command))
        batch = register.open(template, roster, layout, total) if register else None
        if register:
            register.supersede(batch, [r[template.key_column] for r in roster.recipients],
                               layout, archiving)
            if template.numbering is not None:
                # The letters print the numbers the register reserved: merged again.
                roster = register.number(template, roster, batch)
                validate_all(template, roster, each=shapes and shapes.add)
        if shapes is not None:
            # A preview is one draft letter: rendered whole, as the letter it stands for.
            result.composition = shapes.plan(template, exact=job.exact or kind is not None)
            pool.use(dataclasses.replace(settings, compose=result.composition.compose))
        remove_partial_files(layout.folder)
        if progress:
            progress.start(len(roster))
        count, nomina = 0, _Nomina(template, batch, pool, len(roster))
        # The letters are merged again as the workers take them, a chunk at a time, so the
        # coordinator's memory does not grow with the roster. Letters this batch already
        # issued keep their files: rendered again they could differ by a byte (fonts are
        # shared within a chunk), and the copy already sent would no longer verify. A file
        # that is missing or was changed is written again.
        entries = _entries(_items(job, template, roster, batch, draft=kind is not None),
                           register, batch)
        # Read twice: ahead by the workers' window to render (past the letters kept, which
        # wait here as what was written of them), and here in roster order.
        ahead, in_order = itertools.tee(entries)
        rendered = pool.render((item for item, _kept in ahead if item is not None),
                               progress.advance if progress else None, count=len(roster))
        with _combined(layout, template, archiving) as combined:
            for _item, kept in in_order:
                item = kept or next(rendered)
                if kept and progress:
                    progress.advance(1)
                count += 1  # a count, not a list: memory stays flat however long the roster
                for fmt, (path, sha256, _size) in item.files.items():
                    result.files[fmt].append(path, sha256)
                if combined:
                    combined.add(item.files["pdf"][0], f"{item.key} {item.name}")
                    nomina.add(item)
                if register and not kept:
                    register.record(batch, item)
            if register:
                register.flush(batch)
            if combined:
                for number, section in enumerate(nomina.sections()):
                    combined.add(section, None if number else "Nómina de distribución")
        if register:
            result.batch = batch = register.close(batch)
            result.register = register.path
            if archiving:
                result.combined = layout.combined_pdf
                if signing is not None:  # before its hash goes into the register and manifest
                    with signing.load() as signer:
                        signer.sign_file(layout.combined_pdf)
                register.record_copy(batch, "archivo", layout.combined_pdf, count)
            if batch.motivo_reemision and "pdf" in job.formats:
                register.write_supplement(template, layout, batch)
            _write_records(template, layout, register.db, batch, archiving)
    result.seconds = time.perf_counter() - started
    return result


def _items(job: Job, template: OficioTemplate, roster: Roster, batch,
           draft: bool = False) -> Iterator:
    """Each recipient's letter as the workers get it, merged as it is asked for: with its
    verification code, and one shared copy of each recent distinct body (a batch's letters
    usually have one). `draft` marks them as previews (BORRADOR on every page, no code)."""
    from oficios.batch import Item
    from oficios.merge import Merger
    from oficios.register import verification_code

    merger = Merger(template)
    oficio = template.text("oficio", "numero")
    bodies: dict = {}
    for recipient in roster.recipients:
        letter = merger.merge(recipient, roster.path)
        code = verification_code(oficio, batch.version, letter.key) if batch else ""
        if len(bodies) > 64:  # bodies that differ from letter to letter are not kept
            bodies.clear()
        letter = _as_rendered(job, letter, code, draft,
                              body=bodies.setdefault(letter.body, letter.body),
                              closing=bodies.setdefault(letter.closing, letter.closing))
        detail = recipient.values.get(template.detail_column, "") if template.detail_column else ""
        yield Item(letter, recipient.row, detail)


def _entries(items: Iterator, register, batch) -> Iterator[tuple]:
    """Each letter as (the item to render, None), or as (None, its `Written`) when this batch
    already issued it and its files are intact (a rerun keeps them)."""
    for item in items:
        kept = register.issued(batch, item) if register else None
        yield (None, kept) if kept else (item, None)


def _as_rendered(job: Job, letter: Letter, code: str, draft: bool, **changes) -> Letter:
    """The merged letter with what the batch adds: its code (and QR), or the draft mark."""
    import dataclasses

    return dataclasses.replace(letter, verification=code, qr=job.qr and bool(code), draft=draft,
                               verify_url=job.verify_url if job.qr and code else "", **changes)


class _Shapes:
    """What compose.plan reads of a batch's letters, noted as each is merged to be
    validated: each letter's shared part (compose.shared_part), one object for each distinct
    part, so a letter leaves behind only a reference (a batch has a handful of parts)."""

    def __init__(self, job: Job, registered: bool, draft: bool) -> None:
        # Only whether a letter has a code changes its shared part: any code will do.
        self.job, self.code, self.draft = job, "x" if registered else "", draft
        self.distinct: dict[Letter, Letter] = {}
        self.parts: list[Letter] = []

    def add(self, letter: Letter) -> None:
        from oficios.compose import shared_part

        part = shared_part(_as_rendered(self.job, letter, self.code, self.draft))
        self.parts.append(self.distinct.setdefault(part, part))

    def plan(self, template: OficioTemplate, exact: bool):
        """compose.plan of the letters noted; forgets them."""
        from oficios.compose import plan

        parts, self.parts, self.distinct = self.parts, [], {}
        return plan(parts, template, exact=exact)


def _executor(job: Job, settings, letters: int, executor):
    """What renders the batch: the Dask cluster the job names, else local worker processes
    (on the caller's `executor` when given)."""
    if job.cluster:
        from oficios.cluster import ClusterPool

        return ClusterPool(job.cluster, settings)
    from oficios.batch import WorkerPool, default_workers

    return WorkerPool(settings, job.workers or default_workers(), letters, executor)


def _signer(job: Job, template: OficioTemplate, kind: str | None):
    """The signer description with the template's appearance, its key checked (opened and
    closed again: each worker opens its own); None when nothing is to be signed (a preview
    is a draft and is never signed)."""
    if job.signer is None or "pdf" not in job.formats or kind is not None:
        return None
    import dataclasses

    from oficios.signing import Appearance

    spec = dataclasses.replace(job.signer, appearance=Appearance.from_template(template))
    spec.load().close()
    return spec


class _Recorder:
    """Records a batch's letters in the register, a chunk per transaction."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.location = job.register_location()
        self.path = self.location.path
        self.db = None  # opened only once the roster is valid: a refused run leaves no file
        self.pending: list = []
        self.batch = None
        # The letters handed to the renderers and not yet recorded, by key, each with what
        # the register has of it (None if nothing): a few chunks' worth at any time, however
        # long the roster. Their files' paths are worked out only if the run fails.
        self.unrecorded: dict[str, tuple[Letter, dict | None]] = {}
        self.started_ns: int | None = None  # when this run began to write letters
        self.earlier: int | None = None  # how many letters this batch recorded before this run

    def open(self, template: OficioTemplate, roster: Roster, layout: OutputLayout, total: int):
        from oficios.archive import folder_sha256
        from oficios.output import sha256_file
        from oficios.register import Register

        # Created here if missing: generate is one of the two commands that may create it.
        # Opening checks the file (PRAGMA quick_check) before any letter is rendered.
        self.db = Register(self.path, create=True, how=self.location.how)
        self.batch = self.db.open_batch(
            oficio=template.text("oficio", "numero"), fecha=template.fecha.isoformat(),
            materia=template.text("oficio", "materia"),
            plantilla_sha256=folder_sha256(template.folder),
            nomina_sha256=sha256_file(roster.path), comando=self.job.command,
            carpeta=str(layout.folder), reissue=self.job.reissue, reason=self.job.reason,
            asked=[r[template.key_column] for r in roster.recipients], total=total)
        return self.batch

    def supersede(self, batch, keys: list[str], layout: OutputLayout, archiving: bool) -> None:
        """Moves what this run replaces out of the way, to superseded/v<N>/: the earlier
        versions' letters of the recipients it writes, and the archive copy of an earlier
        version when it writes a new one."""
        from oficios.archive import supersede_files

        supersede_files(self.db, batch, layout, keys, archiving)
        # Less a second: a file system may stamp a file with a clock a tick behind this one.
        self.started_ns = time.time_ns() - 1_000_000_000

    def number(self, template: OficioTemplate, roster: Roster, batch) -> Roster:
        """The roster with each recipient's `correlativo` from the register, when the
        template takes its number from there ([numeracion]); else as it is."""
        if template.numbering is None:
            return roster
        key = template.key_column
        numbers = self.db.reserve_for(batch, [r[key] for r in roster.recipients],
                                      template.numbering.series, template.fecha.year,
                                      template.numbering.unit)
        return roster.with_column("correlativo", {k: str(n) for k, n in numbers.items()}, key)

    def record(self, batch, item) -> None:
        self.pending.append((item.key, item.name, item.row, item.code, item.files,
                             item.numero, item.detail))
        if len(self.pending) >= 8:
            self.flush(batch)

    def flush(self, batch) -> None:
        if self.pending:
            self.db.record_letters(batch, self.pending)
            for entry in self.pending:
                self.unrecorded.pop(entry[0], None)
            self.pending.clear()

    def close(self, batch):
        return self.db.close_batch(batch)

    def record_copy(self, batch, tipo: str, path: Path, letters: int) -> None:
        from oficios.output import sha256_file

        self.db.record_copy(batch, tipo, path, sha256_file(path), path.stat().st_size, letters)

    def write_supplement(self, template: OficioTemplate, layout: OutputLayout, batch) -> None:
        from oficios.archive import write_supplement

        path, count = write_supplement(self.db, template, layout, batch)
        self.record_copy(batch, "suplemento", path, count)

    def issued(self, batch, item):
        """`item`'s letter as this batch already recorded it (a `Written`), when every one of
        its files is still there with the recorded SHA-256; None when it is to be rendered
        (its files are then noted as not yet recorded). Asked in roster order, once per
        letter."""
        from oficios.batch import written

        if self.earlier is None:
            self.earlier = self.db.letter_count(batch.id)
        # Looked up one at a time (the register's index on batch and key), not held.
        row = self.db.letter(batch.id, item.letter.key) if self.earlier else None
        kept = self._intact(row, item, self.job.formats)
        if kept is None:
            self.unrecorded[item.letter.key] = (item.letter, row)
            return None
        return written(item, kept)

    @staticmethod
    def _intact(row: dict | None, item, formats: tuple[str, ...]) -> dict | None:
        from oficios.output import sha256_file

        if row is None or row["codigo"] != item.letter.verification:
            return None
        files = {}
        for fmt in formats:
            path = Path(row.get(fmt) or "")
            if not row.get(fmt) or not path.is_file() or sha256_file(path) != row[f"{fmt}_sha256"]:
                return None
            files[fmt] = (path, row[f"{fmt}_sha256"], path.stat().st_size)
        return files

    def remove_unrecorded(self, layout: OutputLayout, failure: type | None) -> None:
        """Deletes the letter files this run wrote but could not record (the register failed):
        a letter that is in no register must not be left where it could be sent."""
        if self.started_ns is None:
            return
        from oficios.errors import OficiosError
        from oficios.register import RegisterError

        if self.pending and not (failure and issubclass(failure, RegisterError)):
            try:  # stopped by Ctrl-C or another error: what is finished is recorded
                self.flush(self.batch)
            except (OficiosError, KeyboardInterrupt):
                pass
        # What was handed out and not recorded, if this run wrote it: a letter not reached,
        # and a file that holds just what the register has for it, are left alone.
        from oficios.output import sha256_file

        for letter, row in self.unrecorded.values():
            for fmt in self.job.formats:
                path = layout.path(letter, fmt)
                recorded = row[f"{fmt}_sha256"] if row and row.get(fmt) == str(path) else None
                with contextlib.suppress(FileNotFoundError):
                    if path.stat().st_mtime_ns >= self.started_ns and (
                            recorded is None or sha256_file(path) != recorded):
                        path.unlink()


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

    # Rows per section: bounds the memory of a render, whatever the roster. Each section
    # begins a page, so they are long. The last can only start once the last letter is
    # written, and the batch waits for it: the rows before its last LAST go as a section of
    # their own (one more page break, for ~0.5 s less waiting at the end of the bundled batch).
    SECTION = 200
    LAST = 40

    def __init__(self, template: OficioTemplate, batch, pool, total: int) -> None:
        from oficios.merge import Merger

        self.pool, self.total, self.rows, self.futures = pool, total, [], []
        # Sections rendered before the last letter wait in a temporary file (unnamed: nothing
        # is left of it if the run stops), not in memory: ≈ 0.7 KB a row of PDF.
        self.spool = None
        self.spooled: list[tuple[int, int]] = []  # (offset, length) of each, in order
        self.context = dict(
            numero=template.text("oficio", "numero"), materia=template.text("oficio", "materia"),
            lugar_fecha=Merger(template).fecha, fecha=template.fecha,
            author=template.meta.get("oficio", {}).get("autor", ""),
            version=batch.version if batch else 1, key_label=template.key_column.upper())
        self.first = 1

    def add(self, item) -> None:
        from oficios.archive import nomina_rows

        self.rows += nomina_rows([item])
        left = self.total - (self.first + len(self.rows) - 1)
        if len(self.rows) == self.SECTION or (left == self.LAST and len(self.rows) > self.LAST):
            self._submit()
        while self.futures and self.futures[0].done():
            self._spool(self.futures.pop(0).result())

    def _spool(self, section: bytes) -> None:
        import tempfile

        if self.spool is None:
            self.spool = tempfile.TemporaryFile(prefix="oficios-nomina-")
        self.spool.seek(0, 2)
        self.spooled.append((self.spool.tell(), len(section)))
        self.spool.write(section)

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
        if self.rows or not (self.futures or self.spooled):
            self._submit()
        try:
            for offset, length in self.spooled:
                self.spool.seek(offset)
                yield self.spool.read(length)
            for future in self.futures:
                yield future.result()
        finally:
            if self.spool is not None:
                self.spool.close()


def _write_records(template: OficioTemplate, layout: OutputLayout, register, batch,
                   archiving: bool) -> None:
    from oficios.archive import distribution_copies, write_folder_records

    about = {"oficio": batch.oficio, "fecha": template.fecha.isoformat(),
             "materia": template.text("oficio", "materia"), "version": batch.version,
             "plantilla_sha256": batch.plantilla_sha256, "nomina_sha256": batch.nomina_sha256}
    write_folder_records(register, about, layout.folder, batch.oficio,
                         template.detail_column or "detalle")
    if archiving:
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
