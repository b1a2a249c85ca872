"""`oficios send`: each letter of a registered batch e-mailed to a real SMTP server (aiosmtpd on
127.0.0.1), checked against the register, and a rerun that sends nothing twice."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import TEMPLATE
from mailserver import (ROSTER, SENDER, Mailbox, Server, deliveries, issue_letters,
                        register_copy, roster_addresses, send)
from oficios.cli import cli

SUBJECT = ("MIDEPLAN OF. N° 01-A/264: Informa Encuentro Nacional del Sistema Intersectorial de "
           "Protección Social.")
issued = pytest.fixture(scope="module")(issue_letters)
register = pytest.fixture(register_copy)

def test_each_letter_reaches_its_recipient_with_the_registered_pdf_and_a_traceable_message_id(
        register):
    mailbox = Mailbox()
    with Server(mailbox) as server:
        result = send(register, *server.options())
    assert result.exit_code == 0, result.output
    assert "10 correos aceptados" in result.output
    addresses = roster_addresses()
    recorded = deliveries(register)
    assert len(mailbox.received) == 10 and len(recorded) == 10
    for received in mailbox.received:
        msg = received.message
        key = next(k for k, a in addresses.items() if a == received.rcpt_tos[0])
        row = recorded[key]
        assert received.rcpt_tos == [addresses[key]] and msg["To"] == addresses[key]
        assert received.mail_from == SENDER and msg["From"] == SENDER
        assert msg["Subject"] == SUBJECT
        assert msg["Message-ID"] == row["message_id"]
        assert row["codigo"] in msg["Message-ID"] and f".v1.{key}." in msg["Message-ID"]
        assert msg["X-Oficios-Codigo"] == row["codigo"]
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        assert "Ilustre Municipalidad de" in text and row["codigo"] in text
        assert "<strong>MIDEPLAN OF. N° 01-A/264</strong>" in html
        [attachment] = list(msg.iter_attachments())
        assert attachment.get_filename() == Path(row["pdf"]).name
        assert attachment.get_content_type() == "application/pdf"
        assert hashlib.sha256(attachment.get_content()).hexdigest() == row["pdf_sha256"]
        assert (row["estado"], row["intentos"]) == ("aceptado", 1)
        assert row["respuesta"].startswith("250 2.0.0 Ok: queued as Q")
        assert row["direccion"] == addresses[key]
    nunoa = mailbox.by_recipient()["alcaldia@nunoa.example"][0].message
    assert "Ilustre Municipalidad de Ñuñoa" in nunoa.get_body(("plain",)).get_content()


def test_a_rerun_sends_nothing_already_accepted_and_status_shows_each_letter(register):
    mailbox = Mailbox()
    with Server(mailbox) as server:
        assert send(register, *server.options(), "--only", "13120,08301").exit_code == 0
        assert len(mailbox.received) == 2
        again = send(register, *server.options())
        assert again.exit_code == 0, again.output
        assert "8 correos aceptados" in again.output and "2 ya aceptados antes" in again.output
        third = send(register, *server.options())
    assert "0 correos aceptados" in third.output and "10 ya aceptados antes" in third.output
    assert sorted(len(v) for v in mailbox.by_recipient().values()) == [1] * 10
    status = send(register, "--status")
    assert status.exit_code == 0, status.output
    assert "13120  aceptado  alcaldia@nunoa.example  <" in status.output
    assert "10 aceptado" in status.output
    shown = CliRunner().invoke(cli, ["register", "show", "1", "--register", str(register)])
    assert shown.exit_code == 0, shown.output
    nunoa = next(line for line in shown.output.splitlines() if line.strip().startswith("13120"))
    assert "correo aceptado <alcaldia@nunoa.example>" in nunoa


def test_rate_spaces_the_messages_and_a_settings_file_gives_the_server(register, tmp_path):
    import time

    arrivals = []

    def on_mail(accepted):  # MAIL FROM is the first command of each message
        arrivals.append(time.monotonic())

    mailbox = Mailbox(on_mail=on_mail)
    with Server(mailbox) as server:
        settings = tmp_path / "smtp.toml"
        settings.write_text(f'[smtp]\nhost = "127.0.0.1"\nport = {server.port}\nsecurity = "none"\n'
                            f'sender = "{SENDER}"\nrate = 20\n', "utf-8")
        output = register.parent / "salida"
        result = CliRunner().invoke(cli, [
            "send", "--template", str(TEMPLATE), "--roster", str(ROSTER), "--output", str(output),
            "--register", str(register), "--settings", str(settings)])
    assert result.exit_code == 0, result.output
    assert len(mailbox.received) == 10
    # 20 a second: message starts 50 ms apart at least. The first one also opens the
    # connection, and each MAIL FROM arrives a moment after its start: allow for that.
    assert arrivals[-1] - arrivals[1] >= 8 / 20 - 0.05


def test_a_password_in_the_settings_file_is_refused(register, tmp_path):
    settings = tmp_path / "smtp.toml"
    settings.write_text('[smtp]\nhost = "smtp.ejemplo.cl"\nuser = "oficina"\npassword = "x"\n', "utf-8")
    result = send(register, "--settings", str(settings))
    assert result.exit_code == 9
    assert "la contraseña no se guarda en el archivo de configuración" in result.output
    assert "OFICIOS_SMTP_CLAVE" in result.output
