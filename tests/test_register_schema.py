"""A register kept for years: a schema version, and migrations from the schema before it."""

from __future__ import annotations

import sqlite3

import pytest

from oficios.register import MIGRATIONS, SCHEMA, SCHEMA_VERSION, Register, RegisterError


def _register_of_today(path):
    """A register as every earlier release made it: SCHEMA, no version, one letter."""
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    db.execute("INSERT INTO lotes (oficio, version, fecha, materia, plantilla_sha256, nomina_sha256,"
               " cartas, estado, comando, generado_en, carpeta) VALUES ('ORD 7/2025', 1, "
               "'2025-03-01', 'Materia', 'a', 'b', 1, 'completo', 'oficios generate', "
               "'2025-03-01T10:00:00+00:00', '/archivo')")
    db.execute("INSERT INTO cartas (lote, clave, destinatario, fila, codigo, escrita_en) VALUES "
               "(1, '13120', 'Ñuñoa', 2, 'AAAA-BBBB-CC', '2025-03-01T10:00:01+00:00')")
    db.execute("INSERT INTO archivos VALUES (1, 'pdf', '/archivo/pdf/13120-nunoa.pdf', 'f00', 10)")
    db.commit()
    assert db.execute("PRAGMA user_version").fetchone()[0] == 0
    db.close()


def test_a_register_of_today_is_migrated_and_keeps_everything(tmp_path):
    path = tmp_path / "registro.sqlite"
    _register_of_today(path)
    with Register(path) as db:
        letters = db.letters()
        found = db.find_code("AAAA-BBBB-CC")
        batch = db.batches()[0]
    assert SCHEMA_VERSION == len(MIGRATIONS) >= 2
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    columns = {r[1] for r in raw.execute("PRAGMA table_info(cartas)")}
    assert {"numero", "detalle"} <= columns
    for table in ("copias", "entregas"):
        assert raw.execute("SELECT name FROM sqlite_master WHERE name=?", (table,)).fetchone()
    raw.close()
    assert [(r["clave"], r["destinatario"], r["numero"]) for r in letters] == [("13120", "Ñuñoa", "")]
    assert found.destinatario == "Ñuñoa" and batch.oficio == "ORD 7/2025" and batch.esperadas == 0
    with Register(path) as db:  # opening again migrates nothing twice
        assert db.batches() == [batch]


def test_an_older_register_is_read_without_being_changed(tmp_path):
    path = tmp_path / "registro.sqlite"
    _register_of_today(path)
    before = path.read_bytes()
    with Register(path, readonly=True) as db:
        assert db.find_code("AAAA-BBBB-CC").clave == "13120"
        assert db.copies("ORD 7/2025", "/archivo") == []
    assert path.read_bytes() == before


def test_a_register_from_a_newer_release_is_refused(tmp_path):
    path = tmp_path / "registro.sqlite"
    Register(path, create=True).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(RegisterError, match="más nuevo que el que esta versión de oficios conoce"):
        Register(path)
