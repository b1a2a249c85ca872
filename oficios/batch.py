"""Rendering a batch: chunks of recipients spread over worker processes.

Each worker loads the template, fonts, CSS and the prepared DOCX once, then merges, renders
and writes whole chunks of letters, so memory stays flat however long the roster is. The
main process only hands out chunks and receives, in roster order, what was written.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import gc
import hashlib
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from oficios.output import OutputLayout, write_atomic
from oficios.register import verification_code
from oficios.roster import Recipient

CHUNK = 8  # letters per task: small enough for smooth progress, large enough to be cheap
IN_FLIGHT_PER_WORKER = 3  # tasks queued ahead per worker; bounds memory in the main process
# Imported once by the fork server, so every worker starts with them already loaded.
PRELOAD = ["oficios.render_pdf", "oficios.render_docx", "oficios.merge"]


@dataclass(frozen=True)
class Written:
    """One letter as written: its recipient, code, and per format the file, SHA-256 and size.

    `region` is the recipient's region ("" if the roster has none), for the nómina.
    """

    key: str
    name: str
    row: int
    region: str
    code: str
    files: dict[str, tuple[Path, str, int]]


@dataclass(frozen=True)
class Settings:
    """What every worker needs to know, sent once when it starts."""

    template: Path
    roster: Path
    formats: tuple[str, ...]
    layout: OutputLayout
    kind: str | None = None
    oficio: str = ""
    pdfa: bool = False
    qr: bool = False
    signer: object | None = None  # signing.SignerSpec: each worker loads the key once; None: unsigned


class Worker:
    """One process's template, merger and renderers, loaded once and used for many letters."""

    def __init__(self, settings: Settings) -> None:
        from oficios.merge import Merger
        from oficios.template import OficioTemplate

        self.settings = settings
        template = OficioTemplate(settings.template)
        self.merger = Merger(template)
        self.renderers = {fmt: _renderer(fmt, template, settings.pdfa)
                          for fmt in settings.formats}
        self.signer = settings.signer.load() if settings.signer is not None else None

    def run(self, recipients: Sequence[Recipient], version: int | None) -> list[Written]:
        """Merges, renders and writes each recipient's letter in every format.

        `version` is the issue's version in the register; None for unregistered letters.
        """
        done = []
        for recipient in recipients:
            code = "" if version is None else verification_code(
                self.settings.oficio, version, recipient[self.merger.template.key_column])
            letter = self.merger.merge(recipient, self.settings.roster, verification=code)
            if self.settings.qr and code:
                letter = dataclasses.replace(letter, qr=True)
            files = {}
            for fmt, renderer in self.renderers.items():
                data = renderer.render(letter)
                if fmt == "pdf" and self.signer is not None:  # hashed and written signed
                    data = self.signer.sign(data, letter.firma)
                path = write_atomic(self.settings.layout.path(letter, fmt, self.settings.kind), data)
                files[fmt] = (path, hashlib.sha256(data).hexdigest(), len(data))
            done.append(Written(letter.key, letter.recipient_name, recipient.row,
                                recipient.values.get("region", ""), code, files))
        return done


def _renderer(fmt: str, template, pdfa: bool):
    if fmt == "pdf":
        from oficios.render_pdf import PdfRenderer

        return PdfRenderer(template.folder, pdf_variant="pdf/a-2b" if pdfa else None)
    from oficios.render_docx import DocxRenderer

    return DocxRenderer()


_worker: Worker | None = None


def _start_worker(settings: Settings) -> None:
    global _worker
    # Ctrl-C reaches the whole process group; only the main process decides what to do.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker = Worker(settings)
    # Fonts, styles and templates live as long as the process: keep the collector off them.
    gc.freeze()


def _run_chunk(recipients: Sequence[Recipient], version: int | None) -> list[Written]:
    assert _worker is not None
    return _worker.run(recipients, version)


def default_workers() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _noop() -> None:
    """A task that makes the pool start a worker (and load its renderers) ahead of time."""


class WorkerPool:
    """The processes that render a batch; in-process when one worker is enough.

    Entering starts the workers, which load their renderers while the caller validates
    the roster; `render` then hands them the recipients.
    """

    def __init__(self, settings: Settings, workers: int, letters: int) -> None:
        self.settings = settings
        self.workers = max(1, min(workers, -(-letters // CHUNK)))
        self._pool: cf.ProcessPoolExecutor | None = None

    def __enter__(self) -> WorkerPool:
        if self.workers > 1:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(PRELOAD)
            self._pool = cf.ProcessPoolExecutor(self.workers, mp_context=context,
                                                initializer=_start_worker,
                                                initargs=(self.settings,))
            for _ in range(self.workers):
                self._pool.submit(_noop)
        return self

    def __exit__(self, *exc_info) -> None:
        if self._pool is not None:
            # Interrupted or failed: drop what has not started, let running chunks finish
            # their current files (each is written atomically), and stop the workers.
            self._pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, function: Callable, *args) -> cf.Future:
        """Runs a module-level function in a worker (here, without a pool); its Future."""
        if self._pool is not None:
            return self._pool.submit(function, *args)
        future: cf.Future = cf.Future()
        future.set_result(function(*args))
        return future

    def render(self, recipients: Sequence[Recipient], version: int | None = None,
               on_done: Callable[[int], None] | None = None) -> Iterator[Written]:
        """Each recipient's written letter, in roster order; `on_done(n)` hears of progress.

        `version` is the issue's version in the register (None: letters get no code).
        """
        chunks = [recipients[i:i + CHUNK] for i in range(0, len(recipients), CHUNK)]
        if self._pool is None:
            yield from _in_process(self.settings, chunks, version, on_done)
        else:
            yield from _in_pool(self._pool, self.workers, chunks, version, on_done)


def _in_process(settings: Settings, chunks: list, version, on_done) -> Iterator[Written]:
    worker = Worker(settings)
    for chunk in chunks:
        written = worker.run(chunk, version)
        if on_done:
            on_done(len(written))
        yield from written


def _in_pool(pool: cf.ProcessPoolExecutor, workers: int, chunks: list, version,
             on_done) -> Iterator[Written]:
    pending: dict[cf.Future, int] = {}
    finished: dict[int, list[Written]] = {}
    next_to_submit = next_to_yield = 0
    try:
        while next_to_yield < len(chunks):
            while next_to_submit < len(chunks) and len(pending) < workers * IN_FLIGHT_PER_WORKER:
                pending[pool.submit(_run_chunk, chunks[next_to_submit], version)] = next_to_submit
                next_to_submit += 1
            done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for future in done:
                index = pending.pop(future)
                finished[index] = future.result()
                if on_done:
                    on_done(len(finished[index]))
            # Results come back in any order; they are handed on in roster order.
            while next_to_yield in finished:
                yield from finished.pop(next_to_yield)
                next_to_yield += 1
    finally:
        for future in pending:
            future.cancel()
