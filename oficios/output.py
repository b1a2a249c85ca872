"""Where letters go: output paths and atomic file writes.

Every file is written under a temporary name in its final folder and renamed when complete,
so a reader never sees a half-written letter and an interrupted run leaves none behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from oficios.errors import OutputError
from oficios.letter import Letter
from oficios.slugs import ascii_slug, key_slug, safe_name

FORMATS = ("pdf", "docx")


@dataclass(frozen=True)
class OutputLayout:
    """The folder tree of one oficio's output: <root>/<oficio>/<format>/<key>-<slug>.<format>."""

    root: Path
    oficio: str

    @classmethod
    def for_template(cls, root: str | Path, template_name: str) -> OutputLayout:
        """The layout for a template, its folder named by an ASCII slug of the template's name."""
        return cls(Path(root).resolve(), safe_name(ascii_slug(template_name)))

    @property
    def folder(self) -> Path:
        return self.root / self.oficio

    def file_name(self, letter: Letter, fmt: str) -> str:
        """The letter's file name: ASCII slugs of key and name, never a path, at most 106 bytes.

        The slug is slugged again so a Letter made by hand cannot smuggle in a path; the roster
        refuses keys whose slugs are equal, so two letters never share a name.
        """
        return f"{safe_name(f'{key_slug(letter.key)}-{ascii_slug(letter.slug)}')}.{fmt}"

    @property
    def combined_pdf(self) -> Path:
        """The whole batch in one PDF, for printing."""
        return self.folder / f"{self.oficio}-combinado.pdf"

    def path(self, letter: Letter, fmt: str, kind: str | None = None) -> Path:
        """Where a letter's file goes; `kind` is the sub-folder, None for the format's own."""
        path = self.folder / (kind or fmt) / self.file_name(letter, fmt)
        if not path.resolve().is_relative_to(self.folder):
            raise OutputError(f"file name escapes the output folder: {path}", file=path)
        return path


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A file to write `path` through: it appears under its name only if the block completes."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"cannot write here: {exc.strerror}", file=path.parent,
                          hint="choose another folder with --output") from None
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        # Interrupted or failed: the temporary file must not outlive us.
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write: {exc.strerror}", file=path,
                              hint="check free space and permissions") from None
        raise


def write_atomic(path: Path, data: bytes) -> Path:
    """Writes `data` to `path` completely or not at all; returns the path."""
    with atomic_file(path) as f:
        f.write(data)
    return path


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def remove_partial_files(folder: Path) -> int:
    """Deletes temporary files a killed run may have left below `folder`; returns how many."""
    count = 0
    if folder.is_dir():
        for tmp in folder.rglob(".*.part"):
            tmp.unlink(missing_ok=True)
            count += 1
    return count
