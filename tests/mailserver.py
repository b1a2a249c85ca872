"""A real SMTP server on 127.0.0.1 for the e-mail tests (aiosmtpd in a thread).

`Mailbox` is the server's handler: it keeps every accepted message and can be told to answer
otherwise (a 451 or 552 reply, a dropped connection) through hooks, so tests provoke each
failure a real server gives.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

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
