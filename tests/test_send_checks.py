"""What is checked before anything is sent, `--dry-run` drafts, and what the template controls
(copies, reply address, the DOCX, literal roster values in the HTML)."""

from __future__ import annotations

import email
import email.policy
import hashlib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import DATA, TEMPLATE
from mailserver import (ROSTER, Mailbox, Server, deliveries, issue_letters, register_copy,
                        rows, send)
from oficios.cli import cli

issued = pytest.fixture(scope="module")(issue_letters)
register = pytest.fixture(register_copy)


def mail_template(folder: Path, correo: str, body: str | None = None) -> Path:
    """A copy of the bundled template whose [correo] table is `correo` (and body `body`)."""
    shutil.copytree(TEMPLATE, folder)
    toml = (folder / "oficio.toml").read_text("utf-8")
    toml = toml[:toml.index("[correo]")] + correo
    (folder / "oficio.toml").write_text(toml, "utf-8")
    if body is not None:
        (folder / "correo.md").write_text(body, "utf-8")
    return folder


def test_missing_and_invalid_addresses_are_listed_with_row_and_column_and_nothing_is_sent(
        register):
    mailbox = Mailbox()
    with Server(mailbox) as server:
        result = send(register, *server.options(), roster=DATA / "roster-missing-and-invalid-email.csv")
    assert result.exit_code == 2, result.output
    lines = result.output.splitlines()
    assert "3 problemas impiden enviar; no se envió nada" in lines[0]
    assert "fila 3, columna 'email': la dirección de correo está vacía" in lines[1]
    assert "fila 5, columna 'email': 'alcaldia@concepcion' no es una dirección de correo válida " \
           "(The part after the @-sign is not valid. It should have a period.)" in lines[2]
    assert "fila 9, columna 'email': 'alcaldía ñuñoa.example' no es una dirección" in lines[3]
    assert mailbox.received == []
    assert rows(register, "SELECT * FROM entregas") == []  # nothing recorded as sent


def test_check_lists_address_problems_and_still_passes_for_the_letters():
    bad = DATA / "roster-missing-and-invalid-email.csv"
    result = CliRunner().invoke(cli, ["check", "--roster", str(bad)])
    assert result.exit_code == 0, result.output
    assert "Correo: 3 problemas" in result.output
    assert "fila 3, columna 'email'" in result.output and "fila 9, columna 'email'" in result.output
    good = CliRunner().invoke(cli, ["check", "--roster", str(ROSTER)])
    assert "Correo: los 10 destinatarios tienen una dirección válida." in good.output
    bundled = CliRunner().invoke(cli, ["check"])
    assert bundled.exit_code == 0
    assert "columna 'email': la columna de correo está vacía en las 345 filas" in bundled.output


def test_dry_run_writes_one_eml_per_letter_with_the_message_id_a_real_send_uses(register):
    result = send(register, "--dry-run")
    assert result.exit_code == 0, result.output
    folder = register.parent / "salida" / "mideplan-01-a-264" / "correo"
    emls = sorted(folder.glob("*.eml"))
    assert len(emls) == 10 and "10 correos escritos para revisión" in result.output
    assert rows(register, "SELECT * FROM entregas") == []  # nothing recorded as sent
    drafts = {}
    for path in emls:
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        drafts[msg["To"]] = msg["Message-ID"]
    nunoa = email.message_from_bytes((folder / "13120-nunoa.eml").read_bytes(),
                                     policy=email.policy.default)
    [pdf] = list(nunoa.iter_attachments())
    assert pdf.get_filename() == "13120-nunoa.pdf"
    mailbox = Mailbox()
    with Server(mailbox) as server:
        assert send(register, *server.options()).exit_code == 0
    sent = {r.message["To"]: r.message["Message-ID"] for r in mailbox.received}
    assert sent == drafts


