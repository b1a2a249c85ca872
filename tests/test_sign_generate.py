"""`oficios generate --sign` end to end, as a clerk runs it, and `oficios verify --trust`."""

from __future__ import annotations

import hashlib
import json

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

import pki
from conftest import DATA, TEMPLATE
from oficios.cli import cli
from oficios.signing import check_signatures, describe_signatures

TEN = DATA / "roster-ten-municipalities.csv"
PDFAID = "http://www.aiim.org/pdfa/ns/id/"


def generate(tmp_path, *options: str, env: dict | None = None, input: str | None = None):
    args = ["generate", "--template", str(TEMPLATE), "--roster", str(TEN),
            "--output", str(tmp_path / "out"), "--quiet", *options]
    return CliRunner().invoke(cli, args, env=env, input=input, catch_exceptions=False)


def verify(path, register, *options: str):
    return CliRunner().invoke(cli, ["verify", str(path), "--register", str(register), *options],
                              catch_exceptions=False)


@pytest.fixture(scope="module")
def signed_run(tmp_path_factory):
    """The ten-municipality roster generated with --sign and a PKCS#12 key, 2 workers."""
    ca, _conf = pki.shared()
    tmp_path = tmp_path_factory.mktemp("signed-run")
    result = generate(tmp_path, "--sign", "--pkcs12", str(ca.p12), "--workers", "2",
                      env={"OFICIOS_FIRMA_CLAVE": pki.PASSWORD})
    assert result.exit_code == 0, result.output
    return ca, tmp_path / "out" / "mideplan-01-a-264", tmp_path / "out"


def test_generate_sign_signs_every_letter_and_each_is_valid_and_trusted(signed_run):
    ca, folder, _out = signed_run
    letters = sorted((folder / "pdf").glob("*.pdf"))
    assert len(letters) == 10
    for path in letters:
        report = check_signatures(path, [ca.root])
        assert report.ok, (path, describe_signatures(report))
        assert report.signatures[0].signer == pki.SIGNER_NAME


def test_the_register_and_manifest_hold_the_hashes_of_the_signed_files(signed_run):
    ca, folder, out = signed_run
    register = out / "registro-oficina-de-partes.sqlite"
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    listed = json.dumps(manifest)
    for path in sorted((folder / "pdf").glob("*.pdf")):
        assert hashlib.sha256(path.read_bytes()).hexdigest() in listed
        result = verify(path, register, "--trust", str(ca.root))
        assert result.exit_code == 0, result.output
        assert result.output.startswith("VERIFICADO: ")
        assert f"firmada por {pki.SIGNER_NAME}" in result.output
        assert "Resultado de la firma: VÁLIDA." in result.output


def test_the_archive_copy_is_signed_and_still_declares_pdf_a_2b(signed_run):
    ca, folder, _out = signed_run
    combined = folder / "mideplan-01-a-264-combinado.pdf"
    report = check_signatures(combined, [ca.root])
    assert report.ok, describe_signatures(report)
    xmp = PdfReader(combined).xmp_metadata
    assert [e.firstChild.data for e in xmp.get_element("", PDFAID, "part")] == ["2"]
    assert [e.firstChild.data for e in xmp.get_element("", PDFAID, "conformance")] == ["B"]
    copies = list((folder / "distribucion").rglob("*.pdf"))
    assert copies and all(c.read_bytes() == combined.read_bytes() for c in copies)


