"""`oficios new`: a commented starting template that check accepts, filled in and rendered."""

from __future__ import annotations

import io

from click.testing import CliRunner
from pypdf import PdfReader

from oficios.cli import cli


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_new_writes_a_commented_template_that_check_accepts(tmp_path):
    folder = tmp_path / "circular-directores"
    result = invoke("new", folder)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == ["cuerpo.md", "nomina-ejemplo.csv", "oficio.toml"]
    assert (folder / "oficio.toml").read_text("utf-8").startswith("# A new oficio template.")
    result = invoke("check", "--template", folder, "--roster", folder / "nomina-ejemplo.csv")
    assert result.exit_code == 0, result.output
    assert "para los 2 destinatarios" in result.output


def test_a_new_template_filled_in_by_a_clerk_renders_its_letters(tmp_path):
    """The sequence a clerk follows: new, edit the texts, use their own roster, generate."""
    folder = tmp_path / "escuelas"
    invoke("new", folder)
    toml = (folder / "oficio.toml").read_text("utf-8")
    toml = toml.replace('numero = "ORD. N° 1"', 'numero = "ORD. N° 77"')
    toml = toml.replace('clave = "codigo"', 'clave = "rbd"')
    toml = toml.replace('"{{ cargo | upper }}",', '"DIRECTOR/A {{ escuela | upper }}",')
    (folder / "oficio.toml").write_text(toml, "utf-8")
    (folder / "cuerpo.md").write_text(
        "Informo a Ud. que la escuela **{{ escuela }}** ha sido seleccionada.\n", "utf-8")
    roster = tmp_path / "escuelas.csv"
    roster.write_text("rbd,nombre,escuela,genero\n8888,Ana Díaz,Escuela Básica Ñuble,F\n"
                      "1234,Luis Soto,Liceo A-1,M\n", "utf-8")
    out = tmp_path / "out"
    result = invoke("generate", "--template", folder, "--roster", roster, "--output", out,
                    "--workers", "1", "--quiet")
    assert result.exit_code == 0, result.output
    pdf = out / "escuelas" / "pdf" / "8888-ana-diaz.pdf"
    text = " ".join(PdfReader(io.BytesIO(pdf.read_bytes())).pages[0].extract_text().split())
    assert "ORD. N° 77" in text and "Sra. ANA DÍAZ" in text
    assert "DIRECTOR/A ESCUELA BÁSICA ÑUBLE" in text
    assert "la escuela Escuela Básica Ñuble ha sido seleccionada" in text
    assert (out / "escuelas" / "docx" / "1234-luis-soto.docx").is_file()


def test_new_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "algo.txt").write_text("hola")
    result = invoke("new", tmp_path / "x")
    assert result.exit_code == 3
    assert "ya existe y no está vacía" in result.output