def test_cc_reply_to_and_the_docx_come_from_the_template_and_values_stay_literal(
        register, tmp_path):
    folder = mail_template(tmp_path / "plantilla", (
        '[correo]\ncolumna = "email"\nasunto = "{{ numero }} para {{ municipalidad }}"\n'
        'cc = ["archivo@mideplan.example", "gabinete@mideplan.example"]\n'
        'responder_a = "oficina.partes@mideplan.example"\nadjuntar_docx = true\n'),
        body="Para {{ municipalidad }} de {{ region }}: *código* {{ codigo_verificacion }}.\n")
    roster = tmp_path / "nomina.csv"
    text = ROSTER.read_text("utf-8").replace("Región de Los Lagos", "<b>Los Lagos</b> & **co**")
    roster.write_text(text, "utf-8")
    mailbox = Mailbox()
    with Server(mailbox) as server:
        result = send(register, *server.options(), "--only", "10101,13120", template=folder,
                      roster=roster)
    assert result.exit_code == 0, result.output
    assert len(mailbox.received) == 2
    by_to = mailbox.by_recipient()
    received = by_to["alcaldia@puerto-montt.example"][0]
    assert received.rcpt_tos == ["alcaldia@puerto-montt.example", "archivo@mideplan.example",
                                 "gabinete@mideplan.example"]
    msg = received.message
    assert msg["Cc"] == "archivo@mideplan.example, gabinete@mideplan.example"
    assert msg["Reply-To"] == "oficina.partes@mideplan.example"
    assert msg["Subject"] == "MIDEPLAN OF. N° 01-A/264 para Puerto Montt"
    html = msg.get_body(("html",)).get_content()
    assert "de &lt;b&gt;Los Lagos&lt;/b&gt; &amp; **co**: <em>código</em>" in html
    assert "<b>Los Lagos</b> & **co**: código" in msg.get_body(("plain",)).get_content()
    files = {a.get_filename(): hashlib.sha256(a.get_content()).hexdigest()
             for a in msg.iter_attachments()}
    letters = {r["pdf"]: r for r in rows(register, (
        "SELECT p.ruta AS pdf, p.sha256 AS pdf_sha, d.ruta AS docx, d.sha256 AS docx_sha "
        "FROM cartas c JOIN archivos p ON p.carta=c.id AND p.formato='pdf' "
        "JOIN archivos d ON d.carta=c.id AND d.formato='docx' WHERE c.clave='10101'"))}
    [letter] = letters.values()
    assert files == {Path(letter["pdf"]).name: letter["pdf_sha"],
                     Path(letter["docx"]).name: letter["docx_sha"]}


def test_a_letter_changed_since_it_was_registered_is_not_sent(issued, register):
    pdf = Path(rows(register, "SELECT ruta FROM archivos WHERE formato='pdf' LIMIT 1")[0][0])
    original = pdf.read_bytes()
    mailbox = Mailbox()
    try:
        pdf.write_bytes(original + b"%")
        with Server(mailbox) as server:
            result = send(register, *server.options())
    finally:
        pdf.write_bytes(original)
    assert result.exit_code == 4, result.output
    assert "el archivo cambió desde que se registró; no se envía" in result.output
    assert mailbox.received == []


def test_recipients_without_a_registered_letter_and_bad_templates_are_refused(register, tmp_path):
    unknown = tmp_path / "nomina.csv"
    unknown.write_text(ROSTER.read_text("utf-8") + "15101,Arica,Arica,Arica,151,Región de Arica y "
                       "Parinacota,15,,,alcaldia@arica.example,\n", "utf-8")
    result = send(register, roster=unknown)
    assert result.exit_code == 2
    assert "fila 12, columna 'cut': el lote MIDEPLAN OF. N° 01-A/264 (versión 1) no tiene carta " \
           "para cut 15101" in result.output
    typo = mail_template(tmp_path / "typo", '[correo]\ncolumna = "email"\n',
                         body="Estimado {{ alcalde_nombre }}:\n")
    result = send(register, template=typo)
    assert result.exit_code == 3
    assert "el correo usa '{{ alcalde_nombre }}'" in result.output
    bad_cc = mail_template(tmp_path / "cc", '[correo]\ncc = ["archivo@"]\n')
    result = send(register, template=bad_cc)
    assert result.exit_code == 3 and "[correo] cc: 'archivo@' no es una dirección" in result.output
    unknown_key = mail_template(tmp_path / "key", '[correo]\ncolumnas = "email"\n')
    result = send(register, template=unknown_key)
    assert result.exit_code == 3
    assert "la clave 'columnas' no existe en [correo] (¿quiso decir 'columna'?" in result.output
    no_table = mail_template(tmp_path / "sin-tabla", "")
    result = send(register, template=no_table)
    assert result.exit_code == 3 and "la plantilla no tiene la tabla [correo]" in result.output
    no_body = mail_template(tmp_path / "sin-cuerpo", "[correo]\n")
    (no_body / "correo.md").unlink()
    result = send(register, template=no_body)
    assert result.exit_code == 3 and "correo.md: no existe el archivo" in result.output
    syntax = mail_template(tmp_path / "sintaxis", "[correo]\n", body="Hola\n\n{{ municipalidad \n")
    result = send(register, template=syntax)
    assert result.exit_code == 3 and "correo.md, línea 3: error de sintaxis" in result.output


