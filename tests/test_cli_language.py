"""The command line speaks one language: Spanish by default, English when LANG asks for it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from conftest import DATA, ROOT, TEMPLATE
from oficios.cli import cli

ENGLISH = {"LANG": "en_US.UTF-8", "OFICIOS_LANG": None, "LC_ALL": None, "LC_MESSAGES": None}
SPANISH = {"LANG": "C.UTF-8", "OFICIOS_LANG": None, "LC_ALL": None, "LC_MESSAGES": None}


def invoke(args: list[str], env: dict):
    return CliRunner().invoke(cli, args, env=env, catch_exceptions=False, prog_name="oficios")


def test_help_is_spanish_by_default_and_english_with_lang_en_us():
    spanish = invoke(["generate", "--help"], SPANISH)
    assert spanish.exit_code == 0
    assert spanish.output.startswith("Uso: oficios generate [OPCIONES]")
    assert "Opciones:" in spanish.output and "Mostrar este mensaje y salir." in spanish.output
    assert "Generar y registrar un PDF y un DOCX por destinatario" in spanish.output
    assert "[por defecto:" in spanish.output
    assert "--map NOMBRE=COLUMNA" in spanish.output and "--sheet HOJA" in spanish.output
    for english in ("Usage:", "Options:", "Show this message", "Render and register", "default:"):
        assert english not in spanish.output
    english = invoke(["generate", "--help"], ENGLISH)
    assert english.output.startswith("Usage: oficios generate [OPTIONS]")
    assert "Render and register one PDF and one DOCX per recipient" in english.output
    assert "Show this message and exit." in english.output
    assert "--map NAME=COLUMN" in english.output and "--sheet SHEET" in english.output
    for spanish_word in ("Uso:", "Opciones", "Generar", "por defecto"):
        assert spanish_word not in english.output


def test_the_group_help_lists_every_command_in_the_language_asked():
    spanish = invoke(["--help"], SPANISH)
    assert "Comandos:" in spanish.output and "Revisar la plantilla" in spanish.output
    english = invoke(["--help"], ENGLISH)
    assert "Commands:" in english.output and "Check the template" in english.output


def test_clicks_own_errors_are_translated():
    spanish = invoke(["register", "show"], SPANISH)
    assert spanish.exit_code == 2
    assert "Error: Falta el argumento 'OFICIO'." in spanish.output
    assert "Pruebe 'oficios register show --help' para ver la ayuda." in spanish.output
    english = invoke(["register", "show"], ENGLISH)
    assert "Error: Missing argument 'OFICIO'." in english.output


def test_check_with_a_bad_roster_in_spanish_then_english():
    args = ["check", "--template", str(TEMPLATE), "--roster",
            str(DATA / "roster-missing-cut-column.csv")]
    spanish = invoke(args, SPANISH)
    assert spanish.exit_code == 2
    assert ("roster-missing-cut-column.csv, fila 1: falta la columna 'cut'; columnas "
            "encontradas: codigo, municipalidad, region") in spanish.output
    english = invoke(args, ENGLISH)
    assert english.exit_code == 2
    assert ("roster-missing-cut-column.csv, row 1: column 'cut' is missing; columns found: "
            "codigo, municipalidad, region") in english.output


def test_check_says_ok_in_the_language_asked():
    args = ["check", "--template", str(TEMPLATE), "--roster",
            str(DATA / "roster-four-municipalities.csv")]
    assert "para los 4 destinatarios" in invoke(args, SPANISH).output
    assert "for all 4 recipients" in invoke(args, ENGLISH).output


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """One letter generated in Spanish and one in English: (output root, results)."""
    out = tmp_path_factory.mktemp("language")
    results = {}
    for lang, env in (("es", SPANISH), ("en", ENGLISH)):
        results[lang] = invoke(["generate", "--template", str(TEMPLATE), "--roster",
                                str(DATA / "roster-four-municipalities.csv"), "--output",
                                str(out / lang), "--only", "13120", "--workers", "1"], env)
    return out, results


def test_the_generate_summary_is_one_language(generated):
    _out, results = generated
    spanish, english = results["es"], results["en"]
    assert spanish.exit_code == 0 and english.exit_code == 0, (spanish.output, english.output)
    assert "1 carta (1 PDF, 1 DOCX) en " in spanish.output
    assert "registrado: MIDEPLAN OF. N° 01-A/264, versión 1, lote 1 (incompleto, 1 carta) en" \
        in spanish.output
    assert " letter" not in spanish.output and "version" not in spanish.output
    assert "1 letter (1 PDF, 1 DOCX) in " in english.output
    assert "registered: MIDEPLAN OF. N° 01-A/264, version 1, batch 1 (incomplete, 1 letter) in" \
        in english.output
    assert " carta" not in english.output and "versión" not in english.output


def test_verify_answers_in_the_language_asked(generated):
    out, _results = generated
    pdf = next((out / "es").rglob("pdf/13120-*.pdf"))
    register = out / "es" / "registro-oficina-de-partes.sqlite"
    spanish = invoke(["verify", str(pdf), "--register", str(register)], SPANISH)
    assert spanish.exit_code == 0 and spanish.output.startswith("VERIFICADO: ")
    assert "Es la versión vigente." in spanish.output
    english = invoke(["verify", str(pdf), "--register", str(register)], ENGLISH)
    assert english.exit_code == 0 and english.output.startswith("VERIFIED: ")
    assert "It is the current version." in english.output
    assert "Ñuñoa (13120)" in english.output


def test_an_installed_command_speaks_english_with_lang_en_us(tmp_path):
    """The real `oficios` program in a subprocess: the language comes from its environment."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("OFICIOS_LANG", "LC_ALL", "LC_MESSAGES")}
    args = [sys.executable, "-m", "oficios", "check", "--template", str(TEMPLATE), "--roster",
            str(tmp_path / "no-such-roster.csv")]
    english = subprocess.run(args, env={**env, "LANG": "en_US.UTF-8"}, capture_output=True,
                             text=True, cwd=ROOT, timeout=120)
    assert english.returncode == 2
    assert "no-such-roster.csv: file not found (check the path given with --roster)" \
        in english.stderr
    spanish = subprocess.run(args, env={**env, "LANG": "C.UTF-8"}, capture_output=True,
                             text=True, cwd=ROOT, timeout=120)
    assert spanish.returncode == 2
    assert "no-such-roster.csv: no se encontró el archivo (revise la ruta dada con --roster)" \
        in spanish.stderr


