"""The folder's records (nomina.csv, manifest.json, SHA256SUMS) are written as the register is
read: their memory does not grow with the batch (it was ~8.5 KB a letter, the end of a
20,000-letter batch peaking at ~400 MB), and they say the same as before."""

from __future__ import annotations

import csv
import json
import tracemalloc

from oficios.archive import write_folder_records
from oficios.register import Register

OFICIO = "ORD 1/2026"


def _records(tmp_path, letters: int) -> tuple[int, object]:
    folder = tmp_path / f"out-{letters}"
    folder.mkdir()
    with Register(tmp_path / f"registro-{letters}.sqlite", create=True) as db:
        batch = db.open_batch(oficio=OFICIO, fecha="2026-01-05", materia="Prueba",
                              plantilla_sha256="0", nomina_sha256="0", comando="test",
                              carpeta=str(folder), total=letters)
        for start in range(0, letters, 500):
            db.record_letters(batch, [
                (f"{n:06}", f"Municipalidad de Ñuñoa {n}", n + 1, f"CODE-{n:06}-XY",
                 {"pdf": (folder / "pdf" / f"{n:06}-nunoa.pdf", f"{n:064x}", 30000),
                  "docx": (folder / "docx" / f"{n:06}-nunoa.docx", f"{n + 1:064x}", 20000)})
                for n in range(start, min(letters, start + 500))])
        tracemalloc.start()
        try:
            write_folder_records(db, {"oficio": OFICIO}, folder, OFICIO)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    return peak, folder


def test_the_folder_records_of_3000_letters_take_no_more_memory_than_those_of_300(tmp_path):
    small, _ = _records(tmp_path, 300)
    large, folder = _records(tmp_path, 3000)
    assert large < small + 1_000_000, (small, large)  # the old code: ~23 MB more
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert manifest["cartas"] == 3000 and len(manifest["archivos"]) == 6001
    assert manifest["archivos"][0] == {
        "archivo": "docx/000000-nunoa.docx", "formato": "docx", "sha256": f"{1:064x}",
        "bytes": 20000, "clave": "000000", "destinatario": "Municipalidad de Ñuñoa 0",
        "numero": "", "codigo_verificacion": "CODE-000000-XY", "version": 1, "vigente": True}
    assert manifest["archivos"][-1]["archivo"] == "nomina.csv"
    with (folder / "nomina.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3000 and rows[2999]["archivo_pdf"] == "pdf/002999-nunoa.pdf"
    sums = (folder / "SHA256SUMS").read_text("utf-8").splitlines()
    assert len(sums) == 6001 and sums[1] == f"{0:064x}  pdf/000000-nunoa.pdf"
