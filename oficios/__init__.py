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
    cli.py       the command line, the only place errors become messages and exit codes
"""

__version__ = "0.1.0"
