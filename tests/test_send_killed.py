"""Never twice, never lost: `oficios send` killed mid-batch (a real process, SIGKILL) and rerun."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from mailserver import ROSTER, SENDER, Mailbox, Server, deliveries, issue_letters, register_copy, send
from conftest import TEMPLATE

issued = pytest.fixture(scope="module")(issue_letters)
register = pytest.fixture(register_copy)
pytestmark = pytest.mark.slow


def start_send(register, server: Server) -> subprocess.Popen:
    """`python -m oficios send` as its own process, as a clerk runs it."""
    return subprocess.Popen(
        [sys.executable, "-m", "oficios", "send", "--template", str(TEMPLATE), "--roster",
         str(ROSTER), "--output", str(register.parent / "salida"), "--register", str(register),
         "--sender", SENDER, *server.options()],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=register.parent)


def kill(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def killed(process: subprocess.Popen) -> bool:
    """Waits for the process; True when it ended by SIGKILL (its output is shown otherwise)."""
    output, _ = process.communicate(timeout=120)
    if process.returncode != -signal.SIGKILL:
        print(output.decode("utf-8", "replace"))
    return process.returncode == -signal.SIGKILL


def test_killed_between_messages_then_rerun_every_recipient_gets_exactly_one(register):
    process = []

    def on_mail(accepted):
        if accepted == 4:  # four messages accepted: the process dies as the fifth begins
            kill(process[0])
            return "451 4.3.2 cerrando"
        return None

    mailbox = Mailbox(on_mail=on_mail)
    with Server(mailbox) as server:
        process.append(start_send(register, server))
        assert killed(process[0])
        assert len(mailbox.received) == 4
        states = [r["estado"] for r in deliveries(register).values()]
        assert states.count("aceptado") == 4 and states.count("pendiente") == 6
        mailbox.on_mail = None
        rerun = send(register, *server.options())
    assert rerun.exit_code == 0, rerun.output
    assert "6 correos aceptados" in rerun.output and "4 ya aceptados antes" in rerun.output
    by_to = mailbox.by_recipient()
    assert len(by_to) == 10 and all(len(v) == 1 for v in by_to.values())


def test_killed_after_the_server_accepted_but_before_the_record_is_reported_not_resent(register):
    """The one window: the server took the message, the process died before writing
    'aceptado'. The rerun cannot know; it says so with the Message-ID and sends the others."""
    process, uncertain = [], []

    def on_data(envelope):
        if len(mailbox.received) == 5 and not uncertain:
            mailbox.received.append(type(mailbox.received[0])(
                envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
            uncertain.append(envelope.rcpt_tos[0])
            kill(process[0])  # accepted, but the client never hears the 250
            return "250 2.0.0 Ok: queued as Q0006"
        return None

    mailbox = Mailbox(on_data=on_data)
    with Server(mailbox) as server:
        process.append(start_send(register, server))
        assert killed(process[0])
        row = next(r for r in deliveries(register).values() if r["direccion"] == uncertain[0])
        assert row["estado"] == "enviando"
        mailbox.on_data = None
        rerun = send(register, *server.options())
        assert rerun.exit_code == 9
        assert f"posiblemente entregado: {row['clave']}" in rerun.output
        assert row["message_id"] in rerun.output and "--resend-uncertain" in rerun.output
        assert "4 correos aceptados" in rerun.output and "1 inciertos" in rerun.output
        by_to = mailbox.by_recipient()
        assert len(by_to) == 10 and all(len(v) == 1 for v in by_to.values())
        # Found in the server's log by its Message-ID: the clerk knows it arrived. Had it not,
        # --resend-uncertain sends it again with the same Message-ID, so a copy is recognizable.
        first = by_to[uncertain[0]][0].message["Message-ID"]
        assert first == row["message_id"]
        again = send(register, *server.options(), "--resend-uncertain")
    assert again.exit_code == 0, again.output
    copies = mailbox.by_recipient()[uncertain[0]]
    assert [c.message["Message-ID"] for c in copies] == [first, first]
    assert {r["estado"] for r in deliveries(register).values()} == {"aceptado"}
