"""What the Oficina de Partes keeps of a batch, beside the letters: the nómina, a manifest,
checksums and the copies for the internal distribution.

Everything here can be checked without this tool: `nomina.csv` opens in a spreadsheet,
`manifest.json` in any program, and `sha256sum -c SHA256SUMS` re-hashes every file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

from oficios.batch import Written
from oficios.output import atomic_file, sha256_file, write_atomic
from oficios.slugs import ascii_slug

MANIFEST = "manifest.json"
NOMINA = "nomina.csv"
CHECKSUMS = "SHA256SUMS"
DISTRIBUTION = "distribucion"
# A distribution line naming the letter's own addressee, who receives the letter itself.
ADDRESSEE = re.compile(r"^\s*destinatari", re.IGNORECASE)


def folder_sha256(folder: Path) -> str:
    """One hash of every file in a folder (names and contents), in a stable order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(bytes.fromhex(sha256_file(path)))
    return digest.hexdigest()



def nomina_rows(written: Sequence[Written]) -> list[dict[str, str]]:
    """The nómina's rows: one per letter, with the PDF's name, hash and verification code."""
    rows = []
    for item in written:
        pdf = item.files.get("pdf")
        rows.append({"key": item.key, "name": item.name, "region": item.region,
                     "file": pdf[0].name if pdf else "", "sha256": pdf[1] if pdf else "",
                     "code": item.code})
    return rows


def write_nomina_csv(path: Path, written: Sequence[Written]) -> Path:
    """nomina.csv: N°, code, recipient, region, code, and each file with its SHA-256."""
    formats = sorted({fmt for item in written for fmt in item.files})
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(["n", "clave", "destinatario", "region", "codigo_verificacion"]
                 + [f"{col}_{fmt}" for fmt in formats for col in ("archivo", "sha256")])
    for n, item in enumerate(written, start=1):
        files = [value for fmt in formats
                 for value in (_relative(item.files[fmt][0], path.parent), item.files[fmt][1])]
        out.writerow([n, item.key, item.name, item.region, item.code] + files)
    return write_atomic(path, buffer.getvalue().encode("utf-8"))


def write_manifest(folder: Path, about: dict, written: Sequence[Written],
                   extra_files: Sequence[Path]) -> tuple[Path, Path]:
    """manifest.json (the batch and every file with its hash) and SHA256SUMS; returns both."""
    entries = []
    for item in written:
        for fmt, (path, sha256, size) in item.files.items():
            entries.append({"archivo": _relative(path, folder), "formato": fmt, "sha256": sha256,
                            "bytes": size, "clave": item.key, "destinatario": item.name,
                            "codigo_verificacion": item.code})
    for path in extra_files:
        entries.append({"archivo": _relative(path, folder), "formato": path.suffix.lstrip("."),
                        "sha256": sha256_file(path), "bytes": path.stat().st_size})
    manifest = dict(about, archivos=entries)
    manifest_path = write_atomic(folder / MANIFEST, (json.dumps(
        manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    sums = "".join(f"{e['sha256']}  {e['archivo']}\n" for e in entries)
    return manifest_path, write_atomic(folder / CHECKSUMS, sums.encode("utf-8"))


def distribution_copies(folder: Path, lines: Sequence[str], archive: Path) -> list[Path]:
    """For each internal recipient of the Distribución, a folder holding the archive copy.

    The copy is a hard link where the file system allows it (same bytes, no extra space).
    """
    copies = []
    for number, line in enumerate(lines, start=1):
        if ADDRESSEE.match(line):
            continue
        target = folder / DISTRIBUTION / f"{number}-{ascii_slug(line)}" / archive.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        try:
            os.link(archive, target)
        except OSError:  # another file system, or no hard links: copy the bytes
            with atomic_file(target) as out, archive.open("rb") as src:
                for block in iter(lambda: src.read(1 << 20), b""):
                    out.write(block)
        copies.append(target)
    return copies


def _relative(path: Path, folder: Path) -> str:
    try:
        return path.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return str(path)
