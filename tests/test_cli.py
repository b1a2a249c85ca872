"""The command line, run in-process: what it writes, prints and exits with, failures included."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from conftest import DATA, ROSTER, TEMPLATE
from oficios.cli import cli


@pytest.fixture
def run(tmp_path, monkeypatch):
    """Runs `oficios ...` in a temporary folder holding the bundled template and roster paths."""
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return invoke


def common(tmp_path) -> list[str]:
    return ["--template", str(TEMPLATE), "--roster", str(ROSTER), "--output", str(tmp_path / "out")]


def test_generate_only_writes_pdf_and_docx_named_by_cut_and_slug(run, tmp_path):
    result = run("generate", *common(tmp_path), "--only", "13120,08301", "--only", "12201")
    assert result.exit_code == 0, result.output
    folder = tmp_path / "out" / "mideplan-01-a-264"
    assert sorted(p.name for p in (folder / "pdf").iterdir()) == [
        "08301-los-angeles.pdf", "12201-cabo-de-hornos.pdf", "13120-nunoa.pdf"]
    assert sorted(p.name for p in (folder / "docx").iterdir()) == [
        "08301-los-angeles.docx", "12201-cabo-de-hornos.docx", "13120-nunoa.docx"]
    assert "3 cartas (3 PDF, 3 DOCX)" in result.output
    assert not list(folder.rglob("*.part"))


def test_generate_one_format_and_quiet(run, tmp_path):
    result = run("generate", *common(tmp_path), "--only", "13120", "--format", "docx", "--quiet")
    assert result.exit_code == 0 and result.output == ""
    assert not (tmp_path / "out" / "mideplan-01-a-264" / "pdf").exists()


def test_defaults_are_the_bundled_template_and_roster(run, tmp_path, monkeypatch):
    from conftest import ROOT

    monkeypatch.chdir(ROOT)
    result = run("check")
    assert result.exit_code == 0
    assert "para los 345 destinatarios" in result.output


def test_preview_prints_where_the_letter_is(run, tmp_path):
    result = run("preview", "--only", "13120", *common(tmp_path))
    assert result.exit_code == 0
    paths = result.output.split()
    assert [p.rsplit("/", 2)[-2:] for p in paths] == [["preview", "13120-nunoa.pdf"],
                                                      ["preview", "13120-nunoa.docx"]]


def test_check_reports_every_misspelled_placeholder_and_exits_non_zero(run):
    result = run("check", "--template", str(DATA / "template-misspelled-placeholder"),
                 "--roster", str(ROSTER))
    assert result.exit_code == 3
    assert "2 marcadores no tienen columna en la nómina" in result.output
    assert "¿quiso decir 'municipalidad'?" in result.output
    assert "¿quiso decir 'region'?" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args, code, message", [
    (["--roster", "nope.csv"], 2, "nope.csv: no se encontró el archivo (revise la ruta dada con --roster)"),
    (["--roster", str(DATA / "roster-missing-cut-column.csv")], 2,
     "roster-missing-cut-column.csv, fila 1: falta la columna 'cut'; "
     "columnas encontradas: codigo, municipalidad, region"),
    (["--roster", str(DATA / "roster-duplicate-and-bad-codes.csv")], 2,
     "fila 3, columna 'cut': '13120' ya aparece en la fila 2"),
    (["--roster", str(DATA / "roster-unknown-gender.csv")], 2,
     "fila 2, columna 'genero': 'X' no es un género conocido"),
    (["--only", "99999"], 2, "ningún destinatario tiene cut 99999"),
    (["--template", "no-such-template"], 3, "oficio.toml: no se encontró el archivo"),
    (["--format", "odt"], 2, "formato desconocido odt"),
])
def test_user_mistakes_give_one_clear_message_an_exit_code_and_no_file(run, tmp_path, args, code, message):
    base = {"--template": str(TEMPLATE), "--roster": str(ROSTER), "--output": str(tmp_path / "out")}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    result = run("generate", *[x for kv in base.items() for x in kv])
    assert result.exit_code == code, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("*.*"))


def test_every_command_has_help():
    for name, command in cli.commands.items():
        assert command.help, name
        result = CliRunner().invoke(cli, [name, "--help"])
        assert result.exit_code == 0 and "Uso:" in result.output


def test_python_dash_m_runs_the_cli():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "oficios", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "generate" in done.stdout


def test_a_template_mistake_is_one_message_blamed_on_the_template(run, tmp_path):
    from conftest import template_variant

    folder = template_variant(tmp_path / "t", body="Hola.\n\n![x](file:///etc/passwd)\n")
    result = run("check", "--template", str(folder), "--roster", str(ROSTER))
    assert result.exit_code == 3
    assert result.output.count("\n") == 1, result.output
    assert "cuerpo.md, línea 3: una imagen: un oficio no puede mostrarlo (afecta a todas las " \
           "filas de la nómina)" in result.output
    assert "municipalidades.csv" not in result.output


def test_a_jinja_error_at_run_time_exits_3_naming_file_line_row_and_value(run, tmp_path):
    from conftest import template_variant

    folder = template_variant(tmp_path / "t", body="Código siguiente: {{ cut + 1 }}.\n")
    result = run("generate", "--template", str(folder), "--roster",
                 str(DATA / "roster-four-municipalities.csv"), "--output", str(tmp_path / "out"))
    assert result.exit_code == 3, result.output
    assert "cuerpo.md, línea 1: no se puede escribir la carta: TypeError" in result.output
    assert "(fila 2 de la nómina; cut = '" in result.output
    assert "Internal error" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_misspelled_key_in_oficio_toml_stops_check(run, tmp_path):
    from conftest import template_variant

    folder = template_variant(tmp_path / "t", replace=("iniciales =", "inicales ="))
    result = run("check", "--template", str(folder), "--roster", str(ROSTER))
    assert result.exit_code == 3
    assert "la clave 'inicales' no existe en [cierre] (¿quiso decir 'iniciales'?" in result.output


def test_only_and_preview_name_the_templates_key_not_the_cut(run):
    result = run("generate", "--help")
    assert "CUT" not in result.output and "CLAVE" in result.output
