"""The one module of the web application that calls the oficios engine.

Pages speak in the small types below; when the engine's public API changes, this file is
the one to adapt.
"""

from __future__ import annotations

import atexit
import csv
import io
import threading
from dataclasses import dataclass, field
from pathlib import Path

from oficios.errors import ErrorList, OficiosError
from oficios.i18n import gettext as _

PREVIEW_PAGES = 2
PREVIEW_SCALE = 1.0  # 794 px wide: readable at the page's width, quick to encode


@dataclass(frozen=True)
class TemplateInfo:
    """A template folder the server offers: its slug, number and matter, or why it cannot be used.

    `error` is None when the template loads.
    """

    slug: str
    path: Path
    numero: str = ""
    materia: str = ""
    columns: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class Problem:
    """One thing to fix in a roster or template, located as precisely as the engine knows."""

    message: str
    row: int | None = None
    column: str | None = None
    hint: str | None = None


@dataclass
class Checked:
    """What a roster gives a template: its recipients (key, name) or every problem at once.

    `headers` are the roster's column headers as written (empty if the file cannot be read).
    """

    recipients: list[tuple[str, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    columns: tuple[str, ...] = ()
    loaded: object | None = field(default=None, repr=False)  # the engine's Roster, when valid
    loaded_key: str = ""


def templates(folder: Path) -> list[TemplateInfo]:
    """Every template folder (holding an oficio.toml) under `folder`, by name."""
    from oficios.template import METADATA_FILE, OficioTemplate

    found = []
    if not folder.is_dir():
        return found
    for path in sorted(p for p in folder.iterdir() if (p / METADATA_FILE).is_file()):
        try:
            template = OficioTemplate(path)
            found.append(TemplateInfo(path.name, path.resolve(), template.text("oficio", "numero"),
                                      template.text("oficio", "materia"), _columns(template)))
        except OficiosError as exc:
            found.append(TemplateInfo(path.name, path.resolve(), error=exc.format()))
    return found


def _columns(template) -> tuple[str, ...]:
    """The roster columns a template reads, key and name first."""
    names = [template.key_column, template.name_column, *sorted(template.required_variables()),
             *template.optional_columns]
    return tuple(dict.fromkeys(names))


def problems_of(error: OficiosError) -> list[Problem]:
    """Each problem an error holds (an ErrorList holds several)."""
    errors = error.errors if isinstance(error, ErrorList) else [error]
    return [Problem(e.message, e.row, e.column, e.hint) for e in errors]


def check(template: TemplateInfo, roster: Path, column_map: dict[str, str]) -> Checked:
    """Reads and checks the roster against the template, as `oficios check` does.

    Kept for the same template content, roster file and map: the review page asks again
    at each preview, and a roster of thousands takes a second to check.
    """
    key = ("check", template_sha256(template), str(roster), tuple(sorted(column_map.items())))
    return _CACHE.get(key, lambda: _check(template, roster, column_map))


def _check(template: TemplateInfo, roster: Path, column_map: dict[str, str]) -> Checked:
    from oficios import pipeline

    result = Checked(columns=template.columns)
    try:
        from oficios.roster import read_header

        result.headers = read_header(roster)
    except OficiosError:
        pass
    job = pipeline.Job(template=template.path, roster=roster, column_map=tuple(column_map.items()))
    try:
        tpl, recipients = pipeline.load(job)
    except OficiosError as exc:
        result.problems = problems_of(exc)
        return result
    result.recipients = [(r[tpl.key_column], r[tpl.name_column]) for r in recipients.recipients]
    result.loaded, result.loaded_key = recipients, tpl.key_column
    return result


def preview(template: TemplateInfo, roster: Path, column_map: dict[str, str], key: str,
            output: Path) -> list[bytes]:
    """Pages 1-2 of one recipient's letter as JPEG images of the draft (BORRADOR on the page,
    no verification code): the letter rendered alone to bytes, written and registered nowhere.

    `output` is unused: a preview leaves no file. The renderer is kept loaded for the
    template (fonts, styles: the slow part of a first letter).
    """
    import dataclasses

    import oficios

    checked = check(template, roster, column_map)
    recipient = next((r for r in checked.loaded.recipients
                      if r[checked.loaded_key] == key), None) if checked.loaded else None
    if recipient is None:
        raise OficiosError(_("no recipient with this key in the roster"))
    loaded, lock = _preview_template(template)
    with lock:
        letter = next(oficios.letters(loaded, dataclasses.replace(
            checked.loaded, recipients=(recipient,))))
        pdf = oficios.render(loaded, dataclasses.replace(letter, draft=True), "pdf")
    return [_jpeg(page) for page in _rasterize(pdf)]


def prepare_preview(template: TemplateInfo, roster: Path, output: Path) -> None:
    """Loads the preview's renderer in the background, while the clerk picks a recipient."""
    threading.Thread(target=_warm_preview, args=(template,), daemon=True,
                     name="vista-previa").start()


def _preview_template(template: TemplateInfo):
    import oficios

    key = ("template", template_sha256(template))
    return _CACHE.get(key, lambda: (oficios.load_template(template.path), threading.Lock()))


def _warm_preview(template: TemplateInfo) -> None:
    import oficios

    loaded, lock = _preview_template(template)
    with lock:
        oficios.renderer(loaded, "pdf")


class _Lru:
    """A few recent results, by key, shared by the server's threads; each made once."""

    def __init__(self, size: int) -> None:
        self.size, self.items, self.lock = size, {}, threading.Lock()
        self.making: dict = {}

    def get(self, key, make):
        with self.lock:
            if key in self.items:
                self.items[key] = self.items.pop(key)  # most recent last
                return self.items[key]
            making = self.making.setdefault(key, threading.Lock())
        with making:  # a second asker waits for the first one's result
            with self.lock:
                if key in self.items:
                    return self.items[key]
            value = make()
            with self.lock:
                self.items[key] = value
                self.making.pop(key, None)
                while len(self.items) > self.size:
                    self.items.pop(next(iter(self.items)))
        return value


_CACHE = _Lru(8)
_POOL = None  # the server's worker processes: started with its first batch, kept warm after
_POOL_LOCK = threading.Lock()


def _pool(workers: int | None):
    """The server's worker pool (a new one if a worker process died and broke the last)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or getattr(_POOL, "_broken", False):
            from oficios.batch import default_workers, process_pool

            _POOL = process_pool(workers or default_workers())
        return _POOL


def _stop_pool() -> None:
    if _POOL is not None:
        _POOL.shutdown(wait=False, cancel_futures=True)
# Drop kept renderers before the interpreter tears modules down (WeasyPrint's font
# configuration cleans up in __del__ and needs its modules).
atexit.register(lambda: _CACHE.items.clear())
atexit.register(_stop_pool)


def warm_up() -> None:
    """Loads the PDF renderer and rasterizer, so the first preview is as quick as the next."""
    import oficios.render_pdf  # noqa: F401
    import pypdfium2  # noqa: F401


def _rasterize(pdf: bytes):
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        for index in range(min(PREVIEW_PAGES, len(document))):
            yield document[index].render(scale=PREVIEW_SCALE).to_pil()
    finally:
        document.close()


def _jpeg(image) -> bytes:
    """The page as JPEG bytes (a tenth of the time of PNG here, and a third of the size)."""
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=88)
    return buffer.getvalue()


def job(template: TemplateInfo, roster: Path, column_map: dict[str, str], *, output: Path,
        register: Path, workers: int | None, command: str, reissue: bool = False,
        reason: str = ""):
    """The engine's description of a whole batch."""
    from oficios import pipeline

    return pipeline.Job(template=template.path, roster=roster, output=output, register=register,
                        workers=workers, command=command, reissue=reissue, reason=reason,
                        column_map=tuple(column_map.items()))


def generate(batch_job, progress) -> int | None:
    """Runs a batch to the end on the server's worker processes; the register's batch id
    (None if nothing was registered)."""
    from oficios import pipeline

    result = pipeline.generate(batch_job, progress=progress, executor=_pool(batch_job.workers))
    return result.batch.id if result.batch is not None else None


def template_sha256(template: TemplateInfo) -> str:
    """The hash the register keeps of a template folder."""
    from oficios.archive import folder_sha256

    return folder_sha256(template.path)


# -- the register ---------------------------------------------------------------------------


def _register(path: Path):
    from oficios.register import Register

    return Register(path, readonly=True)


def batches(register: Path) -> list:
    """Every batch, newest first; none when there is no register yet."""
    if not register.is_file():
        return []
    with _register(register) as db:
        return db.batches()


def latest_batch(register: Path, oficio: str):
    """The newest version of an oficio in the register, or None."""
    return next((b for b in batches(register) if b.oficio == oficio), None)


def batch(register: Path, batch_id: int):
    """One batch by id, or None."""
    return next((b for b in batches(register) if b.id == batch_id), None)


def letters(register: Path, batch_id: int | None = None, query: str = "") -> list[dict]:
    """Registered letters, optionally of one batch, matching a search (any case or accents)
    in the recipient, key, oficio number or verification code."""
    if not register.is_file():
        return []
    with _register(register) as db:
        rows = db.letters(batch_id)
    words = _fold(query).split()
    if words:
        rows = [r for r in rows if all(w in _fold(" ".join(
            str(r[c]) for c in ("destinatario", "clave", "oficio", "codigo"))) for w in words)]
    return rows


def _fold(text: str) -> str:
    """Text as searched: lower case, without accents or the dashes of codes."""
    import unicodedata

    text = unicodedata.normalize("NFKD", text).lower().replace("-", "")
    return "".join(c for c in text if not unicodedata.combining(c))


def letter_history(register: Path, code: str) -> tuple[dict | None, list[dict], dict]:
    """A letter by its code, every version of it (same oficio and key), and their batches."""
    rows = letters(register)
    letter = next((r for r in rows if r["codigo"] == code), None)
    if letter is None:
        return None, [], {}
    versions = [r for r in rows if r["oficio"] == letter["oficio"] and r["clave"] == letter["clave"]]
    by_id = {b.id: b for b in batches(register)}
    return letter, versions, {r["lote"]: by_id[r["lote"]] for r in versions}


EXPORT_COLUMNS = ["lote", "oficio", "version", "fecha", "clave", "destinatario", "fila", "codigo",
                  "escrita_en", "pdf", "pdf_sha256", "docx", "docx_sha256"]


def export_csv(register: Path) -> str:
    """Every registered letter with its files' hashes, as CSV (as `oficios register export`)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, lineterminator="\n",
                            extrasaction="ignore")
    writer.writeheader()
    writer.writerows(letters(register))
    return buffer.getvalue()


def batch_files(register: Path, batch_id: int, fmt: str) -> list[Path]:
    """The files of one format a batch registered that still exist inside its folder."""
    found = batch(register, batch_id)
    if found is None:
        return []
    folder = Path(found.carpeta).resolve()
    paths = [Path(r[fmt]).resolve() for r in letters(register, batch_id) if r.get(fmt)]
    return [p for p in paths if p.is_relative_to(folder) and p.is_file()]


def batch_record(register: Path, batch_id: int, what: str) -> Path | None:
    """The batch's archive copy ('archivo') or nómina ('nomina'), if its folder still holds
    the ones made for this batch (a later version of the oficio replaces them)."""
    import json

    found = batch(register, batch_id)
    if found is None:
        return None
    folder = Path(found.carpeta)
    try:
        about = json.loads((folder / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(about, dict) or (about.get("oficio"), about.get("version")) != \
            (found.oficio, found.version):
        return None
    path = folder / (f"{folder.name}-combinado.pdf" if what == "archivo" else "nomina.csv")
    return path if path.is_file() else None


# -- verification ---------------------------------------------------------------------------


def verify_file(path: Path, register: Path):
    """The register's verdict on a file (oficios.verify.Verdict)."""
    from oficios.verify import verify

    return verify(path, register)


def verify_code(code: str, register: Path):
    """The register's verdict on a typed verification code (oficios.verify.Verdict)."""
    from oficios import verify

    return verify.verify_code(code, register)
