"""The register: batches and letters recorded once, correlative numbers, no silent re-issue."""

from __future__ import annotations

import multiprocessing
import sqlite3

import pytest
from click.testing import CliRunner

from conftest import DATA, TEMPLATE
from oficios.cli import cli
from oficios.pipeline import Job, generate
from oficios.register import Register, RegisterError, verification_code

FOUR = DATA / "roster-four-municipalities.csv"
FOUR_CHANGED = DATA / "roster-four-municipalities-with-a-mayor-added.csv"


def _reserve_many(path: str, count: int, queue) -> None:
    with Register(path) as db:
        queue.put([db.reserve("ORD", 2026) for _ in range(count)])


def test_concurrent_processes_never_get_the_same_number(tmp_path):
    path = str(tmp_path / "reg.sqlite")
    Register(path, create=True).close()
    queue = multiprocessing.get_context("spawn").Queue()
    workers = [multiprocessing.get_context("spawn").Process(target=_reserve_many, args=(path, 25, queue))
               for _ in range(4)]
    for w in workers:
        w.start()
    numbers = [n for _ in workers for n in queue.get(timeout=60)]
    for w in workers:
        w.join(timeout=60)
    assert sorted(numbers) == list(range(1, 101))


def test_numbers_are_per_series_and_year(tmp_path):
    with Register(tmp_path / "r.sqlite", create=True) as db:
        assert [db.reserve("ord", 2026), db.reserve("ORD", 2026), db.reserve("RES", 2026),
                db.reserve("ORD", 2027)] == [1, 2, 1, 1]


def test_cli_next_prints_the_reserved_number(tmp_path):
    args = ["register", "next", "ORD", "--year", "2026", "--register", str(tmp_path / "r.sqlite")]
    assert CliRunner().invoke(cli, ["register", "init", *args[-2:]]).exit_code == 0
    assert CliRunner().invoke(cli, args).output == "ORD 1/2026\n"
    assert CliRunner().invoke(cli, args).output == "ORD 2/2026\n"


@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    """The four-municipality roster issued once, then rerun with the same content."""
    out = tmp_path_factory.mktemp("issued")
    first = generate(Job(template=TEMPLATE, roster=FOUR, output=out, workers=1))
    again = generate(Job(template=TEMPLATE, roster=FOUR, output=out, workers=1))
    return out, first, again


def test_a_batch_and_its_letters_are_recorded_once(issued):
    out, first, again = issued
    assert first.batch.id == again.batch.id and again.batch.estado == "completo"
    db = sqlite3.connect(out / "registro-oficina-de-partes.sqlite")
    assert db.execute("SELECT COUNT(*) FROM lotes").fetchone()[0] == 1
    assert db.execute("SELECT COUNT(*), COUNT(DISTINCT clave) FROM cartas").fetchone() == (4, 4)
    assert db.execute("SELECT COUNT(*) FROM archivos").fetchone()[0] == 8
    row = db.execute("SELECT oficio, fecha, materia, cartas, comando FROM lotes").fetchone()
    assert row == ("MIDEPLAN OF. N° 01-A/264", "2009-02-05",
                   "Informa Encuentro Nacional del Sistema Intersectorial de Protección Social.",
                   4, "oficios generate")


def test_recorded_hashes_and_codes_are_those_of_the_files(issued):
    out, first, _ = issued
    with Register(out / "registro-oficina-de-partes.sqlite") as db:
        letters = {row["clave"]: row for row in db.letters()}
    assert letters["13120"]["codigo"] == verification_code("MIDEPLAN OF. N° 01-A/264", 1, "13120")
    for path, digest in first.sha256.items():
        assert digest in {letters[path.name[:5]]["pdf_sha256"], letters[path.name[:5]]["docx_sha256"]}


def test_different_content_under_the_same_number_is_refused_then_reissued_with_a_reason(issued):
    out, first, _ = issued
    with pytest.raises(RegisterError) as info:
        generate(Job(template=TEMPLATE, roster=FOUR_CHANGED, output=out, workers=1))
    assert "MIDEPLAN OF. N° 01-A/264 ya se emitió (versión 1" in str(info.value)
    assert "--reissue --reason" in str(info.value)
    with pytest.raises(RegisterError, match="una reemisión necesita un motivo"):
        generate(Job(template=TEMPLATE, roster=FOUR_CHANGED, output=out, workers=1, reissue=True))
    second = generate(Job(template=TEMPLATE, roster=FOUR_CHANGED, output=out, workers=1,
                          reissue=True, reason="Se agrega el nombre de la alcaldesa de Ñuñoa"))
    assert (second.batch.version, second.batch.estado) == (2, "completo")
    with Register(out / "registro-oficina-de-partes.sqlite") as db:
        versions = db.batch("MIDEPLAN OF. N° 01-A/264")
        assert [b.version for b in versions] == [1, 2]
        assert versions[1].motivo_reemision == "Se agrega el nombre de la alcaldesa de Ñuñoa"
        codes = {(r["version"], r["clave"]): r["codigo"] for r in db.letters()}
    assert codes[(1, "13120")] != codes[(2, "13120")]
    assert len(codes) == 8  # both versions are kept


def test_cli_refusal_is_one_clear_message_with_exit_code_5(issued):
    out, _, _ = issued
    result = CliRunner().invoke(cli, ["generate", "--template", str(TEMPLATE), "--roster",
                                      str(DATA / "roster-ten-municipalities.csv"), "--output", str(out)])
    assert result.exit_code == 5
    assert "ya se emitió" in result.output and "Traceback" not in result.output


def test_register_list_show_and_export(issued):
    out, _, _ = issued
    reg = ["--register", str(out / "registro-oficina-de-partes.sqlite")]
    listing = CliRunner().invoke(cli, ["register", "list", *reg])
    assert listing.exit_code == 0 and "completo" in listing.output
    shown = CliRunner().invoke(cli, ["register", "show", "MIDEPLAN OF. N° 01-A/264", *reg])
    assert shown.exit_code == 0 and "13120" in shown.output and "Ñuñoa" in shown.output
    exported = CliRunner().invoke(cli, ["register", "export", *reg])
    lines = exported.output.splitlines()
    assert lines[0].startswith("\ufefflote,oficio,version,fecha,clave,destinatario")
    assert any(",13120,Ñuñoa," in line for line in lines[1:])
    missing = CliRunner().invoke(cli, ["register", "show", "nope", *reg])
    assert missing.exit_code == 1 and "no hay un lote 'nope'" in missing.output


def test_a_refused_run_opens_no_register(tmp_path):
    result = CliRunner().invoke(cli, ["generate", "--template", str(TEMPLATE), "--roster",
                                      str(DATA / "roster-unknown-gender.csv"), "--output", str(tmp_path)])
    assert result.exit_code == 2
    assert list(tmp_path.iterdir()) == []
