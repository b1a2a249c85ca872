"""Writes the roster samples whose bytes an editor would hide or spoil: encodings, workbooks.

Run from the repository root with `.venv/bin/python tests/data/make_roster_samples.py`; the
files are committed, so tests do not depend on this script. Plain UTF-8 samples are written
by hand next to it. Each file is named after the case it shows (see the README's table
"What happens with bad input").
"""

from __future__ import annotations

import codecs
from pathlib import Path

DATA = Path(__file__).resolve().parent

HEADER = ["cut", "municipalidad", "comunas", "region"]
ROWS = [
    ["13120", "Ñuñoa", "Ñuñoa", "Región Metropolitana de Santiago"],
    ["08301", "Los Ángeles", "Los Ángeles", "Región del Biobío"],
    ["12201", "Cabo de Hornos", "Cabo de Hornos; Antártica",
     "Región de Magallanes y de la Antártica Chilena"],
]


def lines(rows: list[list[str]], sep: str) -> list[str]:
    """Rows as CSV lines, quoting the cells that hold the delimiter (as Excel does)."""
    return [sep.join(f'"{c}"' if sep in c else c for c in row) for row in rows]


def text_samples() -> dict[str, bytes]:
    """The CSV and text samples, by file name."""
    crlf = "\r\n"
    # Spanish Excel, "CSV (delimitado por comas)": Windows-1252, ';', CRLF, zeros eaten.
    excel_es = [["CUT", "Municipalidad", "Comunas", "Región"]] + [
        [r[0].lstrip("0"), *r[1:]] for r in ROWS]
    garbled = [r[:] for r in ROWS]
    garbled[0][1] = "Ñuñoa".encode().decode("cp1252")  # "Ã‘uÃ±oa": converted twice
    mixed_head = "\n".join(lines([HEADER, ROWS[0]], ",")) + "\n"
    return {
        "roster-utf8-bom.csv": codecs.BOM_UTF8 + ("\n".join(lines([HEADER] + ROWS, ",")) + "\n").encode(),
        "roster-cp1252-semicolon.csv": (crlf.join(lines(excel_es, ";")) + crlf).encode("cp1252"),
        "roster-tab-separated.csv": ("\n".join(lines([HEADER] + ROWS, "\t")) + "\n").encode(),
        # Excel's "Unicode text": UTF-16 little-endian with its byte-order mark, tabs, CRLF.
        "roster-utf16-unicode-text.txt":
            (crlf.join(lines([HEADER] + ROWS, "\t")) + crlf).encode("utf-16"),
        "roster-excel-sep-line.csv": ("sep=;\n" + "\n".join(lines([HEADER] + ROWS, ";")) + "\n").encode(),
        "roster-double-encoded-mojibake.csv": ("\n".join(lines([HEADER] + garbled, ",")) + "\n").encode(),
        # Rows added later by another program in Windows-1252 to a UTF-8 file.
        "roster-mixed-encodings.csv":
            mixed_head.encode() + ("\n".join(lines(ROWS[1:], ",")) + "\n").encode("cp1252"),
        # 0x81 and 0x8D mean nothing in UTF-8 or Windows-1252: not a text file.
        "roster-not-text.csv": b"cut,municipalidad\n13120,\x81\x8d\x90\x9d\xff\xfe\n",
        "roster-empty.csv": b"",
        # An old .xls (OLE2 compound file) is not read: its signature, then nothing useful.
        "roster-legacy-excel.xls": bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504),
        "roster-corrupt-workbook.xlsx": b"PK\x03\x04 this zip file was cut short",
    }


def workbook_rows() -> list[list[object]]:
    """The spreadsheet samples' cells: CUT codes as numbers, as Excel keeps them."""
    return [
        ["CUT", "Municipalidad", "Región", "Habitantes"],
        [13120, "Ñuñoa", "Región Metropolitana de Santiago", 208237],
        [],  # a blank row, kept so row numbers match the sheet
        [8301.0, "Los Ángeles", "Región del Biobío", 202331.0],
        [1101, "Iquique", "Región de Tarapacá", 191468],
    ]


def write_xlsx(path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Destinatarios"
    for row in workbook_rows():
        sheet.append(row)
    book.save(path)


def write_formula_errors_xlsx(path: Path) -> None:
    """A sheet whose VLOOKUPs failed: Excel keeps the error (#N/A, #¡REF!) as the cell's value."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["cut", "municipalidad", "region"])
    sheet.append(["13120", "Ñuñoa", "Región Metropolitana de Santiago"])
    sheet.append(["08301", "Los Ángeles", None])
    sheet.append(["12201", None, "Región de Magallanes y de la Antártica Chilena"])
    for ref, error in (("C3", "#N/A"), ("B4", "#¡REF!")):
        sheet[ref].value = error
        sheet[ref].data_type = "e"
    book.save(path)


def write_ods(path: Path) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Destinatarios")
    for values in workbook_rows():
        row = TableRow()
        for value in values:
            if isinstance(value, str):
                cell = TableCell(valuetype="string")
            else:
                cell = TableCell(valuetype="float", value=value)
            cell.addElement(P(text=str(value)))
            row.addElement(cell)
        table.addElement(row)
    doc.spreadsheet.addElement(table)
    doc.save(str(path))


def main() -> None:
    for name, data in text_samples().items():
        (DATA / name).write_bytes(data)
    write_xlsx(DATA / "roster-cut-as-numbers.xlsx")
    write_ods(DATA / "roster-cut-as-numbers.ods")
    write_xlsx(DATA / "roster-workbook-named-csv.csv")
    write_formula_errors_xlsx(DATA / "roster-formula-errors.xlsx")


if __name__ == "__main__":
    main()
