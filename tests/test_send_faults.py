"""`oficios send` against servers that misbehave as real ones do: 451 then OK, a dropped
connection, STARTTLS with AUTH, a 552; after each, every recipient has exactly one message."""

from __future__ import annotations

import datetime as dt
import ipaddress

import pytest

from mailserver import DROP, Mailbox, Server, deliveries, issue_letters, register_copy, send

issued = pytest.fixture(scope="module")(issue_letters)
register = pytest.fixture(register_copy)
ADDRESSES = 10


def exactly_one_each(mailbox: Mailbox) -> bool:
    by_to = mailbox.by_recipient()
    return len(by_to) == ADDRESSES and all(len(v) == 1 for v in by_to.values())


def test_451_to_some_recipients_is_retried_with_backoff_until_accepted(register):
    refused = {"alcaldia@nunoa.example": 2, "alcaldia@los-angeles.example": 1}

    def on_rcpt(address):
        if refused.get(address):
            refused[address] -= 1
            return "451 4.7.1 Intente más tarde"
        return None

    mailbox = Mailbox(on_rcpt=on_rcpt)
    with Server(mailbox) as server:
        result = send(register, *server.options())
    assert result.exit_code == 0, result.output
    assert exactly_one_each(mailbox)
    rows = deliveries(register)
    assert rows["13120"]["intentos"] == 3 and rows["08301"]["intentos"] == 2
    assert {rows[k]["intentos"] for k in rows if k not in ("13120", "08301")} == {1}
    assert {r["estado"] for r in rows.values()} == {"aceptado"}


def test_451_that_never_ends_fails_the_letter_after_the_attempts_and_a_rerun_sends_it(register):
    mailbox = Mailbox(on_rcpt=lambda a: "451 4.3.0 Buzón ocupado" if "nunoa" in a else None)
    with Server(mailbox) as server:
        result = send(register, *server.options(), "--attempts", "3")
        assert result.exit_code == 9
        assert "fallido: 13120 Ñuñoa <alcaldia@nunoa.example>: 451 4.3.0 Buzón ocupado" in result.output
        row = deliveries(register)["13120"]
        assert (row["estado"], row["intentos"], row["respuesta"]) == ("fallido", 3,
                                                                        "451 4.3.0 Buzón ocupado")
        mailbox.on_rcpt = None
        again = send(register, *server.options())
    assert again.exit_code == 0, again.output
    assert "1 correos aceptados" in again.output and "9 ya aceptados antes" in again.output
    assert exactly_one_each(mailbox)


@pytest.mark.parametrize("stage", ["mail", "data"])
def test_a_connection_dropped_mid_batch_is_reopened_and_the_batch_completes(register, stage):
    dropped = []

    def drop_once(*_):
        if len(mailbox.received) == 4 and not dropped:
            dropped.append(True)
            return DROP
        return None

    mailbox = Mailbox(on_mail=drop_once if stage == "mail" else None,
                      on_data=drop_once if stage == "data" else None)
    with Server(mailbox) as server:
        result = send(register, *server.options())
    assert result.exit_code == 0, result.output
    assert dropped and exactly_one_each(mailbox)
    attempts = sorted(r["intentos"] for r in deliveries(register).values())
    assert attempts == [1] * 9 + [2]


def test_a_552_is_recorded_as_failed_with_the_servers_text_and_the_rest_is_sent(register):
    too_big = "552 5.3.4 Mensaje demasiado grande para este sistema"
    mailbox = Mailbox(on_data=lambda env: too_big if env.rcpt_tos == ["alcaldia@nunoa.example"]
                      else None)
    with Server(mailbox) as server:
        result = send(register, *server.options())
        assert result.exit_code == 9
        assert f"fallido: 13120 Ñuñoa <alcaldia@nunoa.example>: {too_big}" in result.output
        assert "1 de 10 correos no están confirmados como aceptados" in result.output
        rows = deliveries(register)
        assert (rows["13120"]["estado"], rows["13120"]["intentos"],
                rows["13120"]["respuesta"]) == ("fallido", 1, too_big)
        assert len(mailbox.received) == 9
        mailbox.on_data = None  # the postmaster raised the limit
        again = send(register, *server.options())
    assert again.exit_code == 0
    assert exactly_one_each(mailbox)


