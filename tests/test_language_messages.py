"""Every message in one language: signing, e-mail, template and cluster errors read in English
under LANG=en_US.UTF-8, with no Spanish word of the old message left on the line, and in
Spanish by default (the real `oficios` program in a subprocess, as a clerk runs it)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DATA, ROOT, TEMPLATE
from oficios import i18n

ENGLISH = "en_US.UTF-8"
SPANISH = "C.UTF-8"  # says nothing of a language: the default, Spanish
MAIL_ROSTER = DATA / "roster-ten-municipalities-with-email.csv"


def oficios(*args: str, lang: str, env: dict | None = None,
            setup: str = "") -> subprocess.CompletedProcess:
    """`python -m oficios ARGS` with LANG=lang and no other language variable; `setup` is
    Python run first in that process (e.g. a shorter timeout)."""
    environ = {k: v for k, v in os.environ.items()
               if k not in ("OFICIOS_LANG", "LC_ALL", "LC_MESSAGES")}
    environ.update(env or {}, LANG=lang)
    program = ["-m", "oficios"] if not setup else [
        "-c", f"import sys; {setup}; from oficios.cli import main; sys.argv[0] = 'oficios'; main()"]
    return subprocess.run([sys.executable, *program, *args], env=environ, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def line_with(text: str, output: str) -> str:
    """The one line of `output` that contains `text` (fails if none does)."""
    lines = [line for line in output.splitlines() if text in line]
    assert lines, f"{text!r} not in:\n{output}"
    return lines[0]


def spanish_left(line: str, words: tuple[str, ...]) -> list[str]:
    """The Spanish words of the old message that are still on the line."""
    return [w for w in words if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", line, re.IGNORECASE)]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_wrong_pkcs12_password_is_said_in_english_with_lang_en_us_and_in_spanish_by_default(
        tmp_path):
    import pki

    keys = pki.make_pki(tmp_path / "pki")
    args = ("generate", "--roster", str(DATA / "roster-four-municipalities.csv"), "--output",
            str(tmp_path / "out"), "--sign", "--pkcs12", str(keys.p12))
    wrong = {"OFICIOS_FIRMA_CLAVE": "no es la clave"}
    english = oficios(*args, lang=ENGLISH, env=wrong)
    assert english.returncode == 8, english.stderr
    line = line_with("the password does not open the PKCS#12 file", english.stderr)
    assert line == (f"Error: {keys.p12}: the password does not open the PKCS#12 file (or the file "
                    "is not a PKCS#12) (the password is taken from OFICIOS_FIRMA_CLAVE or asked "
                    "for)")
    assert not spanish_left(line, ("la", "contraseña", "no abre", "archivo", "se toma",
                                   "pregunta", "el")), line
    spanish = oficios(*args, lang=SPANISH, env=wrong)
    assert spanish.returncode == 8
    assert (f"{keys.p12}: la contraseña no abre el archivo PKCS#12 (o el archivo no es un "
            "PKCS#12) (la contraseña se toma de OFICIOS_FIRMA_CLAVE o se pregunta)") in spanish.stderr
    assert not (tmp_path / "out").exists()


def test_a_send_to_a_closed_port_fails_in_the_language_asked(tmp_path):
    from oficios.pipeline import Job, generate

    out = tmp_path / "out"
    generate(Job(template=TEMPLATE, roster=MAIL_ROSTER, output=out, only=("13120",), workers=1))
    port = closed_port()
    args = ("send", "--roster", str(MAIL_ROSTER), "--output", str(out), "--only", "13120",
            "--sender", "partes@mideplan.example", "--host", "127.0.0.1", "--port", str(port),
            "--security", "none", "--attempts", "1", "--quiet")
    english = oficios(*args, lang=ENGLISH)
    assert english.returncode == 9, english.stderr
    line = line_with("the connection to the SMTP server was lost", english.stderr)
    assert line.startswith("Error: the connection to the SMTP server was lost and could not be "
                           f"recovered after 1 attempt: 127.0.0.1:{port}: ")
    assert line.endswith("(what was accepted stays registered; run oficios send again later and "
                         "only what is missing will be sent)")
    assert not spanish_left(line, ("se perdió", "conexión", "servidor", "intento", "lo aceptado",
                                   "quedó", "vuelva", "falta")), line
    spanish = oficios(*args, lang=SPANISH)
    assert spanish.returncode == 9
    assert ("Error: se perdió la conexión con el servidor SMTP y no se pudo recuperar tras 1 "
            f"intento: 127.0.0.1:{port}: ") in spanish.stderr
    assert "(lo aceptado quedó registrado; vuelva a ejecutar oficios send más tarde y se enviará " \
           "solo lo que falta)" in spanish.stderr
    # The register shows the letter's delivery state in the language asked, too.
    status = oficios("send", "--roster", str(MAIL_ROSTER), "--output", str(out), "--only", "13120",
                     "--status", lang=ENGLISH)
    assert line_with("13120", status.stdout).startswith("  13120  pending  ")
    status = oficios("send", "--roster", str(MAIL_ROSTER), "--output", str(out), "--only", "13120",
                     "--status", lang=SPANISH)
    assert line_with("13120", status.stdout).startswith("  13120  pendiente  ")


def test_bad_addresses_are_located_and_explained_in_one_language():
    args = ("send", "--roster", str(DATA / "roster-missing-and-invalid-email.csv"), "--sender",
            "partes@mideplan.example", "--host", "127.0.0.1", "--port", str(closed_port()))
    english = oficios(*args, lang=ENGLISH)
    assert english.returncode == 2, english.stderr
    heading = line_with("problems prevent sending", english.stderr)
    assert heading.endswith("roster-missing-and-invalid-email.csv: 3 problems prevent sending; "
                            "nothing was sent")
    empty = line_with("row 3", english.stderr)
    assert empty.endswith("row 3, column 'email': the e-mail address is empty (write an address "
                          "such as alcaldia@municipio.cl)")
    invalid = line_with("row 9", english.stderr)
    assert "row 9, column 'email': 'alcaldía ñuñoa.example' is not a valid e-mail address" in invalid
    for line in (heading, empty, invalid):
        assert not spanish_left(line, ("fila", "columna", "problemas", "impiden", "enviar",
                                       "dirección", "correo", "vacía", "escriba", "válida")), line
    spanish = oficios(*args, lang=SPANISH)
    assert spanish.returncode == 2
    assert "3 problemas impiden enviar; no se envió nada" in spanish.stderr
    assert "fila 3, columna 'email': la dirección de correo está vacía (escriba una dirección " \
           "como alcaldia@municipio.cl)" in spanish.stderr


def test_an_unknown_template_key_is_refused_with_a_did_you_mean_in_the_language_asked(tmp_path):
    folder = tmp_path / "typo"
    shutil.copytree(TEMPLATE, folder)
    toml = (folder / "oficio.toml").read_text("utf-8").replace("\nmateria = ", "\nmaterai = ", 1)
    (folder / "oficio.toml").write_text(toml, "utf-8")
    args = ("check", "--template", str(folder), "--roster",
            str(DATA / "roster-four-municipalities.csv"))
    english = oficios(*args, lang=ENGLISH)
    assert english.returncode == 3, english.stderr
    heading = line_with("problems in the template", english.stderr)
    assert heading == f"Error: {folder / 'oficio.toml'}: 2 problems in the template"
    typo = line_with("materai", english.stderr)
    assert typo.endswith("oficio.toml, line 8: the key 'materai' does not exist in [oficio] (did "
                         "you mean 'materia'? [oficio] takes: numero, antecedente, materia, lugar, "
                         "fecha, formato_fecha, mes_con_mayuscula, autor)")
    missing = line_with("is missing", english.stderr)
    assert missing.endswith('line 5: [oficio] materia is missing (write, under [oficio]: '
                            'materia = "Informa Encuentro Nacional.")')
    for line in (heading, typo, missing):
        assert not spanish_left(line, ("problemas", "plantilla", "línea", "la clave", "no existe",
                                       "quiso", "decir", "admite", "falta", "escriba", "bajo")), line
    spanish = oficios(*args, lang=SPANISH)
    assert spanish.returncode == 3
    assert f"{folder / 'oficio.toml'}: 2 problemas en la plantilla" in spanish.stderr
    assert "línea 8: la clave 'materai' no existe en [oficio] (¿quiso decir 'materia'? [oficio] " \
           "admite: numero" in spanish.stderr


def test_cluster_check_against_a_closed_port_fails_in_the_language_asked():
    address = f"tcp://127.0.0.1:{closed_port()}"
    quick = "import oficios.cluster; oficios.cluster.CONNECT_TIMEOUT = 1"
    english = oficios("cluster-check", address, lang=ENGLISH, setup=quick)
    assert english.returncode == 10, english.stderr
    line = line_with("could not connect", english.stderr)
    assert line == (f"Error: could not connect to the Dask scheduler at {address} (OSError) "
                    "(check the address (tcp://HOST:8786) and that the scheduler is running: "
                    "dask scheduler)")
    assert not spanish_left(line, ("no se pudo", "conectar", "planificador", "revise",
                                   "dirección", "esté", "en marcha")), line
    spanish = oficios("cluster-check", address, lang=SPANISH, setup=quick)
    assert spanish.returncode == 10
    assert f"no se pudo conectar con el planificador de Dask en {address}" in spanish.stderr


@pytest.fixture
def english():
    """This process speaks English for the test (as a web request asking for it would)."""
    token = i18n.current.set("en")
    yield
    i18n.current.reset(token)


def test_a_signature_report_is_described_in_english(english, tmp_path):
    import datetime as dt

    from oficios.signing import SignatureReport, check_signatures, describe_signatures
    from oficios.signing.check import SignatureCheck

    check = SignatureCheck("FirmaElectronica", "PAULA QUINTANA MELÉNDEZ",
                           dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.timezone.utc), False,
                           intact=True, trusted=False, changed_after=True,
                           changes="changes to the document's content",
                           trust_problem="UNKNOWN_ROOT")
    lines = describe_signatures(SignatureReport(tmp_path / "x.pdf", (check,)))
    assert lines[0].startswith("SIGNATURE 1 (FirmaElectronica): signed by PAULA QUINTANA "
                               "MELÉNDEZ, on ")
    assert lines[1:] == [
        "  Integrity: the signed content is intact.",
        "  Changes after signing: YES, changes to the document's content.",
        "  Trust: NO: the certificate's chain reaches no root given with --trust (UNKNOWN_ROOT).",
        "  Revocation: not checked (no network connection).",
        "Signature result: NOT VALID: do not trust this file as signed."]
    assert describe_signatures(check_signatures(_a_pdf(tmp_path), [])) == [
        "SIGNATURE: the file has no electronic signature."]


def _a_pdf(tmp_path: Path) -> Path:
    import pikepdf

    path = tmp_path / "blank.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(path)
    return path


def test_cluster_differences_and_facts_are_shown_in_english(english):
    from oficios.cli_cluster import _summary
    from oficios.cluster import differences

    expected = {"oficios": "0.1.0", "weasyprint": "68.0", "pikepdf": "9.0",
                "plantilla": "aaaa", "carpeta_plantilla": "/tmp/a"}
    facts = {"oficios": "0.0.9", "pikepdf": "ausente", "plantilla": "bbbb",
             "carpeta_plantilla": "/tmp/b"}
    assert differences(expected, facts) == [
        "oficios 0.0.9 (the coordinator has 0.1.0)",
        "weasyprint absent (the coordinator has 68.0)",
        "pikepdf absent (the coordinator has 9.0)",
        "plantilla bbbb (the coordinator has aaaa)",
        "its copy of the template, /tmp/b, was modified: delete it so that it receives the "
        "coordinator's"]
    assert differences({"harfbuzz_subset": "sí"}, {"harfbuzz_subset": "no"}) == [
        "harfbuzz_subset no (the coordinator has yes)"]
    shown = _summary({"oficios": "0.1.0", "python": "3.11.2", "weasyprint": "68.0",
                      "python-docx": "1.1", "pango": "ausente", "harfbuzz_subset": "sí",
                      "zlib": "1.2.13", "recursos": "abcd", "fuentes_del_sistema": "12 familias"})
    assert "Pango absent, HarfBuzz subsetting: yes" in shown
    assert shown.endswith("system fonts: 12 families")
    assert not spanish_left(shown, ("ausente", "sí", "familias")), shown


def test_every_message_of_the_pot_has_a_spanish_translation():
    from babel.messages.pofile import read_po

    locale = ROOT / "oficios" / "locale"
    with (locale / "oficios.pot").open("rb") as f:
        template = read_po(f)
    with (locale / "es" / "LC_MESSAGES" / "oficios.po").open("rb") as f:
        spanish = read_po(f, locale="es")
    missing = []
    for message in template:
        if not message.id:
            continue
        entry = spanish.get(message.id)
        strings = [] if entry is None else \
            [entry.string] if isinstance(entry.string, str) else list(entry.string)
        if entry is None or entry.fuzzy or not strings or not all(strings):
            missing.append(message.id)
    assert len(template) > 600
    assert not missing, f"untranslated (translate them in the .po): {missing}"
