"""There is one register: found by one rule, created only by `generate` or `register init`."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from oficios.cli import cli
from oficios.register import FILE_NAME, Register, locate


def test_register_next_in_another_folder_refuses_and_creates_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["register", "next", "ORD"])
    assert result.exit_code == 5
    assert f"output/{FILE_NAME}: el registro no existe" in result.output
    assert "predeterminado de la carpeta de salida output" in result.output
    assert "--register" in result.output and "OFICIOS_REGISTER" in result.output
    assert "oficios register init" in result.output
    assert list(tmp_path.iterdir()) == []


def test_every_command_that_only_looks_refuses_a_missing_register(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "carta.pdf").write_bytes(b"%PDF-1.7")
    for args in (["register", "list"], ["register", "show", "1"], ["register", "export"],
                 ["verify", "carta.pdf"], ["verify", "EZYE-M5S5-4U"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 5, (args, result.output)
        assert "el registro no existe" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["carta.pdf"]


def test_the_rule_is_option_then_environment_then_settings_file_then_output_root(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert locate(None, "salida") == locate(None, Path("salida"))
    assert locate(None, "salida").path == Path("salida") / FILE_NAME
    (tmp_path / "oficios.toml").write_text('registro = "archivo/registro.sqlite"\n', "utf-8")
    found = locate(None, "salida")
    assert found.path == tmp_path / "archivo" / "registro.sqlite"
    assert f"indicado por 'registro' en {tmp_path / 'oficios.toml'}" == found.how
    monkeypatch.setenv("OFICIOS_REGISTER", "/srv/partes/registro.sqlite")
    assert locate(None, "salida").path == Path("/srv/partes/registro.sqlite")
    assert locate("mio.sqlite", "salida").path == Path("mio.sqlite")
    assert locate("mio.sqlite", "salida").how == "indicado con --register"


def test_the_user_settings_file_names_the_register_for_every_folder(tmp_path, monkeypatch):
    config = tmp_path / "config"
    (config / "oficios").mkdir(parents=True)
    (config / "oficios" / "config.toml").write_text(
        f'registro = "{tmp_path / "partes.sqlite"}"\n', "utf-8")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    elsewhere = tmp_path / "otra-carpeta"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    runner = CliRunner()
    assert runner.invoke(cli, ["register", "init"]).exit_code == 0
    assert runner.invoke(cli, ["register", "next", "ORD", "--year", "2026"]).output == "ORD 1/2026\n"
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(cli, ["register", "next", "ORD", "--year", "2026"]).output == "ORD 2/2026\n"
    assert list(elsewhere.iterdir()) == []


def test_register_init_creates_once_and_says_where(tmp_path, monkeypatch):
    monkeypatch.setenv("OFICIOS_REGISTER", str(tmp_path / "r.sqlite"))
    first = CliRunner().invoke(cli, ["register", "init"])
    assert first.exit_code == 0
    assert first.output == (f"Registro creado: {tmp_path / 'r.sqlite'} (indicado por la variable "
                            "de entorno OFICIOS_REGISTER).\n")
    again = CliRunner().invoke(cli, ["register", "init"])
    assert again.exit_code == 5 and "ya existe un registro aquí" in again.output


def test_opening_a_register_never_creates_one_unless_asked(tmp_path):
    import pytest

    from oficios.register import RegisterError

    with pytest.raises(RegisterError, match="el registro no existe"):
        Register(tmp_path / "nuevo" / "r.sqlite")
    assert list(tmp_path.iterdir()) == []
    Register(tmp_path / "nuevo" / "r.sqlite", create=True).close()
    assert (tmp_path / "nuevo" / "r.sqlite").is_file()
