"""The Oficina de Partes' register: every batch, every letter, its files' hashes and codes.

An SQLite database (the only module that imports sqlite3). Every change is one transaction,
so a batch stopped half-way leaves the register consistent: the batch stays 'incompleto'
with the letters written so far, and a rerun of the same content completes it without
duplicates. Correlative numbers are reserved under SQLite's write lock, so two processes
never get the same one.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from oficios.errors import OficiosError

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


class RegisterError(OficiosError):
    """The register refuses an operation (a silent re-issue) or cannot be used."""

    exit_code = 5


@dataclass(frozen=True)
class Batch:
    """One issue of an oficio: its number, version and the content it was made from."""

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


@dataclass(frozen=True)
class Found:
    """What the register knows of a file: its letter, batch and format."""

    batch: Batch
    clave: str
    destinatario: str
    codigo: str
    formato: str
    ruta: str
    sha256: str


def _open_readonly(path: Path) -> sqlite3.Connection:
    uri = path.resolve().as_uri()
    try:
        db = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30)
        db.execute("SELECT COUNT(*) FROM lotes").fetchone()
    except sqlite3.OperationalError:
        # On read-only media SQLite cannot create the WAL's shared-memory file; a register
        # nobody is writing to can then be read as immutable.
        db = sqlite3.connect(f"{uri}?immutable=1", uri=True)
    db.row_factory = sqlite3.Row
    return db


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




class Register:
    """A connection to the register database; creates it (and its folder) on first use.

    `readonly` opens an existing register without writing to it (verification years later,
    from an archive on read-only media).
    """

    def __init__(self, path: str | Path, readonly: bool = False) -> None:
        self.path = Path(path)
        try:
            if readonly:
                self._db = _open_readonly(self.path)
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL cannot corrupt the file; a power cut may lose the last
            # transactions, which a rerun records again. FULL fsyncs every chunk.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(SCHEMA)
        except sqlite3.Error as exc:
            raise RegisterError(f"cannot open the register: {exc}", file=self.path,
                                hint="check the path given with --register") from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        # IMMEDIATE takes the write lock at once: read-then-write sequences (next number,
        # next version) cannot interleave with another process's.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- correlative numbers -------------------------------------------------------------
    def reserve(self, series: str, year: int, note: str = "") -> int:
        """Reserves and returns the next number of a series for a year (1 for the first)."""
        series = series.strip().upper()
        if not series:
            raise RegisterError("the series name is empty", hint="e.g. oficios register next ORD")
        with self._transaction() as db:
            row = db.execute("SELECT MAX(numero) FROM numeros WHERE serie=? AND anio=?",
                             (series, year)).fetchone()
            number = (row[0] or 0) + 1
            db.execute("INSERT INTO numeros (serie, anio, numero, reservado_en, nota) "
                       "VALUES (?, ?, ?, ?, ?)", (series, year, number, now(), note))
        return number

    # -- batches -------------------------------------------------------------------------
    def open_batch(self, *, oficio: str, fecha: str, materia: str, plantilla_sha256: str,
                   nomina_sha256: str, comando: str, carpeta: str, reissue: bool = False,
                   reason: str = "") -> Batch:
        """The batch to record letters in: the same content continues its batch; different
        content under an existing number is refused unless it is a declared re-issue."""
        with self._transaction() as db:
            latest = db.execute("SELECT * FROM lotes WHERE oficio=? ORDER BY version DESC LIMIT 1",
                                (oficio,)).fetchone()
            if latest is not None and not reissue:
                same = (latest["plantilla_sha256"], latest["nomina_sha256"]) == (
                    plantilla_sha256, nomina_sha256)
                if same:
                    return Batch(**dict(latest))
                raise RegisterError(
                    f"{oficio} was already issued (version {latest['version']}, "
                    f"{latest['generado_en']}) with a different template or roster",
                    file=self.path,
                    hint='to issue it again, say so: --reissue --reason "why"; '
                         "or give the new letter its own number (oficios register next SERIES)")
            if reissue and not reason.strip():
                raise RegisterError("a re-issue needs a reason", file=self.path,
                                    hint='add --reason "why the oficio is issued again"')
            version = (latest["version"] + 1) if latest is not None else 1
            cursor = db.execute(
                "INSERT INTO lotes (oficio, version, fecha, materia, plantilla_sha256, "
                "nomina_sha256, comando, generado_en, motivo_reemision, carpeta) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (oficio, version, fecha, materia, plantilla_sha256, nomina_sha256, comando,
                 now(), reason.strip() if reissue else "", carpeta))
            row = db.execute("SELECT * FROM lotes WHERE id=?", (cursor.lastrowid,)).fetchone()
        return Batch(**dict(row))

    def record_letters(self, batch: Batch, letters: Iterable[tuple]) -> None:
        """Records written letters: (key, recipient, row, code, {format: (path, sha256, bytes)}).

        A letter already recorded for the batch is updated, never duplicated.
        """
        with self._transaction() as db:
            for key, recipient, row, code, files in letters:
                db.execute(
                    "INSERT INTO cartas (lote, clave, destinatario, fila, codigo, escrita_en) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (lote, clave) DO UPDATE SET "
                    "destinatario=excluded.destinatario, fila=excluded.fila, "
                    "codigo=excluded.codigo, escrita_en=excluded.escrita_en",
                    (batch.id, key, recipient, row, code, now()))
                letter_id = db.execute("SELECT id FROM cartas WHERE lote=? AND clave=?",
                                       (batch.id, key)).fetchone()[0]
                for fmt, (path, sha256, size) in files.items():
                    db.execute(
                        "INSERT INTO archivos (carta, formato, ruta, sha256, bytes) "
                        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (carta, formato) DO UPDATE SET "
                        "ruta=excluded.ruta, sha256=excluded.sha256, bytes=excluded.bytes",
                        (letter_id, fmt, str(path), sha256, size))

    def close_batch(self, batch: Batch, expected: int) -> Batch:
        """Marks the batch complete when every expected letter is recorded; returns it."""
        with self._transaction() as db:
            count = db.execute("SELECT COUNT(*) FROM cartas WHERE lote=?", (batch.id,)).fetchone()[0]
            state = "completo" if count >= expected else "incompleto"
            db.execute("UPDATE lotes SET cartas=?, estado=?, completado_en=? WHERE id=?",
                       (count, state, now() if state == "completo" else None, batch.id))
            row = db.execute("SELECT * FROM lotes WHERE id=?", (batch.id,)).fetchone()
        return Batch(**dict(row))

    # -- looking things up ---------------------------------------------------------------
    def batches(self) -> list[Batch]:
        """Every batch, newest first."""
        rows = self._db.execute("SELECT * FROM lotes ORDER BY id DESC").fetchall()
        return [Batch(**dict(r)) for r in rows]

    def batch(self, ident: str) -> list[Batch]:
        """The batches of an oficio number (every version), or the batch with that id."""
        rows = self._db.execute("SELECT * FROM lotes WHERE oficio=? OR CAST(id AS TEXT)=? "
                                "ORDER BY version", (ident, ident)).fetchall()
        return [Batch(**dict(r)) for r in rows]

    def letters(self, batch_id: int | None = None) -> list[dict]:
        """Every letter with its batch and files, one dict per letter (for listing and CSV)."""
        query = (
            "SELECT l.id AS lote, l.oficio, l.version, l.fecha, c.clave, c.destinatario, c.fila, "
            "c.codigo, c.escrita_en, "
            "MAX(CASE WHEN a.formato='pdf' THEN a.ruta END) AS pdf, "
            "MAX(CASE WHEN a.formato='pdf' THEN a.sha256 END) AS pdf_sha256, "
            "MAX(CASE WHEN a.formato='docx' THEN a.ruta END) AS docx, "
            "MAX(CASE WHEN a.formato='docx' THEN a.sha256 END) AS docx_sha256 "
            "FROM cartas c JOIN lotes l ON l.id=c.lote LEFT JOIN archivos a ON a.carta=c.id "
            + ("WHERE l.id=? " if batch_id is not None else "")
            + "GROUP BY c.id ORDER BY l.id, c.fila")
        args = (batch_id,) if batch_id is not None else ()
        return [dict(r) for r in self._db.execute(query, args).fetchall()]

    def numbers(self) -> list[dict]:
        """Every reserved correlative number."""
        rows = self._db.execute("SELECT * FROM numeros ORDER BY serie, anio, numero").fetchall()
        return [dict(r) for r in rows]

    def find_file(self, sha256: str) -> Found | None:
        """The letter whose issued file has this hash, or None."""
        return self._find("a.sha256=?", sha256)

    def find_code(self, code: str) -> Found | None:
        """The letter that carries this verification code (its PDF), or None."""
        return self._find("c.codigo=? AND a.formato='pdf'", code)

    def _find(self, where: str, value: str) -> Found | None:
        row = self._db.execute(
            "SELECT c.lote, c.clave, c.destinatario, c.codigo, a.formato, a.ruta, a.sha256 "
            f"FROM archivos a JOIN cartas c ON c.id=a.carta WHERE {where} LIMIT 1",
            (value,)).fetchone()
        if row is None:
            return None
        batch = Batch(**dict(self._db.execute("SELECT * FROM lotes WHERE id=?",
                                              (row["lote"],)).fetchone()))
        return Found(batch, row["clave"], row["destinatario"], row["codigo"], row["formato"],
                     row["ruta"], row["sha256"])
