"""One message catalog: Spanish by default, English when LANG or OFICIOS_LANG asks."""

from __future__ import annotations

import pytest
from web_support import ROOT, make_app

from oficios import i18n


@pytest.mark.parametrize("environ, expected", [
    ({}, "es"),
    ({"LANG": "C.UTF-8"}, "es"),
    ({"LANG": "POSIX"}, "es"),
    ({"LANG": "es_CL.UTF-8"}, "es"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LANG": "fr_FR.UTF-8"}, "es"),  # a language without a catalog: the default
    ({"LC_ALL": "C", "LANG": "en_GB.UTF-8"}, "en"),  # C says nothing; LANG decides
    ({"LC_ALL": "es_ES.UTF-8", "LANG": "en_US.UTF-8"}, "es"),
    ({"OFICIOS_LANG": "en", "LANG": "es_CL.UTF-8"}, "en"),
    ({"OFICIOS_LANG": "es", "LC_ALL": "en_US.UTF-8"}, "es"),
])
def test_the_language_comes_from_oficios_lang_then_the_locale(environ, expected):
    assert i18n.language(environ) == expected


def test_messages_are_spanish_by_default_and_english_on_request():
    assert i18n.gettext("Sign in", "es") == "Entrar"
    assert i18n.gettext("Sign in", "en") == "Sign in"
    assert i18n.ngettext("%(count)s letter", "%(count)s letters", 1, "es") == "%(count)s carta"
    assert i18n.ngettext("%(count)s letter", "%(count)s letters", 345, "es") == "%(count)s cartas"
    token = i18n.current.set("en")
    try:
        assert i18n.gettext("Register") == "Register"
    finally:
        i18n.current.reset(token)


def test_every_message_of_the_web_and_its_commands_has_a_spanish_translation():
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg
    from babel.messages.pofile import read_po

    with (ROOT / "oficios" / "locale" / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    extracted = {message for _file, _line, message, _comments, _context in
                 extract_from_dir(str(ROOT), method_map, options_map)}
    assert len(extracted) > 100
    with (ROOT / "oficios" / "locale" / "es" / "LC_MESSAGES" / "oficios.po").open("rb") as f:
        catalog = read_po(f, locale="es")
    missing = []
    for message in extracted:
        key = message if isinstance(message, str) else message[0]
        entry = catalog.get(key)
        strings = [] if entry is None else \
            [entry.string] if isinstance(entry.string, str) else list(entry.string)
        if entry is None or entry.fuzzy or not strings or not all(strings):
            missing.append(message)
    assert not missing, f"untranslated (run `make catalog`, then translate): {missing}"


def test_the_web_pages_speak_english_when_asked(tmp_path):
    from fastapi.testclient import TestClient

    app = make_app(tmp_path, language="en")
    page = TestClient(app).get("/lotes/nuevo")
    assert '<html lang="en">' in page.text
    assert "User name" in page.text and "Password" in page.text
    assert "Usuario" not in page.text and "Contraseña" not in page.text


def test_the_web_commands_speak_english_with_lang_en_us(tmp_path):
    from click.testing import CliRunner

    from oficios.cli import cli

    result = CliRunner().invoke(cli, ["user", "add", "ana", "--password", "a long password",
                                      "--output", str(tmp_path)],
                                env={"LANG": "en_US.UTF-8", "OFICIOS_LANG": None, "LC_ALL": None,
                                     "LC_MESSAGES": None})
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Account 'ana' saved in ")