def self_signed(tmp_path):
    """A key and a self-signed certificate for 127.0.0.1, as PEM files (made with cryptography)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "servidor.pem", tmp_path / "servidor.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def tls_server(tmp_path, mailbox, logins: list, implicit: bool = False) -> tuple[Server, str]:
    import ssl

    from aiosmtpd.smtp import AuthResult

    cert_file, key_file = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login, auth_data.password) == (b"oficina", "clave-de-prueba ñ".encode())
        logins.append((ok, session.ssl is not None))
        return AuthResult(success=ok, handled=False)

    # aiosmtpd's auth_require_tls knows only STARTTLS: with implicit TLS the whole session is
    # encrypted, so it is turned off there (the authenticator still records session.ssl).
    tls = {"ssl_context": context, "auth_require_tls": False} if implicit else {
        "tls_context": context, "require_starttls": True, "auth_require_tls": True}
    return Server(mailbox, authenticator=authenticator, **tls), str(cert_file)


def test_a_server_requiring_starttls_and_auth_gets_both_and_a_wrong_password_sends_nothing(
        register, tmp_path, monkeypatch):
    mailbox, logins = Mailbox(), []
    server, cafile = tls_server(tmp_path, mailbox, logins)
    options = ["--host", "127.0.0.1", "--port", str(server.port), "--security", "starttls",
               "--cafile", cafile, "--user", "oficina"]
    with server:
        plain = send(register, "--host", "127.0.0.1", "--port", str(server.port),
                     "--security", "none")
        assert plain.exit_code == 9 and "530" in plain.output and "--security" in plain.output
        assert {r["estado"] for r in deliveries(register).values()} == {"pendiente"}
        monkeypatch.setenv("OFICIOS_SMTP_CLAVE", "equivocada")
        wrong = send(register, *options)
        assert wrong.exit_code == 9
        assert "rechazó el usuario o la contraseña" in wrong.output
        assert "OFICIOS_SMTP_CLAVE" in wrong.output and "Traceback" not in wrong.output
        assert mailbox.received == []
        assert {r["estado"] for r in deliveries(register).values()} == {"pendiente"}
        monkeypatch.delenv("OFICIOS_SMTP_CLAVE")
        missing = send(register, *options)
        assert missing.exit_code == 9 and "OFICIOS_SMTP_CLAVE" in missing.output
        monkeypatch.setenv("OFICIOS_SMTP_CLAVE", "clave-de-prueba ñ")
        result = send(register, *options)
    assert result.exit_code == 0, result.output
    assert exactly_one_each(mailbox)
    # Logged in over TLS, once: one connection for the whole batch.
    assert [login for login in logins if login[0]] == [(True, True)]


def test_implicit_tls_with_auth_and_an_untrusted_certificate_is_a_clear_error(
        register, tmp_path, monkeypatch):
    mailbox, logins = Mailbox(), []
    server, cafile = tls_server(tmp_path, mailbox, logins, implicit=True)
    monkeypatch.setenv("OFICIOS_SMTP_CLAVE", "clave-de-prueba ñ")
    options = ["--host", "127.0.0.1", "--port", str(server.port), "--security", "tls",
               "--user", "oficina"]
    with server:
        untrusted = send(register, *options)
        assert untrusted.exit_code == 9 and "no se pudo establecer TLS" in untrusted.output
        result = send(register, *options, "--cafile", cafile)
    assert result.exit_code == 0, result.output
    assert exactly_one_each(mailbox)
    assert sum(ok for ok, _ in logins) == 1  # one connection (aiosmtpd's session.ssl is None)


def test_an_address_the_server_refuses_is_corrected_in_the_roster_and_the_rerun_uses_it(
        register, tmp_path):
    from mailserver import ROSTER

    mailbox = Mailbox(on_rcpt=lambda a: "550 5.1.1 No existe ese buzón" if "nunoa" in a else None)
    with Server(mailbox) as server:
        result = send(register, *server.options())
        assert result.exit_code == 9 and "550 5.1.1 No existe ese buzón" in result.output
        before = deliveries(register)["13120"]
        assert (before["estado"], before["intentos"]) == ("fallido", 1)
        corrected = tmp_path / "nomina-corregida.csv"
        corrected.write_text(ROSTER.read_text("utf-8").replace(
            "alcaldia@nunoa.example", "Alcaldia@Comuna-13120.example"), "utf-8")
        again = send(register, *server.options(), roster=corrected)
    assert again.exit_code == 0, again.output
    after = deliveries(register)["13120"]
    assert after["direccion"] == "Alcaldia@comuna-13120.example"
    assert after["message_id"] == before["message_id"] and after["estado"] == "aceptado"
    [message] = mailbox.by_recipient()["Alcaldia@comuna-13120.example"]
    assert message.message["Message-ID"] == before["message_id"]
    assert len(mailbox.received) == 10
