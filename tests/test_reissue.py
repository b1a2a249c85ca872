"""Re-issues keep the archive whole: full batch -> re-issue of 2 -> partial run -> re-issue of
1 again, with register, files, checksums, manifest and `verify` checked after each step."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from conftest import DATA, TEMPLATE, template_variant
from oficios.cli import cli
from oficios.combine import pdf_text
from oficios.pipeline import Job, generate
from oficios.register import Register
from oficios.verify import ARCHIVE, SUPERSEDED, VERIFIED, verify

TEN = DATA / "roster-ten-municipalities.csv"
OFICIO = "MIDEPLAN OF. N° 01-A/264"


def _variant(tmp_path, name: str, antecedente: str):
    # The folder keeps the template's name: the output folder is named after it.
    return template_variant(tmp_path / name / TEMPLATE.name,
                            replace=('antecedente = "No hay."', f'antecedente = "{antecedente}"'))


def _sums_pass(folder) -> None:
    run = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=folder,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def _manifest(folder) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def _current_versions(folder) -> dict[str, int]:
    with (folder / "nomina.csv").open(encoding="utf-8") as f:
        return {row["clave"]: int(row["version"]) for row in csv.DictReader(f)}


def _pdf(folder, key: str):
    return next((folder / "pdf").glob(f"{key}-*.pdf"))


def test_full_batch_reissue_partial_run_and_reissue_again_keep_everything_verifiable(tmp_path):
    out = tmp_path / "out"
    register = out / "registro-oficina-de-partes.sqlite"
    v2_template = _variant(tmp_path, "v2", "Oficio N° 12 de 2009.")
    v3_template = _variant(tmp_path, "v3", "Oficio N° 15 de 2009.")

    # 1. The full batch: ten letters, the archive copy, everything current.
    first = generate(Job(template=TEMPLATE, roster=TEN, output=out, workers=1))
    folder = first.folder
    assert (first.batch.version, first.batch.estado, first.batch.cartas) == (1, "completo", 10)
    _sums_pass(folder)
    assert set(_current_versions(folder).values()) == {1}
    assert verify(first.combined, register).status == ARCHIVE
    v1_iquique = _pdf(folder, "01101").read_bytes()
    v1_archive = first.combined.read_bytes()

    # 2. Re-issue of two letters: a complete batch of two, the old files kept beside.
    second = generate(Job(template=v2_template, roster=TEN, output=out, workers=1,
                          only=("01101", "05101"), reissue=True, reason="Se corrige el ANT."))
    assert (second.batch.version, second.batch.estado, second.batch.cartas) == (2, "completo", 2)
    kept = folder / "reemplazadas" / "v1" / "pdf" / _pdf(folder, "01101").name
    assert kept.read_bytes() == v1_iquique
    assert (folder / "reemplazadas" / "v1" / "docx").is_dir()
    assert _pdf(folder, "01101").read_bytes() != v1_iquique
    old = verify(kept, register)
    assert old.status == SUPERSEDED and old.superseded_by.version == 2
    assert old.superseded_by.motivo_reemision == "Se corrige el ANT."
    assert verify(_pdf(folder, "01101"), register).status == VERIFIED
    assert verify(_pdf(folder, "13120"), register).status == VERIFIED  # not re-issued
    assert first.combined.read_bytes() == v1_archive  # a partial run keeps the archive copy
    assert verify(first.combined, register).status == ARCHIVE
    supplement = folder / "mideplan-01-a-264-reemision-v2.pdf"
    found = verify(supplement, register)
    text = " ".join(pdf_text(supplement).split())
    assert "Motivo de la reemisión: Se corrige el ANT." in text
    assert "respecto de la versión 1 cambió la plantilla" in text
    assert "reemplaza la versión 1 (código" in text
    assert found.status == ARCHIVE and found.copy.tipo == "suplemento" and found.copy.cartas == 2
    _sums_pass(folder)
    versions = _current_versions(folder)
    assert versions["01101"] == versions["05101"] == 2 and versions["13120"] == 1
    assert len(versions) == 10
    manifest = _manifest(folder)
    assert manifest["cartas"] == 10 and manifest["versiones_vigentes"] == [1, 2]
    listed = {e["archivo"]: e for e in manifest["archivos"]}
    assert listed[f"reemplazadas/v1/pdf/{kept.name}"]["vigente"] is False
    assert listed[f"pdf/{kept.name}"]["vigente"] is True

    # 3. A partial run with the re-issue's content continues the re-issue's batch.
    third = generate(Job(template=v2_template, roster=TEN, output=out, workers=1,
                         only=("13120",)))
    assert (third.batch.id, third.batch.estado, third.batch.cartas) == (second.batch.id,
                                                                        "completo", 3)
    assert verify(folder / "reemplazadas" / "v1" / "pdf" / _pdf(folder, "13120").name,
                  register).status == SUPERSEDED
    assert verify(supplement, register).copy.cartas == 3
    _sums_pass(folder)
    assert _current_versions(folder)["13120"] == 2

    # 4. One of them re-issued again: version 3; both earlier versions kept and answered.
    v2_iquique = _pdf(folder, "01101").read_bytes()
    fourth = generate(Job(template=v3_template, roster=TEN, output=out, workers=1,
                          only=("01101",), reissue=True, reason="Otra corrección."))
    assert (fourth.batch.version, fourth.batch.estado, fourth.batch.cartas) == (3, "completo", 1)
    v2_kept = folder / "reemplazadas" / "v2" / "pdf" / kept.name
    assert v2_kept.read_bytes() == v2_iquique and kept.read_bytes() == v1_iquique
    assert verify(v2_kept, register).superseded_by.version == 3
    assert verify(kept, register).superseded_by.version == 2
    assert verify(_pdf(folder, "01101"), register).status == VERIFIED
    _sums_pass(folder)
    assert _current_versions(folder)["01101"] == 3
    with Register(register, readonly=True) as db:
        counts = {b.version: (b.cartas, b.estado) for b in db.batches()}
    assert counts == {1: (10, "completo"), 2: (3, "completo"), 3: (1, "completo")}
    result = CliRunner().invoke(cli, ["verify", str(kept), "--register", str(register)])
    assert result.exit_code == 6 and result.output.startswith("REEMPLAZADA:")
    assert "«Se corrige el ANT.»" in result.output

    # A later full run of the latest content writes a new archive copy; the old one is kept.
    fifth = generate(Job(template=v3_template, roster=TEN, output=out, workers=1))
    assert fifth.batch.version == 3 and fifth.batch.estado == "completo"
    old_archive = folder / "reemplazadas" / "v1" / first.combined.name
    assert old_archive.read_bytes() == v1_archive
    assert verify(old_archive, register).copy.batch.version == 1
    assert verify(fifth.combined, register).copy.batch.version == 3
    _sums_pass(folder)
    assert set(_current_versions(folder).values()) == {3}
    assert shutil.which("sha256sum")


@pytest.mark.slow
def test_a_reissue_after_the_full_roster_keeps_the_archive_copy_and_the_sums(tmp_path):
    from conftest import ROSTER

    out = tmp_path / "out"
    register = out / "registro-oficina-de-partes.sqlite"
    first = generate(Job(template=TEMPLATE, roster=ROSTER, output=out))
    assert (first.batch.estado, first.batch.cartas) == ("completo", 345)
    _sums_pass(first.folder)
    second = generate(Job(template=_variant(tmp_path, "v2", "Oficio N° 12 de 2009."), roster=ROSTER,
                          output=out, only=("13120", "08301"), reissue=True, reason="Corrección."))
    assert (second.batch.version, second.batch.estado, second.batch.cartas) == (2, "completo", 2)
    assert verify(first.combined, register).copy.batch.version == 1
    assert verify(first.folder / "reemplazadas" / "v1" / "pdf" / "13120-nunoa.pdf",
                  register).status == SUPERSEDED
    _sums_pass(first.folder)
    versions = _current_versions(first.folder)
    assert len(versions) == 345 and versions["13120"] == 2 and versions["01101"] == 1
