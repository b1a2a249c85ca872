"""The public API's functions: what a script or a server does with oficios, in a few calls.

    template = oficios.load_template("templates/mideplan-01-A-264")
    roster = oficios.read_roster(template, "recipients/municipalidades.csv")
    oficios.check(template, roster)                      # raises what the CLI's check reports
    letter = next(oficios.letters(template, roster))
    pdf = oficios.render(template, letter, "pdf")        # bytes; nothing is written

Everything is exported from `oficios` itself (see `oficios.__all__`).
"""

from __future__ import annotations

import atexit
import functools
from collections.abc import Iterator, Mapping
from pathlib import Path

from oficios.letter import Letter
from oficios.roster import Roster
from oficios.template import OficioTemplate



def load_template(folder: str | Path) -> OficioTemplate:
    """The template folder, read and compiled; TemplateError says what is wrong in it."""
    return OficioTemplate(folder)


def read_roster(template: OficioTemplate, path: str | Path, *,
                column_map: Mapping[str, str] | None = None, sheet: str | None = None,
                only: list[str] | None = None) -> Roster:
    """The roster read as `template` needs it: its key column, required and optional columns,
    key format and limits. `column_map` names columns explicitly ({"region": "REGIÓN"}),
    `sheet` a workbook's sheet (None: the first), `only` some keys (None: every recipient)."""
    from oficios.pipeline import Job, _read

    job = Job(template=template.folder, roster=Path(path),
              column_map=tuple((column_map or {}).items()), sheet=sheet,
              only=tuple(only) if only else None)
    return _read(job, template)[1]


def check(template: OficioTemplate, roster: Roster) -> None:
    """Merges every recipient in memory and keeps nothing: raises every problem, writes nothing."""
    from oficios.merge import validate_all

    validate_all(template, roster)


def letters(template: OficioTemplate, roster: Roster) -> Iterator[Letter]:
    """Each recipient's merged Letter, in roster order (check first: this stops at a bad row)."""
    from oficios.merge import Merger

    merger = Merger(template)
    for recipient in roster.recipients:
        yield merger.merge(recipient, roster.path)


def render(template: OficioTemplate, letter: Letter, fmt: str = "pdf", *,
           pdfa: bool = False) -> bytes:
    """One letter as the bytes of its PDF or DOCX file, as `generate` would write it (whole:
    a batch may compose its PDFs from shared layers, to the same pixels)."""
    return renderer(template, fmt, pdfa=pdfa).render_all([letter])[0]


def renderer(template: OficioTemplate, fmt: str = "pdf", *, pdfa: bool = False):
    """The renderer of one output format (oficios.formats) for a template: fonts, CSS and the
    prepared DOCX are loaded once and kept for the next letters of this process."""
    from oficios import formats

    if fmt not in formats.FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(formats.FORMATS)}")
    return _renderer(template, fmt, pdfa)


@functools.lru_cache(maxsize=8)
def _renderer(template: OficioTemplate, fmt: str, pdfa: bool):
    from oficios import formats

    return formats.get(fmt).renderer(formats.Options(template, pdfa=pdfa))


# Renderers are dropped at exit while the modules they use still exist (WeasyPrint's font
# configuration cleans up in __del__ and fails if that runs during interpreter teardown).
atexit.register(_renderer.cache_clear)


def open_register(path: str | Path, *, readonly: bool = False):
    """The Oficina de Partes' register (an SQLite file), as a `Register` (use it in `with`)."""
    from oficios.register import Register

    return Register(Path(path), readonly=readonly)


def verify_file(path: str | Path, register_path: str | Path):
    """What the register says of a PDF or DOCX file: a `Verdict` (status, oficio, code…)."""
    from oficios.verify import verify

    return verify(Path(path), Path(register_path))
