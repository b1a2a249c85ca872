"""oficios: official letters merged with a roster, rendered to PDF and DOCX.

The package is laid out as the pipeline a letter goes through:

    roster.py    the recipients, read (the only module that imports pandas); roster_checks.py
                 matches headers and checks every value and row
    template.py  the oficio template: metadata and Markdown body with Jinja placeholders
    merge.py     one roster row + the template -> one Letter (letter.py), format-independent
    formats.py   the table of output formats and their renderers
    render_pdf.py / render_docx/   Letters -> bytes (the only places importing weasyprint / docx)
    compose.py   a letter's PDF from shared and own layers (the only module importing pikepdf)
    batch.py     chunks of merged letters rendered by worker processes
    output.py    file names and atomic writes; zipwrite.py, reproducible DOCX zips
    combine.py   the letters in one PDF/A archive copy, with the nómina (pypdf)
    register.py  the Oficina de Partes' register (sqlite3); archive.py, verify.py use it
    pipeline.py  runs the stages in order
    api.py       the public functions below; template_schema.py, the keys of oficio.toml
    cli.py       the command line, the only place errors become messages and exit codes

The public API is what `__all__` names, importable from `oficios` itself:

    import oficios

    template = oficios.load_template("templates/mideplan-01-A-264")
    roster = oficios.read_roster(template, "recipients/municipalidades.csv")
    oficios.check(template, roster)
    pdf = oficios.render(template, next(oficios.letters(template, roster)), "pdf")

Names are imported when first used, so `import oficios` (and `oficios --help`) stays instant.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# Public name -> the module that defines it.
_EXPORTS = {
    "load_template": "oficios.api", "read_roster": "oficios.api", "check": "oficios.api",
    "letters": "oficios.api", "render": "oficios.api", "renderer": "oficios.api",
    "open_register": "oficios.api",
    "verify_file": "oficios.api",  # not "verify": that is the module oficios.verify
    "generate": "oficios.pipeline", "Job": "oficios.pipeline", "Result": "oficios.pipeline",
    "Progress": "oficios.pipeline",
    "OficioTemplate": "oficios.template", "write_starter": "oficios.template",
    "Roster": "oficios.roster", "Recipient": "oficios.roster", "Letter": "oficios.letter",
    "Register": "oficios.register", "Verdict": "oficios.verify",
    "OficiosError": "oficios.errors", "RosterError": "oficios.errors",
    "TemplateError": "oficios.errors", "OutputError": "oficios.errors",
    "ErrorList": "oficios.errors",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value  # the next access is a plain attribute
        return value
    raise AttributeError(f"module 'oficios' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