def test_verify_trust_says_when_a_signed_letter_was_changed_after_issue(signed_run, tmp_path):
    ca, folder, out = signed_run
    letter = sorted((folder / "pdf").glob("*.pdf"))[0]
    data = bytearray(letter.read_bytes())
    at = data.index(b"stream", len(data) // 8) + 20
    data[at] ^= 0x01
    changed = tmp_path / letter.name
    changed.write_bytes(bytes(data))
    result = verify(changed, out / "registro-oficina-de-partes.sqlite", "--trust", str(ca.root))
    assert result.exit_code == 7  # altered
    assert result.output.startswith("ALTERADO: ")
    assert "NO VÁLIDA" in result.output or "alterado" in result.output


def test_verify_trust_with_another_root_says_the_chain_does_not_reach_it(signed_run, tmp_path):
    _ca, folder, out = signed_run
    other = pki.make_pki(tmp_path / "otra", root_name="Otra Raíz")
    letter = sorted((folder / "pdf").glob("*.pdf"))[0]
    result = verify(letter, out / "registro-oficina-de-partes.sqlite", "--trust", str(other.root))
    assert result.exit_code == 1
    assert result.output.startswith("VERIFICADO: ")  # the register knows it...
    assert "Confianza: NO" in result.output  # ...but its signer is not trusted by that root
    assert "Traceback" not in result.output and "Validation error" not in result.output


def test_generate_sign_with_a_softhsm2_token_signs_every_letter(tmp_path):
    ca, _conf = pki.shared()
    result = generate(tmp_path, "--sign", "--pkcs11-module", pki.SOFTHSM_MODULE,
                      "--pkcs11-token", "oficios", "--workers", "1",
                      env={"OFICIOS_PIN": pki.PIN})
    assert result.exit_code == 0, result.output
    folder = tmp_path / "out" / "mideplan-01-a-264"
    for path in [*(folder / "pdf").glob("*.pdf"), folder / "mideplan-01-a-264-combinado.pdf"]:
        assert check_signatures(path, [ca.root]).ok, path


def test_the_password_is_asked_when_the_environment_does_not_give_it(tmp_path, monkeypatch):
    ca, _conf = pki.shared()
    monkeypatch.delenv("OFICIOS_FIRMA_CLAVE", raising=False)
    result = generate(tmp_path, "--sign", "--pkcs12", str(ca.p12), "--only", "13120",
                      input=pki.PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "Contraseña del archivo de firma" in result.output
    (letter,) = (tmp_path / "out" / "mideplan-01-a-264" / "pdf").glob("*.pdf")
    assert check_signatures(letter, [ca.root]).ok


def test_a_wrong_password_stops_the_run_before_anything_is_written(tmp_path):
    ca, _conf = pki.shared()
    result = generate(tmp_path, "--sign", "--pkcs12", str(ca.p12),
                      env={"OFICIOS_FIRMA_CLAVE": "no es la clave"})
    assert result.exit_code == 8
    assert "la contraseña no abre el archivo PKCS#12" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_an_expired_certificate_stops_the_run_before_anything_is_written(tmp_path):
    expired = pki.make_pki(tmp_path / "vencido", days_valid=(-400, -35))
    result = generate(tmp_path, "--sign", "--pkcs12", str(expired.p12),
                      env={"OFICIOS_FIRMA_CLAVE": pki.PASSWORD})
    assert result.exit_code == 8 and "venció el" in result.output
    assert not (tmp_path / "out").exists()


def test_a_missing_key_file_is_named_before_any_password_is_asked(tmp_path, monkeypatch):
    monkeypatch.delenv("OFICIOS_FIRMA_CLAVE", raising=False)
    result = generate(tmp_path, "--sign", "--pkcs12", str(tmp_path / "no-existe.p12"), input="")
    assert result.exit_code == 8, result.output
    assert "no-existe.p12" in result.output and "no existe el archivo de la clave de firma" in result.output
    assert "Contraseña" not in result.output and "Error interno" not in result.output
    assert not (tmp_path / "out").exists()


def test_no_password_at_the_prompt_is_a_signing_error_not_an_internal_one(tmp_path, monkeypatch):
    """Run without a terminal and without OFICIOS_FIRMA_CLAVE, the prompt meets the end of the
    input: said as what to do (exit 8), not "Internal error: Abort" (exit 70)."""
    ca, _conf = pki.shared()
    monkeypatch.delenv("OFICIOS_FIRMA_CLAVE", raising=False)
    result = generate(tmp_path, "--sign", "--pkcs12", str(ca.p12), input="")
    assert result.exit_code == 8, result.output
    assert "no se indicó la contraseña ni el PIN de la clave de firma" in result.output
    assert "defina OFICIOS_FIRMA_CLAVE" in result.output and "Error interno" not in result.output
    assert not (tmp_path / "out").exists()


def test_sign_needs_one_key_and_a_key_needs_sign(tmp_path):
    result = generate(tmp_path, "--sign")
    assert result.exit_code == 2 and "--sign necesita una clave" in result.output
    result = generate(tmp_path, "--pkcs12", "x.p12")
    assert result.exit_code == 2 and "agregue --sign" in result.output
    assert not (tmp_path / "out").exists()


def test_a_template_asking_for_an_invisible_signature_gets_the_printed_line(tmp_path):
    import pypdfium2

    from conftest import ROSTER, template_variant

    ca, _conf = pki.shared()
    folder = template_variant(tmp_path / "plantilla", replace=(
        "[destinatario]", '[firma_electronica]\nmodo = "invisible"\nleyenda = "Firmado '
                          'digitalmente"\n\n[destinatario]'))
    args = ["generate", "--template", str(folder), "--roster", str(ROSTER), "--only", "13120",
            "--output", str(tmp_path / "out"), "--quiet", "--sign", "--pkcs12", str(ca.p12)]
    result = CliRunner().invoke(cli, args, env={"OFICIOS_FIRMA_CLAVE": pki.PASSWORD},
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (letter,) = (tmp_path / "out" / "plantilla" / "pdf").glob("*.pdf")
    assert check_signatures(letter, [ca.root]).ok
    document = pypdfium2.PdfDocument(letter)
    text = " ".join(document[len(document) - 1].get_textpage().get_text_range().split())
    document.close()
    assert f"Firmado digitalmente por {pki.SIGNER_NAME}, MINISTRA DE PLANIFICACIÓN, el" in text
