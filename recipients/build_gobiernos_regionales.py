"""Builds recipients/gobiernos_regionales.csv from the official division list in source/.

One row per regional government (16), keyed by the 2-digit region code (`cut_region`, as text).
The government's name follows the region's official name: "Región de Tarapacá" gives
"Gobierno Regional de Tarapacá", "Región del Biobío" "Gobierno Regional del Biobío", and the
Metropolitan Region's is "Gobierno Regional Metropolitano de Santiago". Counts of provinces,
comunas and municipalities are counted from the same list (see source/*.README.md).
Run: `.venv/bin/python recipients/build_gobiernos_regionales.py [SOURCE_CSV] [OUT_CSV]`.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE / "source" / "chile_division_politica.csv"
DEFAULT_OUT = HERE / "gobiernos_regionales.csv"

COLUMNS = [
    "cut_region", "gobierno_regional", "region", "region_numeral", "provincias", "comunas",
    "municipalidades", "gobernador", "genero", "email", "direccion",
]
METROPOLITAN = "Región Metropolitana de Santiago"


def government_name(region: str) -> str:
    """The regional government's name from the region's official name."""
    if region == METROPOLITAN:
        return "Gobierno Regional Metropolitano de Santiago"
    if not region.startswith(("Región de ", "Región del ")):
        raise ValueError(f"unexpected region name: {region!r}")
    return "Gobierno Regional" + region.removeprefix("Región")


def build_rows(source: Path) -> list[dict[str, str]]:
    """One dict per region, in code order."""
    with source.open(encoding="utf-8", newline="") as f:
        comunas = list(csv.DictReader(f))
    rows: dict[str, dict[str, str]] = {}
    for code in sorted({c["cut_region"] for c in comunas}):
        inside = [c for c in comunas if c["cut_region"] == code]
        region = inside[0]["region"]
        rows[code] = {
            "cut_region": code,
            "gobierno_regional": government_name(region),
            "region": region,
            "region_numeral": inside[0]["region_numeral"],
            "provincias": str(len({c["cut_provincia"] for c in inside})),
            "comunas": str(len(inside)),
            "municipalidades": str(len({c["municipalidad"] for c in inside})),
            "gobernador": "", "genero": "", "email": "", "direccion": "",
        }
    return list(rows.values())


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
    print(f"{dst}: {len(built)} regional governments from {src}")