def test_every_help_text_of_every_command_has_a_spanish_translation():
    from oficios.i18n import translations

    catalog = translations("es")
    missing = []

    def visit(command):
        ids = command.__dict__.get("_oficios_help_ids", {})
        texts = [ids.get("help", command.help)]
        texts += [p.__dict__.get("_oficios_help_ids", {}).get("help", p.help)
                  for p in command.params if getattr(p, "help", None)]
        missing.extend(t for t in texts if t and catalog.gettext(t) == t)
        for sub in getattr(command, "commands", {}).values():
            visit(sub)

    invoke(["--help"], ENGLISH)  # the ids are kept on the commands once translated
    visit(cli)
    assert not missing, missing


def test_the_catalog_is_compiled_once_and_again_when_the_po_changes(tmp_path):
    """Reading the .po with Babel costs every command ~0.2 s: its .mo is kept until it changes."""
    import gettext
    import io
    import shutil

    from oficios.i18n import LOCALE_DIR, _compiled

    po = tmp_path / "es" / "LC_MESSAGES" / "oficios.po"
    po.parent.mkdir(parents=True)
    shutil.copy(LOCALE_DIR / "es" / "LC_MESSAGES" / "oficios.po", po)
    first = _compiled(po)
    mo = po.with_suffix(".mo")
    assert mo.read_bytes() == first
    assert gettext.GNUTranslations(io.BytesIO(first)).gettext("Usage:") == "Uso:"
    text = po.read_text("utf-8").replace('msgstr "Uso:"', 'msgstr "Modo de uso:"')
    po.write_text(text, "utf-8")
    os.utime(po, ns=(mo.stat().st_mtime_ns + 10**9,) * 2)
    again = _compiled(po)
    assert gettext.GNUTranslations(io.BytesIO(again)).gettext("Usage:") == "Modo de uso:"
    assert mo.read_bytes() == again and not list(po.parent.glob("*.part"))
