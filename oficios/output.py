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
from oficios.i18n import gettext as _
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
            raise OutputError(_("file name escapes the output folder: {path}").format(path=path),
                              file=path)
        return path


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A file to write `path` through: it appears under its name only if the block completes."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise OutputError(_("cannot write here: {reason}").format(reason=exc.strerror),
                          file=path.parent, hint=_("choose another folder with --output")) from None
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        # Interrupted or failed: the temporary file must not outlive us.
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OutputError(_("cannot write: {reason}").format(reason=exc.strerror), file=path,
                              hint=_("check free space and permissions")) from None
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


def make_folder(folder: Path) -> Path:
    """Creates the output folder (and its parents), or raises OutputError naming the path
    that is in the way: a file where a folder should be, or a place that cannot be written."""
    for place in (folder, *folder.parents):
        if place.exists() or place.is_symlink():
            if not place.is_dir():
                raise OutputError(_("is a file, not a folder: the output cannot be written "
                                    "inside it"), file=place,
                                  hint=_("choose another folder with --output, or move that file"))
            break
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = tempfile.TemporaryFile(dir=folder)
    except OSError as exc:
        raise OutputError(_("the output folder cannot be written: {reason}").format(
                              reason=exc.strerror),
                          file=folder, hint=_("choose with --output a folder you can write in, "
                                              "or check its permissions")) from None
    probe.close()
    return folder


LOCK_FILE = ".lote-en-curso.lock"


class FolderBusyError(OutputError):
    """Another process is writing a batch into the same folder."""

    exit_code = 5


@contextlib.contextmanager
def exclusive_folder(folder: Path, command: str = "") -> Iterator[None]:
    """Holds the folder for one batch: a second process refuses at once, naming the first.

    The lock file holds the process id, start time and command; its lock is the operating
    system's (released when the process ends, however it ends), so a file left by a killed
    run is recognised as stale and taken over.
    """
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, as before
        yield
        return
    import datetime as dt
    import json
    import socket

    path = folder / LOCK_FILE
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_lock(fd)
            os.close(fd)
            started = holder.get("inicio", "")[11:16] or _("a moment ago")
            command = f" ({holder['comando']})" if holder.get("comando") else ""
            raise FolderBusyError(
                _("a batch of this oficio is being written by the process {pid} since "
                  "{started}{command}").format(pid=holder.get("pid", "?"), started=started,
                                               command=command),
                file=folder, hint=_("wait for it to finish and run the command again; what is "
                                    "already written and registered is not repeated")) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:  # else the previous holder removed it between our open and lock: again
            break
        os.close(fd)
    try:
        info = {"pid": os.getpid(), "host": socket.gethostname(), "comando": command,
                "inicio": dt.datetime.now().astimezone().replace(microsecond=0).isoformat()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info, ensure_ascii=False).encode("utf-8"), 0)
        yield
    finally:
        Path(path).unlink(missing_ok=True)
        os.close(fd)


def _read_lock(fd: int) -> dict:
    import json

    try:
        data = os.pread(fd, 4096, 0)
        value = json.loads(data.decode("utf-8")) if data else {}
        return value if isinstance(value, dict) else {}
    except (OSError, ValueError):
        return {}
