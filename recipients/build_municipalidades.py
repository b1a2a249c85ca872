"""Builds recipients/municipalidades.csv from the official division list in shared/data.

One row per municipality (345), not per comuna (346): the comuna of Antártica has no
municipality and is administered by Cabo de Hornos, so it is listed among Cabo de Hornos'
comunas. Run: `.venv/bin/python recipients/build_municipalidades.py [SOURCE_CSV] [OUT_CSV]`.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# A copy of shared/data/chile_division_politica.csv (and its README), kept for provenance.
DEFAULT_SOURCE = HERE / "source" / "chile_division_politica.csv"
DEFAULT_OUT = HERE / "municipalidades.csv"

COLUMNS = [
    "cut", "municipalidad", "comunas", "provincia", "cut_provincia", "region", "cut_region",
    "alcalde", "genero", "email", "direccion",
]


def build_rows(source: Path) -> list[dict[str, str]]:
    """One dict per municipality, keyed by the municipality's own comuna's CUT code."""
    with source.open(encoding="utf-8", newline="") as f:
        comunas = list(csv.DictReader(f))
    by_name = {c["comuna"]: c for c in comunas}
    rows: dict[str, dict[str, str]] = {}
    for c in comunas:
        # The municipality's code is the code of the comuna that bears its name.
        seat = by_name[c["municipalidad"]]
        row = rows.setdefault(seat["cut_comuna"], {
            "cut": seat["cut_comuna"],
            "municipalidad": seat["municipalidad"],
            "comunas": "",
            "provincia": seat["provincia"],
            "cut_provincia": seat["cut_provincia"],
            "region": seat["region"],
            "cut_region": seat["cut_region"],
            "alcalde": "", "genero": "", "email": "", "direccion": "",
        })
        row["comunas"] = "; ".join(filter(None, [row["comunas"], c["comuna"]]))
    return sorted(rows.values(), key=lambda r: r["cut"])


def write(rows: list[dict[str, str]], out: Path) -> None:
    """Writes the roster as UTF-8 CSV with LF line endings."""
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE
    dst = Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_OUT
    built = build_rows(src)
    write(built, dst)
    print(f"{dst}: {len(built)} municipalities from {src}")
