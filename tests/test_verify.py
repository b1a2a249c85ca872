"""`oficios verify`: the issued file is recognised, and any change to it is caught."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from conftest import DATA, TEMPLATE
from oficios.cli import cli
from oficios.pipeline import Job, generate
from oficios.register import RegisterError
from oficios.verify import ALTERED, ARCHIVE, UNKNOWN, VERIFIED, verify, verify_code


@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    out = tmp_path_factory.mktemp("verify")
    result = generate(Job(template=TEMPLATE, roster=DATA / "roster-four-municipalities.csv",
                          output=out, workers=1, only=("13120",)))
    return result, out / "registro-oficina-de-partes.sqlite"


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_the_issued_file_is_verified(issued, fmt):
    result, register = issued
    verdict = verify(result.files[fmt][0], register)
    assert verdict.status == VERIFIED
    assert (verdict.found.clave, verdict.found.destinatario) == ("13120", "Ñuñoa")
    assert verdict.found.batch.oficio == "MIDEPLAN OF. N° 01-A/264"


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_a_one_byte_change_anywhere_is_caught(issued, tmp_path, fmt):
    result, register = issued
    original = result.files[fmt][0].read_bytes()
    for position in (len(original) // 3, len(original) - 1):
        changed = bytearray(original)
        changed[position] ^= 0x01
        path = tmp_path / f"changed.{fmt}"
        path.write_bytes(bytes(changed))
        assert verify(path, register).status in (ALTERED, UNKNOWN)


def test_an_appended_byte_is_reported_as_an_altered_copy_of_the_letter(issued, tmp_path):
    result, register = issued
    path = tmp_path / "copia.pdf"
    path.write_bytes(result.files["pdf"][0].read_bytes() + b"\n")
    verdict = verify(path, register)
    assert verdict.status == ALTERED and verdict.found.clave == "13120"


def test_the_docx_carries_the_code_in_its_footers(issued):
    import docx

    result, _ = issued
    section = docx.Document(str(result.files["docx"][0])).sections[0]
    code = verify(result.files["docx"][0], issued[1]).code
    for footer in (section.footer, section.first_page_footer):
        assert footer.paragraphs[0].text.startswith(f"Código de verificación: {code}")


def test_cli_answers_and_exit_codes(issued, tmp_path):
    result, register = issued
    ok = CliRunner().invoke(cli, ["verify", str(result.files["pdf"][0]), "--register", str(register)])
    assert ok.exit_code == 0 and ok.output.startswith("VERIFICADO:") and "Ñuñoa (13120)" in ok.output
    assert f"Registro consultado: {register} (indicado con --register)." in ok.output
    other = tmp_path / "otro.pdf"
    other.write_bytes(b"%PDF-1.7 not a letter")
    unknown = CliRunner().invoke(cli, ["verify", str(other), "--register", str(register)])
    assert unknown.exit_code == 1 and unknown.output.startswith("NO ESTÁ EN EL REGISTRO")
    missing = CliRunner().invoke(cli, ["verify", str(other), "--register", str(tmp_path / "no.sqlite")])
    assert missing.exit_code == 5 and "el registro no existe" in missing.output
    assert "Traceback" not in missing.output


def test_missing_register_is_a_clear_error(tmp_path):
    (tmp_path / "a.pdf").write_bytes(b"x")
    with pytest.raises(RegisterError, match="el registro no existe"):
        verify(tmp_path / "a.pdf", tmp_path / "none.sqlite")


def test_verifying_and_looking_up_never_write_to_the_register(issued):
    result, register = issued
    before = register.read_bytes(), register.stat().st_mtime_ns
    assert verify(result.files["pdf"][0], register).status == VERIFIED
    for args in (["register", "list"], ["register", "show", "1"], ["register", "export"]):
        assert CliRunner().invoke(cli, [*args, "--register", str(register)]).exit_code == 0
    assert (register.read_bytes(), register.stat().st_mtime_ns) == before


@pytest.fixture(scope="module")
def full_batch(tmp_path_factory):
    out = tmp_path_factory.mktemp("verify-full")
    result = generate(Job(template=TEMPLATE, roster=DATA / "roster-four-municipalities.csv",
                          output=out, workers=1))
    return result, out / "registro-oficina-de-partes.sqlite"


def test_the_archive_copy_and_its_distribution_copies_verify_as_the_batchs_archive_copy(full_batch):
    result, register = full_batch
    copies = [result.combined, *sorted((result.folder / "distribucion").glob("*/*.pdf"))]
    assert len(copies) == 4
    for path in copies:
        verdict = verify(path, register)
        assert verdict.status == ARCHIVE and verdict.exit_code == 0
        assert (verdict.copy.batch.id, verdict.copy.cartas) == (result.batch.id, 4)
    answer = CliRunner().invoke(cli, ["verify", str(result.combined), "--register", str(register)])
    assert answer.exit_code == 0
    assert answer.output.startswith(f"COPIA DE ARCHIVO: {result.combined} es la copia de archivo "
                                    f"del lote {result.batch.id}: MIDEPLAN OF. N° 01-A/264, "
                                    "versión 1, 4 cartas, fechado el 2009-02-05")


@pytest.mark.parametrize("typed", ["{code}", "{lower}", "{spaced}"])
def test_a_code_typed_from_paper_is_looked_up(full_batch, typed):
    result, register = full_batch
    code = verify(result.files["pdf"][3], register).code
    text = typed.format(code=code, lower=code.lower(), spaced=code.replace("-", " "))
    verdict = verify_code(text, register)
    assert verdict.status == VERIFIED and verdict.found.clave == "13120"
    answer = CliRunner().invoke(cli, ["verify", text, "--register", str(register)])
    assert answer.exit_code == 0, answer.output
    assert answer.output.startswith(f"CÓDIGO REGISTRADO: {code} es el de la carta MIDEPLAN OF. N° "
                                    "01-A/264 (versión 1) enviada a Ñuñoa (13120)")
    assert "Es la versión vigente." in answer.output and str(register) in answer.output


def test_an_unknown_code_says_so_and_a_non_code_is_not_taken_for_one(full_batch):
    _, register = full_batch
    unknown = CliRunner().invoke(cli, ["verify", "AAAA-BBBB-CC", "--register", str(register)])
    assert unknown.exit_code == 1 and unknown.output.startswith("CÓDIGO DESCONOCIDO")
    neither = CliRunner().invoke(cli, ["verify", "carta-perdida", "--register", str(register)])
    assert neither.exit_code == 1
    assert "'carta-perdida' no es un código de verificación ni un archivo que exista" in neither.output


def test_verify_without_register_option_names_the_register_it_searched(full_batch, monkeypatch):
    result, register = full_batch
    monkeypatch.setenv("OFICIOS_REGISTER", str(register))
    answer = CliRunner().invoke(cli, ["verify", str(result.files["pdf"][0])])
    assert answer.exit_code == 0
    assert answer.output.endswith(f"Registro consultado: {register} (indicado por la variable de "
                                  "entorno OFICIOS_REGISTER).\n")
