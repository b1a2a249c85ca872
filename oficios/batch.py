"""Rendering a batch: chunks of merged letters spread over worker processes.

The main process merges every letter once to validate the whole roster before anything is
written, keeping none, then merges them again a chunk at a time as it hands chunks to the
workers (`render` takes a generator); workers only render, write and hash. Each worker
loads the template, fonts, CSS and the prepared DOCX once per run settings, so memory stays
flat however long the roster is. The main process receives, in roster order, what was
written. Any `concurrent.futures.Executor` can run the chunks: the local process pool made
here, or one the caller keeps warm between batches (a web server).
"""

from __future__ import annotations

import concurrent.futures as cf
import gc
import hashlib
import itertools
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from oficios.letter import Letter
from oficios.output import OutputLayout, write_atomic

CHUNK = 8  # letters per task when each is rendered whole: smooth progress, cheap tasks
COMPOSED_CHUNK = 24  # composing shares each chunk's layout of headings: larger chunks pay
IN_FLIGHT_PER_WORKER = 2  # tasks queued ahead per worker; bounds memory in the main process
# Imported once by the fork server, so every worker starts with them already loaded. Our
# modules import their libraries lazily (`oficios --help` stays instant), so the libraries are
# named too: importing WeasyPrint alone takes ~0.6 s of CPU, which each worker paid again.
PRELOAD = ["oficios.render_pdf", "oficios.render_docx", "oficios.compose", "oficios.formats",
           "weasyprint", "weasyprint.text.fonts", "pikepdf", "docx", "jinja2.sandbox"]


@dataclass(frozen=True)
class Written:
    """One letter as written: its recipient, code, and per format the file, SHA-256 and size.

    `detail` is the value of the template's detail column, shown beside the recipient in the
    nómina (e.g. its region; "" when the template names none).
    """

    key: str
    name: str
    row: int
    detail: str
    code: str
    files: dict[str, tuple[Path, str, int]]
    numero: str = ""  # the number the letter printed


@dataclass(frozen=True)
class Item:
    """A merged letter and what the register and nómina need of its roster row."""

    letter: Letter
    row: int
    detail: str = ""


@dataclass(frozen=True)
class Settings:
    """What a worker needs to know about a run; sent with every chunk (it is small)."""

    template: Path
    formats: tuple[str, ...]
    layout: OutputLayout
    kind: str | None = None
    pdfa: bool = False
    compose: bool = False
    signer: object | None = None  # signing.SignerSpec: each worker loads the key once; None: unsigned


class Worker:
    """One process's renderers for one run's settings, loaded once and used for many letters."""

    def __init__(self, settings: Settings) -> None:
        from oficios import formats
        from oficios.template import OficioTemplate

        self.settings = settings
        options = formats.Options(OficioTemplate(settings.template), pdfa=settings.pdfa,
                                  compose=settings.compose)
        self.formats = [formats.get(name) for name in settings.formats]
        self.renderers = {fmt.name: fmt.renderer(options) for fmt in self.formats}
        self.signer = settings.signer.load() if settings.signer is not None else None

    def render(self, letters: Sequence[Letter]) -> list[dict[str, bytes]]:
        """Each letter's finished files' bytes by format (rendered, then its steps applied and,
        for a PDF, signed): what is hashed and written."""
        files: list[dict[str, bytes]] = [{} for _ in letters]
        for fmt in self.formats:
            for letter, data, out in zip(letters, self.renderers[fmt.name].render_all(letters),
                                         files, strict=True):
                for step in fmt.steps:
                    data = step(letter, data)
                if fmt.name == "pdf" and self.signer is not None:
                    data = self.signer.sign(data, letter.signature)
                out[fmt.name] = data
        return files

    def run(self, items: Sequence[Item]) -> list[Written]:
        """Renders, writes and hashes each letter in every format."""
        rendered = self.render([item.letter for item in items])
        return [written(item, {fmt: (write_atomic(self.settings.layout.path(
                    item.letter, fmt, self.settings.kind), data),
                    hashlib.sha256(data).hexdigest(), len(data)) for fmt, data in files.items()})
                for item, files in zip(items, rendered, strict=True)]


def written(item: Item, files: dict[str, tuple[Path, str, int]]) -> Written:
    """What the register and the nómina keep of a letter whose files are written."""
    letter = item.letter
    return Written(letter.key, letter.recipient_name, item.row, item.detail, letter.verification,
                   files, letter.number)


_workers: dict[Settings, Worker] = {}  # this process's renderers, by run


def _worker(settings: Settings) -> Worker:
    if settings not in _workers:
        _workers.clear()  # one run at a time per process: the last run's renderers go
        _workers[settings] = Worker(settings)
        # Fonts, styles and templates live as long as the run: keep the collector off them.
        gc.freeze()
    return _workers[settings]


def _ignore_interrupts() -> None:
    # Ctrl-C reaches the whole process group; only the main process decides what to do.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _warm(settings: Settings) -> None:
    """Loads a worker's renderers ahead of its first chunk."""
    _worker(settings)


def _run_chunk(settings: Settings, items: Sequence[Item]) -> list[Written]:
    return _worker(settings).run(items)


def default_workers() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def process_pool(workers: int) -> cf.ProcessPoolExecutor:
    """A pool of worker processes for batches, which a caller may keep and pass to many
    `WorkerPool`s (and so to `pipeline.generate(..., executor=...)`); the caller shuts it down.
    """
    from oficios.errors import OficiosError
    from oficios.i18n import gettext as _

    if getattr(multiprocessing.current_process(), "_inheriting", False):
        # A worker process is importing the caller's script, which starts a batch again.
        raise OficiosError(
            _("oficios was asked to start a batch while one of its worker processes was "
              "starting"),
            hint=_("a script that calls oficios.generate must do it under "
                   "`if __name__ == \"__main__\":` (worker processes import the script)"))
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return cf.ProcessPoolExecutor(workers, mp_context=context, initializer=_ignore_interrupts)


