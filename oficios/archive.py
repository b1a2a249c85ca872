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
from oficios.output import atomic_file, sha256_file
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
        rows.append({"key": item.key, "name": item.name, "detail": item.detail,
                     "numero": item.numero,
                     "file": pdf[0].name if pdf else "", "sha256": pdf[1] if pdf else "",
                     "code": item.code})
    return rows


SUPERSEDED = "reemplazadas"  # <oficio>/reemplazadas/v<N>/...: files a re-issue replaced


def write_folder_records(register, about: dict, folder: Path, oficio: str,
                         detail: str = "detalle") -> tuple[Path, ...]:
    """nomina.csv, manifest.json and SHA256SUMS of a folder, from the register: every file
    of every version of the oficio written there, the current version of each letter marked
    `vigente`. Rewritten after every run, so they are never stale. Returns the three paths.
    `detail` heads the nómina's column of each recipient's detail (the template's column).

    The three are written as the register's rows are read, one letter at a time, so their
    cost in memory does not grow with the batch."""
    carpeta = str(folder)
    summary = register.folder_summary(oficio, carpeta)
    copies = list(register.copies(oficio, carpeta))
    latest = max((c.batch.version for c in copies if c.tipo == "archivo"), default=None)
    archive_copy = next((_relative(Path(c.ruta), folder) for c in copies
                         if c.tipo == "archivo" and c.batch.version == latest), None)
    head = dict(about, cartas=summary["cartas"], copia_de_archivo=archive_copy,
                formato_copia_de_archivo="PDF/A-2b" if archive_copy else None,
                versiones_vigentes=summary["versiones"], lotes=summary["lotes"])
    with atomic_file(folder / NOMINA) as nomina_file, atomic_file(folder / MANIFEST) as manifest, \
            atomic_file(folder / CHECKSUMS) as sums:
        nomina = _NominaCsv(nomina_file, summary["formatos"], folder, detail)
        entries = _ManifestEntries(manifest, sums, head)
        for row in register.iter_folder_files(oficio, carpeta):
            if row["vigente"]:
                nomina.add(row)
            entries.add({"archivo": _relative_text(row["ruta"], folder), "formato": row["formato"],
                         "sha256": row["sha256"], "bytes": row["bytes"], "clave": row["clave"],
                         "destinatario": row["destinatario"], "numero": row["numero"],
                         "codigo_verificacion": row["codigo"], "version": row["version"],
                         "vigente": bool(row["vigente"])})
        for copy in copies:
            path = Path(copy.ruta)
            entries.add({"archivo": _relative(path, folder), "formato": "pdf",
                         "sha256": copy.sha256, "bytes": path.stat().st_size if path.is_file() else 0,
                         "tipo": {"archivo": "copia de archivo", "suplemento": "suplemento de "
                                  "reemisión"}.get(copy.tipo, copy.tipo),
                         "version": copy.batch.version, "cartas": copy.cartas})
        digest, size = nomina.close()
        entries.add({"archivo": NOMINA, "formato": "csv", "sha256": digest, "bytes": size})
        entries.close()
    return folder / NOMINA, folder / MANIFEST, folder / CHECKSUMS


class _ManifestEntries:
    """manifest.json (as json.dumps(dict(head, archivos=[...]), indent=2) writes it) and
    SHA256SUMS, written one file entry at a time."""

    def __init__(self, manifest, sums, head: dict) -> None:
        self.manifest, self.sums, self.count = manifest, sums, 0
        opening = json.dumps(dict(head, archivos=[]), ensure_ascii=False, indent=2)
        assert opening.endswith('"archivos": []\n}')
        manifest.write(opening[:-len("[]\n}")].encode("utf-8") + b"[")

    def add(self, entry: dict) -> None:
        text = json.dumps(entry, ensure_ascii=False, indent=2).replace("\n", "\n    ")
        self.manifest.write(("," if self.count else "") .encode() + b"\n    " + text.encode("utf-8"))
        self.sums.write(f"{entry['sha256']}  {entry['archivo']}\n".encode("utf-8"))
        self.count += 1

    def close(self) -> None:
        self.manifest.write(b"\n  ]\n}\n" if self.count else b"]\n}\n")


class _NominaCsv:
    """nomina.csv: N°, key, recipient, detail (headed `detail`, e.g. region), printed number,
    version, code, and each file with its SHA-256 (the current letters), a letter a row, from
    the register's rows of the current letters in order (a letter's formats one after another)."""

    def __init__(self, file, formats: Sequence[str], folder: Path, detail: str) -> None:
        self.file, self.formats, self.folder = file, list(formats), folder
        self.digest, self.size, self.count, self.letter = hashlib.sha256(), 0, 0, None
        self._row(["n", "clave", "destinatario", detail, "numero", "version",
                   "codigo_verificacion"]
                  + [f"{col}_{fmt}" for fmt in self.formats for col in ("archivo", "sha256")])

    def add(self, row: dict) -> None:
        if self.letter is not None and (self.letter["lote"], self.letter["clave"]) \
                != (row["lote"], row["clave"]):
            self._letter()
        if self.letter is None:
            self.letter = dict(row, files={})
        self.letter["files"][row["formato"]] = (row["ruta"], row["sha256"])

    def close(self) -> tuple[str, int]:
        """The file's SHA-256 and size once the last letter is written."""
        if self.letter is not None:
            self._letter()
        return self.digest.hexdigest(), self.size

    def _letter(self) -> None:
        letter, self.letter = self.letter, None
        self.count += 1
        files = []
        for fmt in self.formats:
            file, digest = letter["files"].get(fmt, (None, ""))
            files += [_relative_text(file, self.folder) if file else "", digest]
        self._row([self.count, letter["clave"], letter["destinatario"], letter["detalle"],
                   letter["numero"], letter["version"], letter["codigo"]] + files)

    def _row(self, values: list) -> None:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(values)
        data = buffer.getvalue().encode("utf-8")
        self.file.write(data)
        self.digest.update(data)
        self.size += len(data)


