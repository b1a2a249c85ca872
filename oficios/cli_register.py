"""The Oficina de Partes' commands: `oficios register ...` and `oficios verify FILE`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from oficios.i18n import N_, gettext as _

from oficios.errors import OficiosError

DEFAULT_OUTPUT = Path("output")

register_option = click.option(
    "--register", "register_path", type=click.Path(path_type=Path), default=None,
    help=N_("The register (SQLite) file.  [default: $OFICIOS_REGISTER, else 'registro' in "
         "./oficios.toml or ~/.config/oficios/config.toml, else "
         "output/registro-oficina-de-partes.sqlite]"))


def _locate(path: Path | None):
    from oficios.register import locate

    return locate(path, DEFAULT_OUTPUT)


def _open(path: Path | None, readonly: bool = True):
    """The register, which must exist; read-only for the commands that only look."""
    from oficios.register import Register

    where = _locate(path)
    return Register(where.path, readonly=readonly, how=where.how)


@click.group("register", help=N_(
    "The register of issued letters and correlative numbers."))
def register() -> None:
    pass


@register.command("init", help=N_(
    "Create an empty register where the rule finds it (see --register)."))
@register_option
def init(register_path: Path | None) -> None:
    from oficios.register import Register, RegisterError

    where = _locate(register_path)
    if where.path.exists():
        raise RegisterError(_("a register already exists here; no other was created"),
                            file=where.path,
                            hint=_("this path was used because it is {how}").format(how=where.how))
    Register(where.path, create=True, how=where.how).close()
    click.echo(_("Register created: {path} ({how}).").format(path=where.path, how=where.how))


@register.command("next", help=N_(
    "Reserve the next correlative number of SERIES for the year (e.g. ORD)."))
@click.argument("series", metavar=N_("SERIES"))
@click.option("--year", type=int, default=None, help=N_("The year.  [default: this year]"))
@click.option("--note", default="", help=N_("What the number is for."))
@register_option
def next_number(series: str, year: int | None, note: str, register_path: Path | None) -> None:
    year = year or dt.date.today().year
    with _open(register_path, readonly=False) as db:
        number = db.reserve(series, year, note)
    click.echo(f"{series.strip().upper()} {number}/{year}")


@register.command("list", help=N_(
    "List the batches issued (newest first) and the numbers reserved."))
@register_option
def list_batches(register_path: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table

    from oficios.console import state

    with _open(register_path) as db:
        batches, numbers = db.batches(), db.numbers()
    table = Table(_("id"), _("oficio"), _("version"), _("date"), _("letters"), _("state"),
                  _("generated"), box=None)
    for b in batches:
        table.add_row(str(b.id), b.oficio, str(b.version), b.fecha, str(b.cartas), state(b.estado),
                      b.generado_en)
    console = Console(highlight=False, soft_wrap=True)
    console.print(table if batches else _("No batch has been issued yet."))
    if numbers:
        last = {}
        for n in numbers:
            last[(n["serie"], n["anio"])] = n["numero"]
        console.print(_("Numbers reserved: {numbers}").format(numbers=", ".join(
            _("{series} up to {number}/{year}").format(series=s, number=num, year=y)
            for (s, y), num in sorted(last.items()))))


@register.command("show", help=N_(
    "Show a batch (by oficio number or batch id), every version, with its letters."))
@click.argument("oficio", metavar=N_("OFICIO"))
@register_option
def show(oficio: str, register_path: Path | None) -> None:
    from oficios.console import state
    from oficios.delivery import delivery_line, states

    with _open(register_path) as db:
        batches = db.batch(oficio)
        if not batches:
            raise OficiosError(_("no batch '{oficio}' in the register").format(oficio=oficio),
                               file=db.path,
                               hint=_("see `oficios register list` for the numbers issued"))
        for b in batches:
            click.echo(_("{oficio} · version {version} · batch {id} · {state} · {letters} "
                         "letters · dated {date}").format(
                oficio=b.oficio, version=b.version, id=b.id, state=state(b.estado), letters=b.cartas,
                date=b.fecha))
            click.echo(_("  matter: {matter}").format(matter=b.materia))
            click.echo(_("  generated {when} by `{command}` into {folder}").format(
                when=b.generado_en, command=b.comando, folder=b.carpeta))
            if b.motivo_reemision:
                click.echo(_("  re-issued because: {reason}").format(reason=b.motivo_reemision))
            click.echo(_("  template SHA-256 {template}, roster SHA-256 {roster}").format(
                template=b.plantilla_sha256, roster=b.nomina_sha256))
            sent = states(db, b.id)  # {} when nothing of the batch went by e-mail
            for letter in db.letters(b.id):
                number = f"  N° {letter['numero']}" if letter["numero"] else ""
                click.echo(f"  {letter['clave']}  {letter['codigo']}  {letter['destinatario']}"
                           f"{number}  {letter['pdf'] or ''}"
                           f"{delivery_line(sent.get(letter['clave']))}")


EXPORT_COLUMNS = ["lote", "oficio", "version", "fecha", "clave", "destinatario", "fila", "numero",
                  "codigo", "escrita_en", "pdf", "pdf_sha256", "docx", "docx_sha256"]


@register.command("export", help=N_(
    "Export every registered letter, with its files' hashes, as CSV (UTF-8 with BOM, "
    "which Excel reads with its accents) or .xlsx."))
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None,
              help=N_("File to write: .csv, or .xlsx for an Excel workbook.  [default: standard output]"))
@click.option("--delimiter", "-d", default=",", show_default=True,
              help=N_("CSV field separator; ';' for Excel in Spanish."))
@register_option
def export(output: Path | None, delimiter: str, register_path: Path | None) -> None:
    import csv
    import io

    if delimiter == "\\t":
        delimiter = "\t"
    if len(delimiter) != 1:
        raise click.BadParameter(_("use one character, e.g. ';'"), param_hint="--delimiter")
    with _open(register_path) as db:
        rows = db.letters()
    if output is not None and output.suffix.lower() == ".xlsx":
        _write_xlsx(output, rows)
        click.echo(_("{count} letters -> {output}").format(count=len(rows), output=output))
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, delimiter=delimiter,
                            lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    data = "\ufeff" + buffer.getvalue()
    if output is None:
        _to_stdout(data.encode("utf-8"))
    else:
        from oficios.output import write_atomic

        write_atomic(output, data.encode("utf-8"))
        click.echo(_("{count} letters -> {output}").format(count=len(rows), output=output))


def _to_stdout(data: bytes) -> None:
    """Writes to standard output, flushed here: a reader that stops early (`| head -1`) is
    then met inside the command, where cli.reports_errors takes it as no error."""
    import sys

    click.echo(data, nl=False)
    sys.stdout.flush()


def _write_xlsx(path: Path, rows: list[dict]) -> None:
    from openpyxl import Workbook

    from oficios.output import atomic_file

    book = Workbook()
    sheet = book.active
    sheet.title = "Registro"
    sheet.append(EXPORT_COLUMNS)
    for row in rows:
        sheet.append([row.get(column) for column in EXPORT_COLUMNS])
    sheet.freeze_panes = "A2"
    with atomic_file(path) as out:
        book.save(out)


@click.command(help=N_(
    "Say whether a file (PDF or DOCX) is a letter the register issued, unchanged and "
    "current, or look up a verification code typed from paper.\n\nExit codes: 0 verified "
    "(or an archive copy), 1 not in the register, 6 superseded by a re-issue, 7 altered; "
    "5 when the register cannot be used."))
@click.argument("file_or_code", metavar=N_("FILE_OR_CODE"))
@register_option
@click.option("--trust", "trust_roots", multiple=True, type=click.Path(path_type=Path),
              metavar="ROOT.pem", help=N_("Also check the PDF's electronic signatures against this "
                                       "root certificate (repeatable)."))
def verify(file_or_code: str, register_path: Path | None, trust_roots: tuple[Path, ...] = ()) -> None:
    from oficios.verify import describe, verify as check_file, verify_code

    where = _locate(register_path)
    path = Path(file_or_code)
    if path.is_file() or path.suffix.lower() in (".pdf", ".docx") or "/" in file_or_code:
        verdict = check_file(path, where.path, where.how)
    else:
        verdict = verify_code(file_or_code, where.path, where.how)
    click.echo(describe(verdict))
    if trust_roots and verdict.path is not None:
        from oficios.signing import check_signatures, describe_signatures

        report = check_signatures(verdict.path, list(trust_roots))
        click.echo("\n".join(describe_signatures(report)))
        if not report.ok:
            raise SystemExit(verdict.exit_code or 1)
    if verdict.exit_code:
        raise SystemExit(verdict.exit_code)
