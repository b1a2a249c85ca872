"""Staff accounts: names and argon2 password hashes, and the server's session secret.

Kept in their own SQLite file beside the register (`usuarios-web.sqlite`), table `usuarios`
created with CREATE TABLE IF NOT EXISTS. argon2-cffi hashes and checks passwords.
"""

from __future__ import annotations

import secrets
import sqlite3
import unicodedata
from pathlib import Path

from oficios.errors import OficiosError
from oficios.i18n import gettext as _
from oficios.register import now

SCHEMA = """
CREATE TABLE IF NOT EXISTS usuarios (
    nombre TEXT PRIMARY KEY, clave_hash TEXT NOT NULL, creado_en TEXT NOT NULL,
    activo INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS ajustes (nombre TEXT PRIMARY KEY, valor TEXT NOT NULL);
"""
MIN_PASSWORD = 10


class AccountError(OficiosError):
    """An account cannot be created or the accounts file cannot be used."""


class Accounts:
    """The accounts file; created (with its folder) on first use."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                       check_same_thread=False)
            self._db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise AccountError(_("cannot open the accounts file: {reason}").format(reason=exc),
                               file=self.path, hint=_("check the folder's permissions")) from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Accounts:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def add(self, name: str, password: str) -> None:
        """Creates an account, or sets a new password for an existing one."""
        from argon2 import PasswordHasher

        name = normalize_name(name)
        if not name:
            raise AccountError(_("the user name is empty"), hint=_("e.g. oficios user add mperez"))
        if len(password) < MIN_PASSWORD:
            raise AccountError(_("the password is shorter than {count} characters").format(
                count=MIN_PASSWORD), hint=_("choose a longer one"))
        digest = PasswordHasher().hash(password)
        self._db.execute(
            "INSERT INTO usuarios (nombre, clave_hash, creado_en) VALUES (?, ?, ?) "
            "ON CONFLICT (nombre) DO UPDATE SET clave_hash=excluded.clave_hash, activo=1",
            (name, digest, now()))

    def check(self, name: str, password: str) -> str | None:
        """The account's name if the password is right, None otherwise (for any reason)."""
        from argon2 import PasswordHasher
        from argon2.exceptions import InvalidHashError, VerificationError

        name = normalize_name(name)
        row = self._db.execute("SELECT clave_hash FROM usuarios WHERE nombre=? AND activo=1",
                               (name,)).fetchone()
        hasher = PasswordHasher()
        if row is None:
            # Spend the same time as for a real account: no telling which names exist.
            _dummy_verify(password)
            return None
        try:
            hasher.verify(row[0], password)
        except (VerificationError, InvalidHashError):
            return None
        if hasher.check_needs_rehash(row[0]):
            self._db.execute("UPDATE usuarios SET clave_hash=? WHERE nombre=?",
                             (hasher.hash(password), name))
        return name

    def names(self) -> list[str]:
        """The active accounts' names."""
        return [r[0] for r in self._db.execute(
            "SELECT nombre FROM usuarios WHERE activo=1 ORDER BY nombre")]

    def secret(self) -> str:
        """The key that signs session cookies: made once, kept, so sessions outlive restarts."""
        self._db.execute("INSERT OR IGNORE INTO ajustes (nombre, valor) VALUES ('secreto', ?)",
                         (secrets.token_urlsafe(48),))
        return self._db.execute("SELECT valor FROM ajustes WHERE nombre='secreto'").fetchone()[0]


def normalize_name(name: str) -> str:
    """A user name as stored: NFC, trimmed, lower case."""
    return unicodedata.normalize("NFC", name).strip().lower()


_dummy: list[str] = []


def _dummy_hash() -> str:
    from argon2 import PasswordHasher

    if not _dummy:
        _dummy.append(PasswordHasher().hash(secrets.token_hex(8)))
    return _dummy[0]


def _dummy_verify(password: str) -> None:
    from argon2 import PasswordHasher
    from argon2.exceptions import VerificationError

    try:
        PasswordHasher().verify(_dummy_hash(), password)
    except VerificationError:
        pass