def _letters(rows: Sequence[dict]) -> list[dict]:
    """Rows of (letter, file) grouped by letter, each with its files by format."""
    letters: dict[tuple, dict] = {}
    for row in rows:
        letter = letters.setdefault((row["lote"], row["clave"]), dict(row, files={}))
        letter["files"][row["formato"]] = (Path(row["ruta"]), row["sha256"])
    return sorted(letters.values(), key=lambda r: (r["fila"], r["clave"]))


def supersede_files(register, batch, layout, keys: Sequence[str], archiving: bool) -> list[Path]:
    """Moves the files a new version replaces to <oficio>/reemplazadas/v<N>/, keeping their
    names, and records where they went: earlier versions' letters of `keys`, and (when
    `archiving`) an earlier version's archive copy. Returns the new paths."""
    folder = layout.folder
    moves: list[tuple[Path, Path]] = []
    wanted = set(keys)
    for row in register.folder_files(batch.oficio, str(folder)):
        if row["version"] < batch.version and row["clave"] in wanted:
            moves.append((Path(row["ruta"]), row["sha256"], row["version"]))
    if archiving:
        for copy in register.copies(batch.oficio, str(folder)):
            if copy.tipo == "archivo" and copy.batch.version < batch.version:
                moves.append((Path(copy.ruta), copy.sha256, copy.batch.version))
    done = []
    for path, digest, version in moves:
        if path.is_relative_to(folder / SUPERSEDED) or not path.is_relative_to(folder):
            continue
        target = folder / SUPERSEDED / f"v{version}" / path.relative_to(folder)
        if path.is_file() and sha256_file(path) == digest:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
        elif not (target.is_file() and sha256_file(target) == digest):
            continue  # not there any more (nor moved by an interrupted run): nothing to keep
        done.append((str(path), str(target)))
    register.move_files(done)
    return [Path(new) for _old, new in done]


def write_supplement(register, template, layout, batch) -> tuple[Path, int]:
    """The re-issue supplement, PDF/A-2b: the letters of re-issue `batch` and a nómina saying
    which version each replaces and why. Returns its path and how many letters it holds."""
    from oficios.combine import ArchiveInfo, CombinedPdf
    from oficios.merge import Merger
    from oficios.render_pdf import render_nomina

    rows = register.folder_files(batch.oficio, str(layout.folder))
    letters = [r for r in _letters(rows) if r["lote"] == batch.id and "pdf" in r["files"]]
    earlier: dict[str, dict] = {}
    for row in _letters(rows):
        if row["version"] < batch.version:
            earlier[row["clave"]] = row  # rows come by version: the last is the latest
    nomina = [{"key": r["clave"], "name": r["destinatario"], "detail": r["detalle"],
               "file": r["files"]["pdf"][0].name, "sha256": r["files"]["pdf"][1],
               "code": r["codigo"],
               "replaces": (f"reemplaza la versión {earlier[r['clave']]['version']} "
                            f"(código {earlier[r['clave']]['codigo']})"
                            if r["clave"] in earlier else "carta nueva en esta versión")}
              for r in letters]
    previous = [b for b in register.batch(batch.oficio) if b.version < batch.version]
    changed = []
    if previous and previous[-1].plantilla_sha256 != batch.plantilla_sha256:
        changed.append("la plantilla (texto de la carta)")
    if previous and previous[-1].nomina_sha256 != batch.nomina_sha256:
        changed.append("la nómina de destinatarios")
    cambios = (f"respecto de la versión {previous[-1].version} cambió "
               f"{' y '.join(changed)}" if changed else "")
    title = f"{batch.oficio} — reemisión, versión {batch.version}"
    path = layout.folder / f"{layout.oficio}-reemision-v{batch.version}.pdf"
    info = ArchiveInfo(title=title, subject=template.text("oficio", "materia"),
                       author=template.meta.get("oficio", {}).get("autor", ""),
                       date=template.fecha)
    context = dict(numero=batch.oficio, materia=batch.materia, lugar_fecha=Merger(template).fecha,
                   fecha=template.fecha, author=info.author, version=batch.version,
                   key_label=template.key_column.upper(), rows=nomina, first=1,
                   total=len(nomina), motivo=batch.motivo_reemision, cambios=cambios)
    with CombinedPdf(path, title, info) as combined:
        for letter in letters:
            combined.add(letter["files"]["pdf"][0], f"{letter['clave']} {letter['destinatario']}")
        combined.add(render_nomina(context), "Nómina de la reemisión")
    return path, len(letters)


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


def _relative_text(ruta: str, folder: Path) -> str:
    """_relative for a path as the register keeps it (text), without making a Path of it
    when it plainly lies inside the folder (a batch's records have tens of thousands)."""
    prefix = str(folder) + os.sep
    if folder.is_absolute() and ruta.startswith(prefix) and os.path.normpath(ruta) == ruta:
        return ruta[len(prefix):].replace(os.sep, "/")
    return _relative(Path(ruta), folder)


def _relative(path: Path, folder: Path) -> str:
    if path.is_absolute() and path.is_relative_to(folder):  # as recorded: no file-system calls
        return path.relative_to(folder).as_posix()
    try:
        return path.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return str(path)
