"""Deliveries in the register: the `entregas` table, one row per letter sent by e-mail.

A row moves pendiente -> enviando -> aceptado (or fallido). 'enviando' is committed after the
server accepted the envelope and before the message's data is sent; 'aceptado' after the
server's 250 reply. A row left in 'enviando' is the one uncertain case (see `UNCERTAIN`).
The table lives in the register's SQLite file, on the register's connection.

Durability: 'enviando' is committed with synchronous=FULL (fsync'd) before any message data
leaves, so even a power cut cannot turn a message the server may have into 'pendiente' (which
a rerun would send again). 'aceptado' is committed without its own fsync: a killed process
keeps it (it is in the WAL), and the next 'enviando' fsyncs it; a power cut can lose only the
last one, which then reads 'enviando' — uncertain, reported, never silently resent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from oficios.i18n import N_, gettext as _
from oficios.register import Register, now

PENDING, SENDING, ACCEPTED, FAILED = "pendiente", "enviando", "aceptado", "fallido"
UNCERTAIN = SENDING  # the server may have accepted it: the process stopped before recording
# A delivery's state as a person reads it (the register keeps the Spanish words above).
STATE_NAMES = {PENDING: N_("pending"), SENDING: N_("sending"), ACCEPTED: N_("accepted"),
               FAILED: N_("failed")}
# The table `entregas` is made by the register's migrations (oficios.register.MIGRATIONS).


@dataclass(frozen=True)
class Delivery:
    """What the register knows of one letter's e-mail."""

    letter_id: int
    key: str
    address: str
    message_id: str
    state: str
    attempts: int
    reply: str
    updated: str


@dataclass(frozen=True)
class RegisteredLetter:
    """A letter of a batch as the register records it, with its files (None if not written)."""

    id: int
    key: str
    name: str
    row: int
    code: str
    pdf: str | None
    pdf_sha256: str | None
    docx: str | None
    docx_sha256: str | None


class Ledger:
    """The deliveries of a register (its table `entregas`)."""

    def __init__(self, register: Register) -> None:
        # The register owns the connection (autocommit, WAL); this table adds its own rows.
        self.register = register
        self.db = register._db
        self._synchronous = ""

    def _write(self, sql: str, args: tuple, fsync: bool = True) -> int:
        mode = "FULL" if fsync else "NORMAL"
        if mode != self._synchronous:  # a connection setting, changed between transactions
            self.db.execute(f"PRAGMA synchronous={mode}")
            self._synchronous = mode
        self.db.execute("BEGIN IMMEDIATE")
        try:
            count = self.db.execute(sql, args).rowcount
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        return count

    def ensure(self, items: Iterable[tuple[int, int, str, str]]) -> None:
        """Records (letter id, version, address, message id) as pending unless already there.

        An address corrected in the roster replaces the recorded one while nothing was sent.
        """
        stamp = now()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for letter_id, version, address, message_id in items:
                self.db.execute(
                    "INSERT INTO entregas (carta, version, direccion, message_id, creada_en, "
                    "actualizada_en) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (carta) DO UPDATE SET "
                    "direccion=excluded.direccion, actualizada_en=excluded.actualizada_en "
                    f"WHERE estado IN ('{PENDING}', '{FAILED}') AND direccion<>excluded.direccion",
                    (letter_id, version, address, message_id, stamp, stamp))
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def deliveries(self, batch_id: int) -> dict[str, Delivery]:
        """The batch's deliveries by letter key (letters never sent have none)."""
        return states(self.register, batch_id)

    def sending(self, letter_id: int, resend_uncertain: bool = False) -> bool:
        """Marks a letter's e-mail as being sent; False if it is not this process's to send
        (accepted meanwhile, or another process is sending it)."""
        states = (PENDING, FAILED, SENDING) if resend_uncertain else (PENDING, FAILED)
        marks = ", ".join("?" * len(states))
        stamp = now()
        return self._write(
            f"UPDATE entregas SET estado='{SENDING}', enviando_en=?, actualizada_en=? "
            f"WHERE carta=? AND estado IN ({marks})", (stamp, stamp, letter_id, *states)) == 1

    def accepted(self, letter_id: int, reply: str) -> None:
        """The server accepted the message (its reply is kept)."""
        stamp = now()
        self._write(f"UPDATE entregas SET estado='{ACCEPTED}', intentos=intentos+1, respuesta=?, "
                    "aceptada_en=?, actualizada_en=? WHERE carta=?",
                    (reply, stamp, stamp, letter_id), fsync=False)

    def confirm(self, letter_id: int, note: str) -> bool:
        """Records as accepted an uncertain ('enviando') e-mail found delivered (by its
        Message-ID, in the server's log or a mailbox); False if it was not uncertain."""
        stamp = now()
        return self._write(f"UPDATE entregas SET estado='{ACCEPTED}', respuesta=?, aceptada_en=?, "
                           f"actualizada_en=? WHERE carta=? AND estado='{SENDING}'",
                           (note, stamp, stamp, letter_id)) == 1

    def attempt_failed(self, letter_id: int, reply: str, final: bool) -> None:
        """An attempt failed with this reply; `final` records the letter as failed, otherwise
        it stays pending for the next attempt or run."""
        state = FAILED if final else PENDING
        self._write(f"UPDATE entregas SET estado='{state}', intentos=intentos+1, respuesta=?, "
                    "actualizada_en=? WHERE carta=?", (reply, now(), letter_id))


def states(register: Register, batch_id: int) -> dict[str, Delivery]:
    """Each letter's delivery in a batch, by key ({} when nothing was sent); for `register show`."""
    has_table = register._db.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='entregas'").fetchone()
    if not has_table:  # a register from before e-mail (or opened read-only): nothing sent
        return {}
    rows = register._db.execute(
        "SELECT e.carta, c.clave, e.direccion, e.message_id, e.estado, e.intentos, "
        "e.respuesta, e.actualizada_en FROM entregas e JOIN cartas c ON c.id=e.carta "
        "WHERE c.lote=? ORDER BY c.fila", (batch_id,)).fetchall()
    return {r[1]: Delivery(*tuple(r)) for r in rows}


def registered_letters(register: Register, batch_id: int) -> dict[str, RegisteredLetter]:
    """A batch's letters by key, with their files as the register records them."""
    rows = register._db.execute(
        "SELECT c.id, c.clave, c.destinatario, c.fila, c.codigo, "
        "MAX(CASE WHEN a.formato='pdf' THEN a.ruta END), "
        "MAX(CASE WHEN a.formato='pdf' THEN a.sha256 END), "
        "MAX(CASE WHEN a.formato='docx' THEN a.ruta END), "
        "MAX(CASE WHEN a.formato='docx' THEN a.sha256 END) "
        "FROM cartas c LEFT JOIN archivos a ON a.carta=c.id WHERE c.lote=? "
        "GROUP BY c.id ORDER BY c.fila", (batch_id,)).fetchall()
    return {r[1]: RegisteredLetter(*tuple(r)) for r in rows}


def delivery_line(delivery: Delivery | None) -> str:
    """A letter's e-mail for `register show`: '  correo aceptado <address> 2026-…' ('' if none)."""
    if delivery is None:
        return ""
    line = _("  e-mail {state} <{address}> {updated}").format(
        state=state_text(delivery.state), address=delivery.address, updated=delivery.updated)
    if delivery.state != ACCEPTED and delivery.reply:
        line += f" ({delivery.reply})"
    return line


def state_text(state: str) -> str:
    """A delivery's register state in the user's language (unknown states as stored)."""
    return _(STATE_NAMES[state]) if state in STATE_NAMES else state