def test_the_register_shows_no_deliveries_before_sending_and_each_state_after(register):
    from oficios.delivery import delivery_line, states
    from oficios.register import Register

    with Register(register, readonly=True) as db:
        batch = db.batches()[0]
        assert states(db, batch.id) == {}
    mailbox = Mailbox(on_data=lambda env: "552 5.3.4 Demasiado grande"
                      if env.rcpt_tos == ["alcaldia@nunoa.example"] else None)
    with Server(mailbox) as server:
        send(register, *server.options())
    with Register(register, readonly=True) as db:
        known = states(db, batch.id)
    assert known["13120"].state == "fallido" and known["13120"].reply == "552 5.3.4 Demasiado grande"
    assert delivery_line(known["13120"]).startswith("  correo fallido <alcaldia@nunoa.example> 20")
    assert delivery_line(known["13120"]).endswith(" (552 5.3.4 Demasiado grande)")
    assert delivery_line(known["08301"]).startswith("  correo aceptado <alcaldia@los-angeles")
    assert delivery_line(None) == ""
    assert {d.state for k, d in known.items() if k != "13120"} == {"aceptado"}
    assert len(deliveries(register)) == 10


def test_correo_md_lists_and_links_become_plain_text_and_html(tmp_path):
    from oficios.delivery.correo import MailTemplate
    from oficios.template import OficioTemplate

    folder = mail_template(tmp_path / "plantilla", '[correo]\nasunto = "Aviso {{ numero }}"\n', body=(
        "Estimada {{ municipalidad }}:\n\n- primero\n- **segundo**\n\n"
        "1. uno\n2. dos\n\nInscríbase en [la página](https://ejemplo.cl/fps) o en "
        "<https://ejemplo.cl>.\n"))
    mail = MailTemplate(OficioTemplate(folder))
    rendered = mail.render({"municipalidad": "Ñuñoa <i>", "numero": "ORD 7/2026"})
    assert rendered.subject == "Aviso ORD 7/2026"
    assert rendered.text == ("Estimada Ñuñoa <i>:\n\n- primero\n- segundo\n\n1. uno\n2. dos\n\n"
                             "Inscríbase en la página <https://ejemplo.cl/fps> o en "
                             "https://ejemplo.cl.\n")
    assert "<p>Estimada Ñuñoa &lt;i&gt;:</p>" in rendered.html
    assert "<ul><li>primero</li><li><strong>segundo</strong></li></ul>" in rendered.html
    assert "<ol><li>uno</li><li>dos</li></ol>" in rendered.html
    assert '<a href="https://ejemplo.cl/fps">la página</a>' in rendered.html


def test_the_code_in_a_message_id_finds_its_letter_in_the_register(register):
    from oficios.register import Register

    mailbox = Mailbox()
    with Server(mailbox) as server:
        assert send(register, *server.options(), "--only", "12201").exit_code == 0
    [received] = mailbox.received
    code = received.message["Message-ID"].strip("<>").split(".")[0]
    assert code == received.message["X-Oficios-Codigo"]
    with Register(register, readonly=True) as db:
        found = db.find_code(code)
    assert (found.clave, found.destinatario) == ("12201", "Cabo de Hornos")
    [attachment] = list(received.message.iter_attachments())
    assert hashlib.sha256(attachment.get_content()).hexdigest() == found.sha256


def test_an_uncertain_email_is_skipped_until_confirmed_or_resent(register):
    """A row left 'enviando' (the process stopped between the server's 250 and the record):
    reruns list it and send the rest; --confirm-delivered records it once found delivered."""
    import sqlite3

    mailbox = Mailbox()
    with Server(mailbox) as server:
        assert send(register, *server.options(), "--only", "05101").exit_code == 0
        db = sqlite3.connect(register)
        with db:
            db.execute("UPDATE entregas SET estado='enviando'")
        db.close()
        rerun = send(register, *server.options())
        assert rerun.exit_code == 9
        assert "posiblemente entregado: 05101 Valparaíso <alcaldia@valparaiso.example>" in rerun.output
        assert "9 correos aceptados" in rerun.output and "1 inciertos" in rerun.output
        wrong = send(register, "--confirm-delivered", "13120")
        assert wrong.exit_code == 9 and "no están inciertas ('enviando'): 13120" in wrong.output
        confirmed = send(register, "--confirm-delivered", "05101")
        assert confirmed.exit_code == 0, confirmed.output
        last = send(register, *server.options())
    assert last.exit_code == 0 and "10 ya aceptados antes" in last.output
    assert len(mailbox.received) == 10
    row = deliveries(register)["05101"]
    assert row["estado"] == "aceptado" and row["respuesta"].startswith("confirmado a mano 20")
