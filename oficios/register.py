"""The Oficina de Partes' register: every batch, every letter, its files' hashes and codes.

An SQLite database (the only module that imports sqlite3). Every change is one transaction,
so a batch stopped half-way leaves the register consistent: the batch stays 'incompleto'
with the letters written so far, and a rerun of the same content completes it without
duplicates. Correlative numbers are reserved under SQLite's write lock, so two processes
never get the same one.

Which register a command uses is decided in one place, `locate`; only `generate` and
`oficios register init` create one (`create=True`), so a command run in the wrong folder
refuses instead of starting a second register that hands out the same numbers again.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import re
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from oficios.errors import OficiosError
from oficios.i18n import gettext as _

FILE_NAME = "registro-oficina-de-partes.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS numeros (
    serie TEXT NOT NULL, anio INTEGER NOT NULL, numero INTEGER NOT NULL,
    reservado_en TEXT NOT NULL, nota TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (serie, anio, numero));
CREATE TABLE IF NOT EXISTS lotes (
    id INTEGER PRIMARY KEY,
    oficio TEXT NOT NULL, version INTEGER NOT NULL, fecha TEXT NOT NULL, materia TEXT NOT NULL,
    plantilla_sha256 TEXT NOT NULL, nomina_sha256 TEXT NOT NULL,
    cartas INTEGER NOT NULL DEFAULT 0, estado TEXT NOT NULL DEFAULT 'incompleto',
    comando TEXT NOT NULL, generado_en TEXT NOT NULL, completado_en TEXT,
    motivo_reemision TEXT NOT NULL DEFAULT '', carpeta TEXT NOT NULL,
    UNIQUE (oficio, version));
CREATE TABLE IF NOT EXISTS cartas (
    id INTEGER PRIMARY KEY,
    lote INTEGER NOT NULL REFERENCES lotes(id),
    clave TEXT NOT NULL, destinatario TEXT NOT NULL, fila INTEGER NOT NULL,
    codigo TEXT NOT NULL UNIQUE, escrita_en TEXT NOT NULL,
    UNIQUE (lote, clave));
CREATE TABLE IF NOT EXISTS archivos (
    carta INTEGER NOT NULL REFERENCES cartas(id),
    formato TEXT NOT NULL, ruta TEXT NOT NULL, sha256 TEXT NOT NULL, bytes INTEGER NOT NULL,
    PRIMARY KEY (carta, formato));
CREATE INDEX IF NOT EXISTS archivos_sha256 ON archivos (sha256);
"""
# Each migration brings the schema from version i to i + 1 (`PRAGMA user_version`). The first
# is SCHEMA itself: a register made before versions existed has its tables and version 0, and
# CREATE ... IF NOT EXISTS leaves them as they are. Never edit a migration: add one.
MIGRATIONS = (
    SCHEMA,
    """
    ALTER TABLE cartas ADD COLUMN numero TEXT NOT NULL DEFAULT '';
    ALTER TABLE cartas ADD COLUMN detalle TEXT NOT NULL DEFAULT '';
    ALTER TABLE lotes ADD COLUMN esperadas INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE numeros ADD COLUMN lote INTEGER REFERENCES lotes(id);
    ALTER TABLE numeros ADD COLUMN clave TEXT NOT NULL DEFAULT '';
    CREATE TABLE IF NOT EXISTS copias (
        lote INTEGER NOT NULL REFERENCES lotes(id),
        tipo TEXT NOT NULL, ruta TEXT NOT NULL, sha256 TEXT NOT NULL, bytes INTEGER NOT NULL,
        cartas INTEGER NOT NULL, escrita_en TEXT NOT NULL,
        PRIMARY KEY (lote, tipo, ruta));
    CREATE INDEX IF NOT EXISTS copias_sha256 ON copias (sha256);
    """,
    # E-mail deliveries (oficios.delivery): one row per letter sent, keyed by its Message-ID.
    """
    CREATE TABLE IF NOT EXISTS entregas (
        id INTEGER PRIMARY KEY,
        carta INTEGER NOT NULL UNIQUE REFERENCES cartas(id),
        version INTEGER NOT NULL,
        direccion TEXT NOT NULL,
        message_id TEXT NOT NULL UNIQUE,
        estado TEXT NOT NULL DEFAULT 'pendiente'
            CHECK (estado IN ('pendiente', 'enviando', 'aceptado', 'fallido')),
        intentos INTEGER NOT NULL DEFAULT 0,
        respuesta TEXT NOT NULL DEFAULT '',
        creada_en TEXT NOT NULL,
        enviando_en TEXT,
        aceptada_en TEXT,
        actualizada_en TEXT NOT NULL);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)



ENV_VAR = "OFICIOS_REGISTER"
SETTINGS_FILE = "oficios.toml"  # in the working folder; else ~/.config/oficios/config.toml
SETTINGS_KEY = "registro"
WAIT_SECONDS = 30.0  # how long a write waits for another process's lock before giving up


class RegisterError(OficiosError):
    """The register refuses an operation (a silent re-issue) or cannot be used."""

    exit_code = 5


@dataclass(frozen=True)
class Location:
    """Where the register is and how that was decided (said in every answer that uses it)."""

    path: Path
    how: str


def settings_files() -> list[Path]:
    """The settings files that may name the register, in the order they are read."""
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return [Path.cwd() / SETTINGS_FILE, config / "oficios" / "config.toml"]


def locate(explicit: str | Path | None, output_root: str | Path) -> Location:
    """The register to use: `--register` if given, else $OFICIOS_REGISTER, else `registro`
    in the first settings file that has it, else the file beside the output root."""
    import tomllib

    if explicit is not None:
        return Location(Path(explicit), _("given with --register"))
    if os.environ.get(ENV_VAR, "").strip():
        return Location(Path(os.environ[ENV_VAR].strip()).expanduser(),
                        _("given by the environment variable {variable}").format(variable=ENV_VAR))
    for settings in settings_files():
        if not settings.is_file():
            continue
        try:
            value = tomllib.loads(settings.read_text(encoding="utf-8")).get(SETTINGS_KEY)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise RegisterError(_("the settings cannot be read: {reason}").format(reason=exc),
                                file=settings,
                                hint=_('write {key} = "path/to/register.sqlite"').format(
                                    key=SETTINGS_KEY)) from None
        if isinstance(value, str) and value.strip():
            path = Path(value.strip()).expanduser()
            return Location(settings.parent / path if not path.is_absolute() else path,
                            _("given by '{key}' in {settings}").format(key=SETTINGS_KEY,
                                                                        settings=settings))
    return Location(Path(output_root) / FILE_NAME,
                    _("the default of the output folder {folder}").format(folder=output_root))


@dataclass(frozen=True)
class Batch:
    """One issue of an oficio: its number, version and the content it was made from.

    `esperadas` is how many letters make it complete: the whole roster, or for a re-issue
    the letters it was asked for (0 in a batch recorded before this was kept).
    """

    id: int
    oficio: str
    version: int
    fecha: str
    materia: str
    plantilla_sha256: str
    nomina_sha256: str
    cartas: int
    estado: str
    comando: str
    generado_en: str
    completado_en: str | None
    motivo_reemision: str
    carpeta: str
    esperadas: int = 0


@dataclass(frozen=True)
class Found:
    """What the register knows of a file: its letter, batch and format.

    `numero` is the number the letter printed ("" in a letter recorded before it was kept).
    """

    batch: Batch
    clave: str
    destinatario: str
    codigo: str
    formato: str
    ruta: str
    sha256: str
    numero: str = ""


@dataclass(frozen=True)
class Copy:
    """A file made of a whole batch: the archive copy ('archivo'), a distribution copy
    ('distribucion') or a re-issue supplement ('suplemento')."""

    batch: Batch
    tipo: str
    ruta: str
    sha256: str
    cartas: int
    escrita_en: str


def now() -> str:
    """The current time, UTC, as ISO 8601 to the second."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def verification_code(oficio: str, version: int, key: str) -> str:
    """A short code unique to one letter of one issue, e.g. 'K7QX-2M4P-9D'.

    Derived from what identifies the letter, so re-rendering gives the same code (and the
    same file bytes); a re-issue (new version) gives new codes.
    """
    digest = hashlib.sha256(f"{oficio}\x1f{version}\x1f{key}".encode()).digest()
    text = base64.b32encode(digest).decode()[:10]
    return f"{text[:4]}-{text[4:8]}-{text[8:]}"


def normalize_code(text: str) -> str | None:
    """A verification code as typed from paper ('ezye m5s5 4u', 'EZYEM5S54U') in its printed
    form 'EZYE-M5S5-4U', or None if it cannot be one. 0, 1 and 8 are read as O, I and B,
    which the code's alphabet uses instead."""
    plain = re.sub(r"[\s\-.]", "", text).upper().translate(str.maketrans("018", "OIB"))
    if not re.fullmatch(r"[A-Z2-7]{10}", plain):
        return None
    return f"{plain[:4]}-{plain[4:8]}-{plain[8:]}"


def _fold_number(text: str) -> str:
    """An oficio number without case and spacing, for finding it however it was typed."""
    return re.sub(r"\s+", "", text).replace("º", "°").casefold()


def _holders(path: Path) -> str:
    """Which other processes have the register open, e.g. 'el proceso 812 (oficios generate)'."""
    names = {str(path.resolve()), str(path.resolve()) + "-wal"}
    found = []
    proc = Path("/proc")
    if proc.is_dir():
        for entry in proc.iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                if any(os.readlink(fd) in names for fd in (entry / "fd").iterdir()):
                    command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                        errors="replace").strip()
                    found.append(_("the process {pid} ({command})").format(pid=entry.name,
                                                                          command=command[:80]))
            except OSError:  # gone, or not ours to look at
                continue
    return ", ".join(found) or _("another process")


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Register:
    """A connection to an existing register database.

    `create` makes the file (and its folder) when it is missing: only `generate` and
    `oficios register init` pass it. `readonly` opens it without writing (verification years
    later, from an archive on read-only media). `how` says how the path was found, for the
    messages; `notify` hears that a write waits for another process's lock (None: a line on
    standard error) and `wait` is how many seconds it waits (None: WAIT_SECONDS).
    """

    def __init__(self, path: str | Path, readonly: bool = False, *, create: bool = False,
                 how: str = "", notify: Callable[[str], None] | None = None,
                 wait: float | None = None) -> None:
        self.path = Path(path)
        self.how = how
        self.notify = notify or _stderr
        self.wait = WAIT_SECONDS if wait is None else wait
        if not self.path.is_file():
            if self.path.exists() or not create:
                raise self._missing()
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise RegisterError(_("the register cannot be created: {reason}").format(
                                        reason=exc.strerror),
                                    file=self.path, hint=self._where_hint()) from None
        try:
            if readonly:
                self._db = _open_readonly(self.path)
                return
            self._db = sqlite3.connect(self.path, timeout=1, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL cannot corrupt the file; a power cut may lose the last
            # transactions, which a rerun records again. FULL fsyncs every chunk.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            raise self._unusable(exc) from None
        self.check()
        self._migrate()

    def _where_hint(self) -> str:
        how = _("the register was looked for {how}; ").format(how=self.how) if self.how else ""
        return how + _("name the register with --register PATH, the variable {variable} or "
                       "'{key}' in {settings}").format(variable=ENV_VAR, key=SETTINGS_KEY,
                                                       settings=SETTINGS_FILE)

    def _missing(self) -> RegisterError:
        what = (_("the register is not a file") if self.path.exists() else
                _("the register does not exist"))
        return RegisterError(
            what, file=self.path,
            hint=self._where_hint() + _("; to start a new one: oficios register init"))

    def _unusable(self, exc: sqlite3.Error) -> RegisterError:
        return RegisterError(_("the register cannot be used: {reason}").format(reason=exc),
                             file=self.path,
                             hint=_("if it is damaged, restore the last backup copy; ")
                             + self._where_hint())

    def check(self) -> None:
        """Raises RegisterError unless SQLite's quick_check finds the file sound."""
        try:
            rows = [r[0] for r in self._db.execute("PRAGMA quick_check").fetchall()]
        except sqlite3.Error as exc:
            raise self._unusable(exc) from None
        if rows != ["ok"]:
            raise RegisterError(
                _("the register is damaged (PRAGMA quick_check: {details})").format(
                    details=" ".join(" ".join(rows[:3]).split())),
                file=self.path, hint=_("nothing was written; restore the register's last "
                                       "backup copy or ask support for help"))

    def _migrate(self) -> None:
        with self._transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise RegisterError(
                    _("the register has schema {version}, newer than the one this version of "
                      "oficios knows ({known})").format(version=version, known=SCHEMA_VERSION),
                    file=self.path, hint=_("update oficios before using this register"))
            for script in MIGRATIONS[version:]:
                for statement in _statements(script):
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _begin(self) -> None:
        deadline = time.monotonic() + self.wait
        told = False
        while True:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise RegisterError(
                        _("the register is still locked by {holders} after waiting {seconds} "
                          "s").format(holders=_holders(self.path), seconds=f"{self.wait:.0f}"),
                        file=self.path,
                        hint=_("wait for that process to finish and run the same command "
                               "again: what is already registered is not repeated")) from None
                if not told:
                    self.notify(_("Waiting for the register {path}: {holders} has it locked "
                                  "(up to {seconds} s)…").format(
                        path=self.path, holders=_holders(self.path), seconds=f"{self.wait:.0f}"))
                    told = True

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        # IMMEDIATE takes the write lock at once: read-then-write sequences (next number,
        # next version) cannot interleave with another process's.
        try:
            self._begin()
        except sqlite3.Error as exc:
            raise self._unusable(exc) from None
        try:
            yield self._db
        except sqlite3.Error as exc:
            self._db.execute("ROLLBACK")
            raise self._unusable(exc) from None
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise self._unusable(exc) from None

    # -- correlative numbers -------------------------------------------------------------
    def reserve(self, series: str, year: int, note: str = "") -> int:
        """Reserves and returns the next number of a series for a year (1 for the first)."""
        series = series.strip().upper()
        if not series:
            raise RegisterError(_("the series name is empty"),
                                hint=_("e.g. oficios register next ORD"))
        with self._transaction() as db:
            row = db.execute("SELECT MAX(numero) FROM numeros WHERE serie=? AND anio=?",
                             (series, year)).fetchone()
            number = (row[0] or 0) + 1
            db.execute("INSERT INTO numeros (serie, anio, numero, reservado_en, nota) "
                       "VALUES (?, ?, ?, ?, ?)", (series, year, number, now(), note))
        return number

    def reserve_for(self, batch: Batch, keys: Sequence[str], series: str, year: int,
                    unit: str) -> dict[str, int]:
        """The correlative number of each letter of a batch (`unit` 'carta'), or the batch's
        one number for every letter ('lote'), reserved the first time and kept: a rerun of
        the batch prints the same numbers."""
        series = series.strip().upper()
        with self._transaction() as db:
            held = dict(db.execute("SELECT clave, numero FROM numeros WHERE lote=? AND serie=? "
                                   "AND anio=?", (batch.id, series, year)).fetchall())
            wanted = [""] if unit == "lote" else list(dict.fromkeys(keys))
            for key in wanted:
                if key in held:
                    continue
                row = db.execute("SELECT MAX(numero) FROM numeros WHERE serie=? AND anio=?",
                                 (series, year)).fetchone()
                held[key] = (row[0] or 0) + 1
                db.execute("INSERT INTO numeros (serie, anio, numero, reservado_en, nota, lote, "
                           "clave) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (series, year, held[key], now(),
                            f"{batch.oficio} v{batch.version}" + (f" {key}" if key else ""),
                            batch.id, key))
        return {key: held["" if unit == "lote" else key] for key in keys}

    # -- batches -------------------------------------------------------------------------
    def open_batch(self, *, oficio: str, fecha: str, materia: str, plantilla_sha256: str,
                   nomina_sha256: str, comando: str, carpeta: str, reissue: bool = False,
                   reason: str = "", asked: Sequence[str] = (), total: int = 0) -> Batch:
        """The batch to record letters in: the same content continues its batch; different
        content under an existing number is refused unless it is a declared re-issue.

        `asked` are the keys this run writes and `total` the roster's size: a batch is
        complete with the whole roster, a re-issue with the letters it was asked for.
        """
        with self._transaction() as db:
            latest = db.execute("SELECT * FROM lotes WHERE oficio=? ORDER BY version DESC LIMIT 1",
                                (oficio,)).fetchone()
            if latest is not None and not reissue:
                same = (latest["plantilla_sha256"], latest["nomina_sha256"]) == (
                    plantilla_sha256, nomina_sha256)
                if same:
                    expected = total
                    if latest["motivo_reemision"]:
                        keys = {r[0] for r in db.execute("SELECT clave FROM cartas WHERE lote=?",
                                                         (latest["id"],))}
                        expected = len(keys | set(asked))
                    db.execute("UPDATE lotes SET esperadas=? WHERE id=?", (expected, latest["id"]))
                    return Batch(**dict(db.execute("SELECT * FROM lotes WHERE id=?",
                                                   (latest["id"],)).fetchone()))
                raise RegisterError(
                    _("{oficio} was already issued (version {version}, {when}) with a different "
                      "template or roster").format(oficio=oficio, version=latest["version"],
                                                   when=latest["generado_en"]),
                    file=self.path,
                    hint=_('to issue it again, say so: --reissue --reason "why"; or give the new '
                           "letter its own number (oficios register next SERIES)"))
            if reissue and not reason.strip():
                raise RegisterError(_("a re-issue needs a reason"), file=self.path,
                                    hint=_('add --reason "why the oficio is issued again"'))
            version = (latest["version"] + 1) if latest is not None else 1
            cursor = db.execute(
                "INSERT INTO lotes (oficio, version, fecha, materia, plantilla_sha256, "
                "nomina_sha256, comando, generado_en, motivo_reemision, carpeta, esperadas) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (oficio, version, fecha, materia, plantilla_sha256, nomina_sha256, comando,
                 now(), reason.strip() if reissue else "", carpeta,
                 len(set(asked)) if reissue else total))
            row = db.execute("SELECT * FROM lotes WHERE id=?", (cursor.lastrowid,)).fetchone()
        return Batch(**dict(row))

    def record_letters(self, batch: Batch, letters: Iterable[tuple]) -> None:
        """Records written letters: (key, recipient, row, code, {format: (path, sha256, bytes)})
        and optionally the number it printed and its detail for the nómina (e.g. its region).

        A letter already recorded for the batch is updated, never duplicated.
        """
        with self._transaction() as db:
            for key, recipient, row, code, files, *more in letters:
                numero, detalle = (list(more) + ["", ""])[:2]
                db.execute(
                    "INSERT INTO cartas (lote, clave, destinatario, fila, codigo, escrita_en, "
                    "numero, detalle) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (lote, clave) DO UPDATE SET "
                    "destinatario=excluded.destinatario, fila=excluded.fila, "
                    "codigo=excluded.codigo, escrita_en=excluded.escrita_en, "
                    "numero=excluded.numero, detalle=excluded.detalle",
                    (batch.id, key, recipient, row, code, now(), numero, detalle))
                letter_id = db.execute("SELECT id FROM cartas WHERE lote=? AND clave=?",
                                       (batch.id, key)).fetchone()[0]
                for fmt, (path, sha256, size) in files.items():
                    db.execute(
                        "INSERT INTO archivos (carta, formato, ruta, sha256, bytes) "
                        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (carta, formato) DO UPDATE SET "
                        "ruta=excluded.ruta, sha256=excluded.sha256, bytes=excluded.bytes",
                        (letter_id, fmt, str(path), sha256, size))

    def record_copy(self, batch: Batch, tipo: str, path: Path, sha256: str, size: int,
                    letters: int) -> None:
        """Records a file made of the whole batch (archive copy, distribution copy, supplement)."""
        with self._transaction() as db:
            db.execute("INSERT INTO copias (lote, tipo, ruta, sha256, bytes, cartas, escrita_en) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (lote, tipo, ruta) DO UPDATE SET "
                       "sha256=excluded.sha256, bytes=excluded.bytes, cartas=excluded.cartas, "
                       "escrita_en=excluded.escrita_en",
                       (batch.id, tipo, str(path), sha256, size, letters, now()))

    def move_files(self, moves: Iterable[tuple[str, str]]) -> None:
        """Records that files were moved: (old path, new path) pairs, letters and copies."""
        with self._transaction() as db:
            for old, new in moves:
                db.execute("UPDATE archivos SET ruta=? WHERE ruta=?", (new, old))
                db.execute("UPDATE copias SET ruta=? WHERE ruta=?", (new, old))

    def close_batch(self, batch: Batch, expected: int | None = None) -> Batch:
        """Marks the batch complete when every expected letter is recorded; returns it.

        `expected` None uses what the batch was opened for (`Batch.esperadas`).
        """
        with self._transaction() as db:
            count = db.execute("SELECT COUNT(*) FROM cartas WHERE lote=?", (batch.id,)).fetchone()[0]
            wanted = expected if expected is not None else db.execute(
                "SELECT esperadas FROM lotes WHERE id=?", (batch.id,)).fetchone()[0]
            state = "completo" if count >= wanted else "incompleto"
            db.execute("UPDATE lotes SET cartas=?, estado=?, completado_en=? WHERE id=?",
                       (count, state, now() if state == "completo" else None, batch.id))
            row = db.execute("SELECT * FROM lotes WHERE id=?", (batch.id,)).fetchone()
        return Batch(**dict(row))

    # -- looking things up ---------------------------------------------------------------
    def _rows(self, query: str, args: tuple = ()) -> list[sqlite3.Row]:
        try:
            return self._db.execute(query, args).fetchall()
        except sqlite3.Error as exc:
            raise self._unusable(exc) from None

    def _batch_by_id(self, batch_id: int) -> Batch:
        return Batch(**dict(self._rows("SELECT * FROM lotes WHERE id=?", (batch_id,))[0]))

    def batches(self) -> list[Batch]:
        """Every batch, newest first."""
        return [Batch(**dict(r)) for r in self._rows("SELECT * FROM lotes ORDER BY id DESC")]

    def batch(self, ident: str) -> list[Batch]:
        """The batches of an oficio number, whatever its case and spacing (every version), or
        the batch with that id."""
        wanted = _fold_number(ident)
        rows = self._rows("SELECT * FROM lotes ORDER BY oficio, version")
        return [Batch(**dict(r)) for r in rows
                if _fold_number(r["oficio"]) == wanted or str(r["id"]) == ident.strip()]

    _LETTERS = (
        "SELECT l.id AS lote, l.oficio, l.version, l.fecha, c.clave, c.destinatario, c.fila, "
        "c.numero, c.codigo, c.escrita_en, "
        "MAX(CASE WHEN a.formato='pdf' THEN a.ruta END) AS pdf, "
        "MAX(CASE WHEN a.formato='pdf' THEN a.sha256 END) AS pdf_sha256, "
        "MAX(CASE WHEN a.formato='docx' THEN a.ruta END) AS docx, "
        "MAX(CASE WHEN a.formato='docx' THEN a.sha256 END) AS docx_sha256 "
        "FROM cartas c JOIN lotes l ON l.id=c.lote LEFT JOIN archivos a ON a.carta=c.id ")

    def letters(self, batch_id: int | None = None) -> list[dict]:
        """Every letter with its batch and files, one dict per letter (for listing and CSV)."""
        query = (self._LETTERS + ("WHERE l.id=? " if batch_id is not None else "")
                 + "GROUP BY c.id ORDER BY l.id, c.fila")
        args = (batch_id,) if batch_id is not None else ()
        return [dict(r) for r in self._rows(query, args)]

    def letter(self, batch_id: int, key: str) -> dict | None:
        """A batch's letter to a recipient, as `letters` gives it; None if it has none."""
        rows = self._rows(self._LETTERS + "WHERE c.lote=? AND c.clave=? GROUP BY c.id",
                          (batch_id, key))
        return dict(rows[0]) if rows else None

    def letter_count(self, batch_id: int) -> int:
        """How many letters a batch has recorded."""
        return self._rows("SELECT COUNT(*) FROM cartas WHERE lote=?", (batch_id,))[0][0]

    def folder_files(self, oficio: str, carpeta: str) -> list[dict]:
        """Every letter file of an oficio written into a folder, every version, with
        `vigente` true for the latest version of each recipient's letter."""
        return list(self.iter_folder_files(oficio, carpeta))

    _FOLDER_FILES = (
        "FROM cartas c JOIN lotes l ON l.id=c.lote JOIN archivos a ON a.carta=c.id "
        "JOIN (SELECT c2.clave, MAX(l2.version) AS ultima FROM cartas c2 "
        "      JOIN lotes l2 ON l2.id=c2.lote WHERE l2.oficio=? GROUP BY c2.clave) u "
        "  ON u.clave=c.clave "
        "WHERE l.oficio=? AND l.carpeta=?")

    def iter_folder_files(self, oficio: str, carpeta: str) -> Iterator[dict]:
        """folder_files one row at a time, in the same order (by row, key, version, format):
        the folder's records are written from it without holding the batch in memory."""
        try:
            cursor = self._db.execute(
                "SELECT l.id AS lote, l.version, c.clave, c.destinatario, c.fila, c.detalle, "
                "c.numero, c.codigo, a.formato, a.ruta, a.sha256, a.bytes, "
                "l.version = u.ultima AS vigente " + self._FOLDER_FILES
                + " ORDER BY c.fila, c.clave, l.version, a.formato", (oficio, oficio, carpeta))
            for row in cursor:
                yield dict(row, vigente=bool(row["vigente"]))
        except sqlite3.Error as exc:
            raise self._unusable(exc) from None

    def folder_summary(self, oficio: str, carpeta: str) -> dict:
        """Of the letters of an oficio in a folder: how many are current (`cartas`), the
        formats and versions of the current ones, and the batches that wrote any."""
        current = "SELECT DISTINCT {what} " + self._FOLDER_FILES + " AND l.version = u.ultima"
        args = (oficio, oficio, carpeta)
        return {
            "cartas": self._rows("SELECT COUNT(*) FROM (SELECT DISTINCT l.id, c.clave "
                                 + self._FOLDER_FILES + " AND l.version = u.ultima)", args)[0][0],
            "formatos": sorted(r[0] for r in self._rows(current.format(what="a.formato"), args)),
            "versiones": sorted(r[0] for r in self._rows(current.format(what="l.version"), args)),
            "lotes": [r[1] for r in self._rows("SELECT DISTINCT l.version, l.id "
                                               + self._FOLDER_FILES + " ORDER BY 1, 2", args)]}

    def copies(self, oficio: str, carpeta: str) -> list[Copy]:
        """Every archive copy, distribution copy and supplement of an oficio in a folder."""
        rows = self._rows("SELECT p.* FROM copias p JOIN lotes l ON l.id=p.lote "
                          "WHERE l.oficio=? AND l.carpeta=? ORDER BY l.version, p.tipo, p.ruta",
                          (oficio, carpeta))
        return [self._copy(r) for r in rows]

    def _copy(self, row: sqlite3.Row) -> Copy:
        return Copy(self._batch_by_id(row["lote"]), row["tipo"], row["ruta"], row["sha256"],
                    row["cartas"], row["escrita_en"])

    def numbers(self) -> list[dict]:
        """Every reserved correlative number."""
        return [dict(r) for r in self._rows("SELECT * FROM numeros ORDER BY serie, anio, numero")]

    def find_file(self, sha256: str) -> Found | None:
        """The letter whose issued file has this hash, or None."""
        return self._find("a.sha256=?", sha256)

    def find_code(self, code: str) -> Found | None:
        """The letter that carries this verification code (its PDF, else any file), or None."""
        return self._find("c.codigo=?", code)

    def find_copy(self, sha256: str) -> Copy | None:
        """The archive copy, distribution copy or supplement with this hash, or None."""
        rows = self._rows("SELECT * FROM copias WHERE sha256=? ORDER BY lote DESC, tipo LIMIT 1",
                          (sha256,))
        return self._copy(rows[0]) if rows else None

    def superseded_by(self, found: Found) -> Batch | None:
        """The first later version of the oficio that issued this recipient's letter again,
        or None if the letter is still the current one."""
        rows = self._rows(
            "SELECT l.* FROM lotes l JOIN cartas c ON c.lote=l.id WHERE l.oficio=? AND "
            "l.version>? AND c.clave=? ORDER BY l.version LIMIT 1",
            (found.batch.oficio, found.batch.version, found.clave))
        return Batch(**dict(rows[0])) if rows else None

    def _find(self, where: str, value: str) -> Found | None:
        rows = self._rows(
            "SELECT c.lote, c.clave, c.destinatario, c.codigo, c.numero, a.formato, a.ruta, "
            f"a.sha256 FROM archivos a JOIN cartas c ON c.id=a.carta WHERE {where} "
            "ORDER BY a.formato='pdf' DESC LIMIT 1", (value,))
        if not rows:
            return None
        row = rows[0]
        return Found(self._batch_by_id(row["lote"]), row["clave"], row["destinatario"],
                     row["codigo"], row["formato"], row["ruta"], row["sha256"], row["numero"])


def _statements(script: str) -> list[str]:
    # executescript() would COMMIT first; statements one by one stay in our transaction.
    return [s.strip() for s in script.split(";") if s.strip()]


def _open_readonly(path: Path) -> sqlite3.Connection:
    uri = path.resolve().as_uri()
    try:
        db = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30)
        db.execute("SELECT COUNT(*) FROM lotes").fetchone()
    except sqlite3.OperationalError:
        # On read-only media SQLite cannot create the WAL's shared-memory file; a register
        # nobody is writing to can then be read as immutable.
        db = sqlite3.connect(f"{uri}?immutable=1", uri=True)
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version < SCHEMA_VERSION:
        # An older register is read, never changed: its migrated copy lives in memory.
        memory = sqlite3.connect(":memory:")
        db.backup(memory)
        db.close()
        for script in MIGRATIONS[version:]:
            for statement in _statements(script):
                memory.execute(statement)
        db = memory
    db.row_factory = sqlite3.Row
    return db