class WorkerPool:
    """The processes that render one batch; in-process when one worker is enough.

    Entering starts the workers (or uses the `executor` given, which is left running), and
    they load their renderers while the caller validates the roster; `render` then hands
    them the letters.
    """

    def __init__(self, settings: Settings, workers: int, letters: int,
                 executor: cf.Executor | None = None) -> None:
        self.settings = settings
        self.chunk = COMPOSED_CHUNK if settings.compose else CHUNK
        self.workers = max(1, min(workers, -(-letters // CHUNK)))
        self._own = executor is None
        self._pool: cf.Executor | None = executor
        self._starting: threading.Thread | None = None
        self._failed: BaseException | None = None

    def __enter__(self) -> WorkerPool:
        if self._pool is None and self.workers > 1:
            # Starting the processes waits for the fork server to import WeasyPrint (~0.6 s):
            # done in a thread, so the caller validates the roster meanwhile.
            self._pool = process_pool(self.workers)
            self._starting = threading.Thread(target=self._start, name="oficios-workers",
                                              daemon=True)
            self._starting.start()
        elif self._pool is not None:
            self._start()
        return self

    def _start(self) -> None:
        try:
            for _ in range(self.workers):
                self._pool.submit(_warm, self.settings)
        except BaseException as exc:  # said where the pool is next used
            self._failed = exc

    def _started(self) -> cf.Executor | None:
        """The pool once its processes have started (re-raising what stopped them)."""
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        if self._failed is not None:
            failed, self._failed = self._failed, None
            raise failed
        return self._pool

    def __exit__(self, *exc_info) -> None:
        if self._starting is not None:
            self._starting.join()
        if self._pool is not None and self._own:
            # Interrupted or failed: drop what has not started, let running chunks finish
            # their current files (each is written atomically), and stop the workers.
            self._pool.shutdown(wait=True, cancel_futures=True)

    def use(self, settings: Settings) -> None:
        """Renders with these settings from now on (decided once the letters are merged)."""
        self.settings = settings
        self.chunk = COMPOSED_CHUNK if settings.compose else CHUNK

    def submit(self, function: Callable, *args) -> cf.Future:
        """Runs a module-level function in a worker (here, without a pool); its Future."""
        if self._started() is not None:
            return self._pool.submit(function, *args)
        future: cf.Future = cf.Future()
        future.set_result(function(*args))
        return future

    def render(self, items: Iterable[Item], on_done: Callable[[int], None] | None = None,
               count: int | None = None) -> Iterator[Written]:
        """Each letter as written, in roster order; `on_done(n)` hears of progress.

        `items` may be a generator: it is read a chunk at a time, as chunks are handed to the
        workers, so only the letters in flight are in memory. `count` is how many there are
        (len(items) when not given; it only spreads a short batch over every worker).
        """
        size = self.chunk
        if self._started() is not None and not self.settings.compose:
            # Every worker gets work, even in a short batch. Not when composing: a letter's
            # own layer shares its fonts with its chunk, and its bytes must not depend on
            # the number of workers.
            total = len(items) if count is None else count
            size = max(1, min(size, -(-total // self.workers)))
        chunks = chunked(items, size)
        if self._pool is None:
            yield from _in_process(self.settings, chunks, on_done)
        else:
            yield from _in_pool(self._pool, self.settings, self.workers, chunks, on_done)


def chunked(items: Iterable, size: int) -> Iterator[list]:
    """Consecutive lists of `size` items (the last may be shorter), read as they are asked for."""
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _in_process(settings: Settings, chunks: Iterable[list], on_done) -> Iterator[Written]:
    worker = Worker(settings)
    for chunk in chunks:
        written = worker.run(chunk)
        if on_done:
            on_done(len(written))
        yield from written


def _in_pool(pool: cf.Executor, settings: Settings, workers: int, chunks: Iterator[list],
             on_done) -> Iterator[Written]:
    pending: dict[cf.Future, int] = {}
    finished: dict[int, list[Written]] = {}
    next_to_submit = next_to_yield = 0
    try:
        while True:
            while len(pending) < workers * IN_FLIGHT_PER_WORKER:
                chunk = next(chunks, None)
                if chunk is None:
                    break
                pending[pool.submit(_run_chunk, settings, chunk)] = next_to_submit
                next_to_submit += 1
            if not pending:  # every chunk submitted has been handed on
                break
            done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for future in done:
                index = pending.pop(future)
                finished[index] = _result(future)
                if on_done:
                    on_done(len(finished[index]))
            # Results come back in any order; they are handed on in roster order.
            while next_to_yield in finished:
                yield from finished.pop(next_to_yield)
                next_to_yield += 1
    finally:
        for future in pending:
            future.cancel()


def _result(future: cf.Future) -> list[Written]:
    from concurrent.futures.process import BrokenProcessPool

    from oficios.errors import OficiosError

    try:
        return future.result()
    except BrokenProcessPool:
        from oficios.i18n import gettext as _

        raise OficiosError(
            _("a worker process stopped abruptly (it was killed, ran out of memory, or could not "
              "start)"), hint=_("if a script of yours calls oficios.generate, do it under "
                                "`if __name__ == \"__main__\":` (worker processes import the "
                                "script)")) from None
