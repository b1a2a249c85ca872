"""A real SMTP server on 127.0.0.1 for the e-mail tests (aiosmtpd in a thread).

`Mailbox` is the server's handler: it keeps every accepted message and can be told to answer
otherwise (a 451 or 552 reply, a dropped connection) through hooks, so tests provoke each
failure a real server gives.
"""

from __future__ import annotations

import email
import email.policy
import shutil
import socket
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from conftest import DATA, TEMPLATE
from oficios.cli import cli

DROP = "drop"  # a hook's answer that closes the connection instead of replying


@dataclass
class Received:
    """One message the server accepted: envelope sender, recipients and the message bytes."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self):
        return email.message_from_bytes(self.data, policy=email.policy.default)


class Mailbox:
    """Handler keeping accepted messages. Hooks return a reply text, DROP, or None (accept).

    `on_mail(count)` sees MAIL FROM (count = messages accepted so far); `on_rcpt(address)`
    each RCPT TO; `on_data(envelope)` the message before it is accepted.
    """

    def __init__(self, on_mail: Callable | None = None, on_rcpt: Callable | None = None,
                 on_data: Callable | None = None) -> None:
        self.received: list[Received] = []
        self.on_mail, self.on_rcpt, self.on_data = on_mail, on_rcpt, on_data
        self.lock = threading.Lock()

    @staticmethod
    def _answer(server, reply):
        if reply == DROP:
            server.transport.close()
            return "421 4.4.2 conexión cerrada"
        return reply

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        reply = self.on_mail(len(self.received)) if self.on_mail else None
        if reply:
            return self._answer(server, reply)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.on_rcpt(address) if self.on_rcpt else None
        if reply:
            return self._answer(server, reply)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = self.on_data(envelope) if self.on_data else None
        if reply:
            return self._answer(server, reply)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                          envelope.content))
            number = len(self.received)
        return f"250 2.0.0 Ok: queued as Q{number:04d}"

    def by_recipient(self) -> dict[str, list[Received]]:
        """Accepted messages by To address (first envelope recipient)."""
        out: dict[str, list[Received]] = {}
        for item in self.received:
            out.setdefault(item.rcpt_tos[0], []).append(item)
        return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """An aiosmtpd Controller on a free port of 127.0.0.1; use as a context manager."""

    def __init__(self, mailbox: Mailbox, **smtp_options) -> None:
        from aiosmtpd.controller import Controller

        self.mailbox = mailbox
        self.port = free_port()
        self.controller = Controller(mailbox, hostname="127.0.0.1", port=self.port,
                                     **smtp_options)

    def __enter__(self) -> Server:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    def options(self) -> list[str]:
        """`oficios send` options reaching this server without encryption."""
        return ["--host", "127.0.0.1", "--port", str(self.port), "--security", "none"]


# -- the issued batch the e-mail tests send ------------------------------------------------
ROSTER = DATA / "roster-ten-municipalities-with-email.csv"
SENDER = "oficina.partes@mideplan.example"


def issue_letters(tmp_path_factory):
    """Fixture: the ten letters generated and registered once; tests send from register copies."""
    from oficios.pipeline import Job, generate

    out = tmp_path_factory.mktemp("issued")
    result = generate(Job(template=TEMPLATE, roster=ROSTER, output=out, workers=1))
    return result


def register_copy(issued, tmp_path) -> Path:
    """Fixture: a fresh copy of the issued batch's register (its files stay where they were)."""
    copy = tmp_path / "registro.sqlite"
    shutil.copy(issued.register, copy)
    return copy


def send(register: Path, *args: str, roster: Path = ROSTER, template: Path = TEMPLATE):
    """Runs `oficios send` in-process on the issued batch; returns click's result."""
    output = register.parent / "salida"
    return CliRunner().invoke(cli, ["send", "--template", str(template), "--roster", str(roster),
                                    "--output", str(output), "--register", str(register),
                                    "--sender", SENDER, "--backoff", "0.01", *args])


def rows(register: Path, query: str) -> list[sqlite3.Row]:
    db = sqlite3.connect(register)
    db.row_factory = sqlite3.Row
    try:
        return db.execute(query).fetchall()
    finally:
        db.close()


def deliveries(register: Path) -> dict[str, sqlite3.Row]:
    """Each letter's delivery row with the letter's key, code, files and hashes."""
    return {r["clave"]: r for r in rows(register, (
        "SELECT c.clave, c.codigo, e.*, a.ruta AS pdf, a.sha256 AS pdf_sha256 FROM entregas e "
        "JOIN cartas c ON c.id=e.carta JOIN archivos a ON a.carta=c.id AND a.formato='pdf'"))}


def roster_addresses() -> dict[str, str]:
    import csv

    with open(ROSTER, encoding="utf-8") as f:
        return {r["cut"]: r["email"] for r in csv.DictReader(f)}
