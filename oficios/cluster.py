"""Rendering a batch on a Dask cluster: the only module that imports dask / distributed.

`ClusterPool` is shaped like `batch.WorkerPool` (a context manager with `render` and
`submit`), so `pipeline.generate` runs the same batch with either. Workers need only the
installed package: each task carries a chunk of merged letters, the template folder's files
(a few KB) and the facts every worker must share with this process; a worker renders the
letters with `batch.Worker.render` (the local pool's own code) and returns their bytes and
SHA-256, never a path on its own disk. This process, the
coordinator, writes each file atomically, registers it and builds the archive copy as for a
local batch, holding at most a window of chunks in memory however long the roster is.

Faults: a worker that dies mid-batch has its chunks recomputed by Dask (rendering is
deterministic, and the coordinator records a letter only once it is written); a scheduler that
goes away stops the batch with a ClusterError and leaves it 'incompleto' in the register, as a
local crash would; a worker whose oficios, rendering libraries or package assets differ from
the coordinator's is refused before it renders anything.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import platform
import tempfile
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from oficios.batch import CHUNK, COMPOSED_CHUNK, IN_FLIGHT_PER_WORKER, Item, Settings, Written
from oficios.errors import OficiosError
from oficios.i18n import N_, gettext as _
from oficios.output import write_atomic

CONNECT_TIMEOUT = 20  # seconds to reach the scheduler and for its first worker to appear
# Libraries whose version changes the bytes of a letter (layout, fonts, compression).
RENDERING_LIBRARIES = ("weasyprint", "pydyf", "tinycss2", "tinyhtml5", "cssselect2", "fonttools",
                       "pillow", "pyphen", "python-docx", "lxml", "jinja2", "markdown-it-py",
                       "babel", "segno", "pikepdf")
# Facts that only inform (shown by cluster-check) and do not change a letter's bytes.
INFORMATIVE = ("python", "fuentes_del_sistema", "carpeta_plantilla", "perfilador")
# Dask's statistical profiler samples each worker's stack every 10 ms and keeps an hour of it:
# with WeasyPrint's deep stacks it costs CPU and memory that grows for that hour.
PROFILER_OFF = "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False"


class ClusterError(OficiosError):
    """The cluster cannot run the batch: unreachable, gone mid-batch, or a worker differs."""

    exit_code = 10


@dataclass(frozen=True)
class TemplateFiles:
    """A template folder carried to the workers: its files by relative path, and its hash."""

    files: tuple[tuple[str, bytes], ...]
    sha256: str

    @classmethod
    def read(cls, folder: Path) -> TemplateFiles:
        from oficios.archive import folder_sha256

        files = tuple((p.relative_to(folder).as_posix(), p.read_bytes())
                      for p in sorted(folder.rglob("*")) if p.is_file())
        return cls(files, folder_sha256(folder))

    def install(self, check: bool = True) -> Path:
        """The template as a folder on this machine, written once per hash; with `check`, a
        ClusterError if the folder there holds something else."""
        from oficios.archive import folder_sha256

        folder = Path(tempfile.gettempdir()) / "oficios-plantillas" / self.sha256
        if not folder.is_dir():
            folder.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{self.sha256[:12]}.", dir=folder.parent))
            for name, data in self.files:
                target = (staging / name).resolve()
                if not target.is_relative_to(staging.resolve()):
                    raise ClusterError(_("the template brings a file outside its folder: {name}")
                                       .format(name=name))
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            try:
                staging.rename(folder)
            except OSError:  # another worker process on this machine installed it first
                import shutil

                shutil.rmtree(staging, ignore_errors=True)
        if check and folder_sha256(folder) != self.sha256:
            raise ClusterError(_("the copy of the template in {folder} does not match the "
                                 "coordinator's").format(folder=folder),
                               hint=_("delete that folder on the worker"))
        return folder


def worker_facts() -> dict[str, str]:
    """What a machine would render with: oficios, the rendering libraries, the package's
    assets (layout, CSS, fonts), HarfBuzz subsetting, Pango, zlib; and, only to inform,
    Python, the worker's threads and the system's fonts."""
    from importlib import metadata

    import oficios
    from oficios.archive import folder_sha256
    from oficios.render_pdf import ASSETS, harfbuzz_subset_available

    facts = {"oficios": oficios.__version__}
    for name in RENDERING_LIBRARIES:
        try:
            facts[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            facts[name] = "ausente"
    facts["recursos"] = folder_sha256(Path(ASSETS))[:16]
    facts["harfbuzz_subset"] = "sí" if harfbuzz_subset_available() else "no"
    facts["pango"] = _pango_version()
    facts["zlib"] = zlib.ZLIB_RUNTIME_VERSION
    facts["python"] = platform.python_version()
    facts["fuentes_del_sistema"] = _system_fonts()
    facts["perfilador"] = _profiler()
    return facts


def _profiler() -> str:
    import dask

    return "activo" if dask.config.get("distributed.worker.profile.enabled", True) else "apagado"


def _pango_version() -> str:
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            from weasyprint.text.ffi import pango
        number = pango.pango_version()
    except (ImportError, OSError, AttributeError):
        return "ausente"
    return f"{number // 10000}.{number // 100 % 100}.{number % 100}"


def _system_fonts() -> str:
    """How many font families fontconfig knows ('fc-list ausente' without fontconfig)."""
    import subprocess

    try:
        found = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True,
                               timeout=30, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "fc-list ausente"
    return f"{len(set(found.splitlines()))} familias"


def prepare(template: TemplateFiles) -> dict[str, str]:
    """Run on every worker when a batch starts (and by a worker's first task): its facts, and
    the hash of the template folder it will render from, once installed."""
    from oficios.archive import folder_sha256

    facts = worker_facts()
    folder = template.install(check=False)
    facts["plantilla"] = folder_sha256(folder)[:16]
    facts["carpeta_plantilla"] = str(folder)
    return facts


def differences(expected: dict[str, str], facts: dict[str, str]) -> list[str]:
    """What a worker has that would change a letter's bytes, in Spanish ('' for nothing)."""
    found = [_("{name} {found} (the coordinator has {value})").format(
                 name=name, found=fact_text(facts.get(name, "ausente")), value=fact_text(value))
             for name, value in expected.items()
             if name not in INFORMATIVE and facts.get(name) != value]
    if "plantilla" in expected and facts.get("plantilla") not in (None, expected["plantilla"]):
        found.append(_("its copy of the template, {folder}, was modified: delete it so that it "
                       "receives the coordinator's").format(folder=facts.get("carpeta_plantilla")))
    return found


def fact_text(value: str) -> str:
    """A fact as a person reads it: the words machines report (Spanish, the same on every
    machine so that facts compare) in the user's language; versions and hashes as they are."""
    from oficios.i18n import ngettext

    words = {"sí": _("yes"), "no": _("no"), "ausente": _("absent"),
             "fc-list ausente": _("fc-list absent"), "activo": _("active"), "apagado": _("off")}
    if value in words:
        return words[value]
    count, _space, unit = value.partition(" ")
    if unit == "familias" and count.isdigit():
        return ngettext("{count} family", "{count} families", int(count)).format(count=count)
    return value


@dataclass(frozen=True)
class Rendered:
    """One letter as a worker returns it: per format the bytes and their SHA-256 (no path:
    the worker may be another machine)."""

    files: dict[str, tuple[bytes, str]]


class _Renderer:
    """A worker process's renderers for one batch, loaded once per thread, reading the
    template from its copy on this machine."""

    def __init__(self, settings: Settings, template: TemplateFiles) -> None:
        from oficios.batch import Worker

        self.coordinator_folder = settings.template
        self.folder = template.install()
        self.worker = Worker(dataclasses.replace(settings, template=self.folder))

    def run(self, items: Sequence[Item]) -> list[Rendered]:
        letters = [self._here(item.letter) for item in items]
        return [Rendered({fmt: (data, hashlib.sha256(data).hexdigest())
                          for fmt, data in files.items()})
                for files in self.worker.render(letters)]

    def _here(self, letter):
        """The letter with its logo read from this machine's copy of the template."""
        if letter.logo is None:
            return letter
        return dataclasses.replace(
            letter, logo=self.folder / Path(letter.logo).relative_to(self.coordinator_folder))


_local = threading.local()  # per worker thread: {(template hash, settings): _Renderer}
_refused: dict[str, list[str]] = {}  # expected facts' digest -> this worker's differences


def render_chunk(settings: Settings, template: TemplateFiles, expected: dict[str, str],
                 chunk: Sequence[Item]) -> list[Rendered]:
    """The unit of work on a worker: a chunk of merged letters -> their rendered files.

    Refuses (ClusterError) before rendering anything when this worker's facts or template
    differ from the coordinator's `expected` ones, so a worker that joins mid-batch is checked.
    """
    _check_worker(expected, template)
    renderers = getattr(_local, "renderers", None)
    if renderers is None:
        renderers = _local.renderers = {}
    key = (template.sha256, settings)
    if key not in renderers:
        renderers.clear()  # one batch at a time per thread: do not keep old templates alive
        renderers[key] = _Renderer(settings, template)
    return renderers[key].run(chunk)


def _check_worker(expected: dict[str, str], template: TemplateFiles) -> None:
    digest = hashlib.sha256(repr(sorted(expected.items())).encode()).hexdigest()
    if digest not in _refused:
        _refused[digest] = differences(expected, prepare(template))
    if _refused[digest]:
        raise ClusterError(_("the worker {address} cannot generate this batch: {reasons}").format(
                               address=_worker_address(), reasons="; ".join(_refused[digest])),
                           hint=_("install on it the same version of oficios and its libraries"))


def _worker_address() -> str:
    from distributed import get_worker

    try:
        return get_worker().address
    except ValueError:
        return platform.node()


class ClusterPool:
    """The Dask cluster at `address` rendering a batch; enter it to connect and check it.

    Entering connects, waits for at least one worker and checks every worker's facts
    against this process's; a worker that differs stops the batch before anything renders.
    """

    def __init__(self, address: str, settings: Settings) -> None:
        self.address = address
        self.settings = settings
        self.template = TemplateFiles.read(settings.template)
        self.expected = dict(worker_facts(), plantilla=self.template.sha256[:16])
        self.client = None
        self.window = 1
        self._quiet = _QuietDistributed()

    def __enter__(self) -> ClusterPool:
        self._quiet.__enter__()
        try:
            self.client = _connect(self.address)
            self.window = max(1, sum(self.client.nthreads().values())) * IN_FLIGHT_PER_WORKER
            check_workers(self.client, self.expected, self.template)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            if self.client is not None:
                self.client.close(timeout=5)
        except (OSError, TimeoutError):
            pass  # the scheduler is already gone: nothing left to close
        finally:
            self.client = None
            self._quiet.__exit__()

    def use(self, settings: Settings) -> None:
        """Renders with these settings from now on (decided once the letters are merged)."""
        self.settings = settings

    def submit(self, function: Callable, *args) -> _Future:
        """Runs a module-level function on a worker; its future (`.result()` waits)."""
        return _Future(self, self.client.submit(function, *args, pure=False))

    def render(self, items: Iterable[Item], on_done: Callable[[int], None] | None = None,
               count: int | None = None) -> Iterator[Written]:
        """Each letter as written, in roster order; `on_done(n)` hears of progress.

        Workers render; this process writes each file as its chunk arrives (so a chunk's
        bytes are dropped at once) and hands the letters on in roster order. Chunks are cut
        as the local pool cuts them, so composed letters have the same bytes. `items` may be
        a generator, read a chunk at a time as chunks are submitted (`count` is not needed:
        every chunk has the full size).
        """
        from distributed import as_completed

        from oficios.batch import chunked

        chunks = chunked(items, COMPOSED_CHUNK if self.settings.compose else CHUNK)
        pending: dict = {}  # future -> (index, its chunk's items)
        finished: dict[int, list[Written]] = {}
        next_to_submit = next_to_yield = 0
        arrived = as_completed(loop=self.client.loop)

        def fill() -> None:
            nonlocal next_to_submit
            # Bounded twice: chunks in flight, and how far ahead of the oldest unfinished one.
            while len(pending) < self.window and next_to_submit < next_to_yield + 4 * self.window:
                chunk = next(chunks, None)
                if chunk is None:
                    return
                future = self.client.submit(render_chunk, self.settings, self.template,
                                            self.expected, chunk, pure=False)
                pending[future] = (next_to_submit, chunk)
                arrived.add(future)
                next_to_submit += 1

        try:
            fill()
            while pending:
                future = next(arrived)
                index, chunk = pending.pop(future)
                rendered = self._result(future)
                future.release()
                finished[index] = [self._write(item, done)
                                   for item, done in zip(chunk, rendered, strict=True)]
                del rendered, chunk
                if on_done:
                    on_done(len(finished[index]))
                while next_to_yield in finished:
                    yield from finished.pop(next_to_yield)
                    next_to_yield += 1
                fill()
        finally:
            if pending and self.client is not None and self.client.status == "running":
                self.client.cancel(list(pending))

    def _result(self, future):
        from distributed.client import FutureCancelledError
        from distributed.scheduler import KilledWorker

        try:
            return future.result()
        except FutureCancelledError as exc:
            raise ClusterError(
                _("the connection to the scheduler {address} was lost in the middle of the batch "
                  "({reason}); it is a fault of the cluster, not of the roster or the "
                  "template").format(address=self.address,
                                     reason=getattr(exc, "reason", None) or _("cancelled")),
                hint=_(RERUN)) from None
        except KilledWorker as exc:
            raise ClusterError(
                _("a task of the batch brought down the workers of the cluster {address} several "
                  "times ({reason}); it is a fault of the cluster (memory, a stopped "
                  "process)").format(address=self.address, reason=exc),
                hint=_("check the workers' logs; ") + _(RERUN)) from None

    def _write(self, item: Item, rendered: Rendered) -> Written:
        from oficios.batch import written

        layout, kind = self.settings.layout, self.settings.kind
        files = {}
        for fmt, (data, sha256) in rendered.files.items():
            if hashlib.sha256(data).hexdigest() != sha256:
                raise ClusterError(_("the letter {key} ({format}) arrived damaged from the "
                                     "cluster").format(key=item.letter.key, format=fmt),
                                   hint=_("run the same command again"))
            files[fmt] = (write_atomic(layout.path(item.letter, fmt, kind), data), sha256,
                          len(data))
        return written(item, files)


RERUN = N_("the letters already written stay registered and the batch stays 'incompleto': "
           "when the cluster is back, run the same command to complete it")


class _Future:
    """A cluster future whose `result()` names a fault of the cluster as a ClusterError."""

    def __init__(self, pool: ClusterPool, future) -> None:
        self.pool, self.future = pool, future

    def result(self):
        return self.pool._result(self.future)

    def done(self) -> bool:
        """Whether it has finished (a failure too), as concurrent.futures says it."""
        return self.future.done()


# Dask keeps the last `distributed.admin.low-level-log-length` (1,000) messages sent to the
# scheduler, for its developers; each task sent holds a chunk of merged letters (20-40 KB),
# so the coordinator grew by ≈ 1 KB a letter until that log was full (≈ 20 MB). A few are
# enough to debug a connection.
SENT_MESSAGES_KEPT = 16


def _connect(address: str):
    import dask
    from distributed import Client

    try:
        with dask.config.set({"distributed.admin.low-level-log-length": SENT_MESSAGES_KEPT}):
            client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(_("could not connect to the Dask scheduler at {address} "
                             "({kind})").format(address=address, kind=exc.__class__.__name__),
                           hint=_("check the address (tcp://HOST:8786) and that the scheduler "
                                  "is running: dask scheduler")) from None
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
    except TimeoutError:
        client.close()
        raise ClusterError(_("the scheduler {address} has no workers").format(address=address),
                           hint=_("start at least one: dask worker {address} --nthreads 1").format(
                               address=address)) from None
    return client


def check_workers(client, expected: dict[str, str],
                  template: TemplateFiles) -> dict[str, dict[str, str]]:
    """Every worker's facts, the template installed on each; a ClusterError naming each worker
    that differs from `expected`."""
    facts = client.run(prepare, template)
    refused = [f"{address}: " + "; ".join(diff) for address, worker in sorted(facts.items())
               if (diff := differences(expected, worker))]
    if refused:
        raise ClusterError(
            _("{count} of {total} workers of the cluster would not make the same letters as "
              "this machine, and the batch did not start: {workers}").format(
                count=len(refused), total=len(facts), workers=" | ".join(refused)),
            hint=_("install on every worker the same version of oficios and of its libraries; "
                   "oficios cluster-check shows what each one has"))
    return facts


@dataclass(frozen=True)
class WorkerReport:
    """One worker as cluster-check shows it: address, threads, facts, and what differs."""

    address: str
    threads: int
    facts: dict[str, str]
    differs: list[str]


def describe(address: str) -> tuple[dict[str, str], list[WorkerReport]]:
    """This machine's facts and every worker's, compared (nothing is rendered)."""
    expected = worker_facts()
    with _QuietDistributed():
        client = _connect(address)
        try:
            facts = client.run(worker_facts)
            threads = client.nthreads()
        finally:
            client.close(timeout=5)
    return expected, [WorkerReport(worker, threads.get(worker, 0), facts[worker],
                                   differences(expected, facts[worker]))
                      for worker in sorted(facts)]


class _QuietDistributed:
    """Keeps distributed's own log lines (reconnect tracebacks) off the user's terminal while
    a batch runs: what goes wrong reaches the user as one ClusterError."""

    def __enter__(self) -> None:
        import distributed  # noqa: F401  (its logging configuration names its loggers)

        names = ["distributed"] + [name for name in logging.root.manager.loggerDict
                                   if name.startswith("distributed.")]
        self.levels = {name: logging.getLogger(name).level for name in names}
        for name in names:
            logging.getLogger(name).setLevel(logging.CRITICAL)

    def __exit__(self, *exc_info) -> None:
        for name, level in self.levels.items():
            logging.getLogger(name).setLevel(level)
