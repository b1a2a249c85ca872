"""Output file names made from roster values never leave the output folder or collide."""

from __future__ import annotations

import dataclasses

import pytest

from conftest import DATA, template_variant
from oficios.output import OutputLayout
from oficios.slugs import RESERVED, safe_name

HOSTILE_KEYS = ["../../etc/passwd", "/etc/shadow", "C:\\Windows\\win.ini", "..", ".", "",
                "CON", "nul", "COM1", "a" * 500, "ü" * 300, "😀", "x/" * 200]


@pytest.fixture(scope="module")
def key_template(tmp_path_factory):
    """The bundled template, keyed by a free-text `codigo` column instead of the CUT code."""
    folder = template_variant(tmp_path_factory.mktemp("key-template"),
                              replace=('clave = "cut"', 'clave = "codigo"'))
    toml = folder / "oficio.toml"
    toml.write_text(toml.read_text("utf-8").replace("digitos_clave = 5", "digitos_clave = 0"), "utf-8")
    return folder


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_any_key_and_name_give_a_short_file_name_inside_the_folder(letters, tmp_path, key):
    layout = OutputLayout.for_template(tmp_path, "oficio")
    letter = dataclasses.replace(letters["13120"], key=key, slug=key)
    for fmt in ("pdf", "docx"):
        path = layout.path(letter, fmt)
        assert path.parent == tmp_path / "oficio" / fmt
        name = path.name
        assert len(name.encode()) <= 106
        assert name.isascii() and "/" not in name and "\\" not in name and ".." not in name
        assert name.split(".")[0].lower() not in RESERVED


def test_reserved_device_names_never_stand_alone(tmp_path):
    assert OutputLayout.for_template(tmp_path, "CON").folder == tmp_path / "con_"
    assert [safe_name(s) for s in ("nul", "com1", "lpt9", "nunoa")] == ["nul_", "com1_", "lpt9_", "nunoa"]


def test_two_recipients_whose_names_slug_alike_get_different_files(letters, tmp_path):
    layout = OutputLayout.for_template(tmp_path, "oficio")
    one = dataclasses.replace(letters["13120"], slug="nunoa")
    other = dataclasses.replace(letters["08301"], slug="nunoa")  # e.g. "Ñuñoa" and "NUNOA"
    assert layout.file_name(one, "pdf") != layout.file_name(other, "pdf")


def test_hostile_keys_from_a_roster_stay_inside_the_output_folder(key_template, tmp_path):
    from oficios.pipeline import Job, generate

    out = tmp_path / "out"
    result = generate(Job(template=key_template, roster=DATA / "roster-path-traversal-and-reserved-keys.csv",
                          output=out, formats=("pdf", "docx"), workers=1, combined=False))
    folder = result.folder
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")
                     if p.is_file() and p.suffix in (".pdf", ".docx"))
    names = ["c-windows-win-ini-c-concepcion", "com1-lpt1", "con-aux", "etc-passwd-nunoa",
             "etc-shadow-tmp-los-angeles", "nul-prn", "sin-nombre-sin-nombre"]
    prefix = folder.relative_to(tmp_path).as_posix()
    assert [p for p in written if p.startswith(prefix)] == sorted(
        f"{prefix}/{fmt}/{n}.{fmt}" for fmt in ("pdf", "docx") for n in names)
    assert all(p.startswith(prefix) for p in written)


def test_keys_that_slug_alike_are_refused_before_anything_is_written(key_template, tmp_path):
    from click.testing import CliRunner

    from oficios.cli import cli

    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["generate", "--template", str(key_template), "--roster",
                                      str(DATA / "roster-keys-that-slug-alike.csv"), "--output",
                                      str(out), "--workers", "1"])
    assert result.exit_code == 2
    assert ("fila 3, columna 'codigo': 'A-1' y 'A/1' (fila 2) darían ambos nombre a archivos "
            "'a-1-…'") in result.output
    assert not out.exists() or not [p for p in out.rglob("*") if p.is_file()]
