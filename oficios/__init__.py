"""oficios: official letters merged with a roster, rendered to PDF and DOCX.

The package is laid out as the pipeline a letter goes through:

    roster.py    the recipients, read and validated (the only module that imports pandas)
    template.py  the oficio template: metadata and Markdown body with Jinja placeholders
    merge.py     one roster row + the template -> one Letter (letter.py), format-independent
    render_pdf.py / render_docx.py   Letters -> bytes (the only modules importing weasyprint / docx)
    output.py    file names and atomic writes
    pipeline.py  runs the stages in order
    cli.py       the command line, the only place errors become messages and exit codes
"""

__version__ = "0.1.0"
