"""The Oficina de Partes' commands: `oficios register ...` and `oficios verify FILE`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from oficios.errors import OficiosError

DEFAULT_REGISTER = Path("output") / "registro-oficina-de-partes.sqlite"

register_option = click.option(
    "--register", "register_path", type=click.Path(path_type=Path), default=DEFAULT_REGISTER,
    show_default=True, help="The register (SQLite) file.")


def _open(path: Path, must_exist: bool = True):
    """The register; read-only when it must already exist (the commands that only look)."""
    from oficios.register import Register, RegisterError

    if must_exist and not path.is_file():
        raise RegisterError("no register here", file=path,
                            hint="generate a batch first, or give the register with --register")
    return Register(path, readonly=must_exist)


@click.group("register")
def register() -> None:
    """The register of issued letters and correlative numbers."""


@register.command("next")
@click.argument("series")
@click.option("--year", type=int, default=None, help="The year.  [default: this year]")
@click.option("--note", default="", help="What the number is for.")
@register_option
def next_number(series: str, year: int | None, note: str, register_path: Path) -> None:
    """Reserve the next correlative number of SERIES for the year (e.g. ORD)."""
    year = year or dt.date.today().year
    with _open(register_path, must_exist=False) as db:
        number = db.reserve(series, year, note)
    click.echo(f"{series.strip().upper()} {number}/{year}")


@register.command("list")
@register_option
def list_batches(register_path: Path) -> None:
    """List the batches issued (newest first) and the numbers reserved."""
    from rich.console import Console
    from rich.table import Table

    with _open(register_path) as db:
        batches, numbers = db.batches(), db.numbers()
    table = Table("id", "oficio", "versión", "fecha", "cartas", "estado", "generado", box=None)
    for b in batches:
        table.add_row(str(b.id), b.oficio, str(b.version), b.fecha, str(b.cartas), b.estado,
                      b.generado_en)
    console = Console(highlight=False, soft_wrap=True)
    console.print(table if batches else "No batch has been issued yet.")
    if numbers:
        last = {}
        for n in numbers:
            last[(n["serie"], n["anio"])] = n["numero"]
        console.print("Numbers reserved: " + ", ".join(
            f"{s} up to {num}/{y}" for (s, y), num in sorted(last.items())))


@register.command("show")
@click.argument("oficio")
@register_option
def show(oficio: str, register_path: Path) -> None:
    """Show a batch (by oficio number or batch id), every version, with its letters."""
    with _open(register_path) as db:
        batches = db.batch(oficio)
        if not batches:
            raise OficiosError(f"no batch '{oficio}' in the register", file=register_path,
                               hint="see `oficios register list` for the numbers issued")
        for b in batches:
            click.echo(f"{b.oficio} · version {b.version} · batch {b.id} · {b.estado} · "
                       f"{b.cartas} letters · dated {b.fecha}")
            click.echo(f"  matter: {b.materia}")
            click.echo(f"  generated {b.generado_en} by `{b.comando}` into {b.carpeta}")
            if b.motivo_reemision:
                click.echo(f"  re-issued because: {b.motivo_reemision}")
            click.echo(f"  template SHA-256 {b.plantilla_sha256}, roster SHA-256 {b.nomina_sha256}")
            for letter in db.letters(b.id):
                click.echo(f"  {letter['clave']}  {letter['codigo']}  {letter['destinatario']}"
                           f"  {letter['pdf'] or ''}")


@register.command("export")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None,
              help="CSV file to write.  [default: standard output]")
@register_option
def export(output: Path | None, register_path: Path) -> None:
    """Export every registered letter, with its files' hashes, as CSV."""
    import csv
    import io

    with _open(register_path) as db:
        rows = db.letters()
    buffer = io.StringIO()
    columns = ["lote", "oficio", "version", "fecha", "clave", "destinatario", "fila", "codigo",
               "escrita_en", "pdf", "pdf_sha256", "docx", "docx_sha256"]
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    if output is None:
        click.echo(buffer.getvalue(), nl=False)
    else:
        from oficios.output import write_atomic

        write_atomic(output, buffer.getvalue().encode("utf-8"))
        click.echo(f"{len(rows)} letters -> {output}")


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@register_option
@click.option("--trust", "trust_roots", multiple=True, type=click.Path(path_type=Path),
              metavar="ROOT.pem", help="Also check the PDF's electronic signatures against this "
                                       "root certificate (repeatable).")
def verify(file: Path, register_path: Path, trust_roots: tuple[Path, ...] = ()) -> None:
    """Say whether FILE (PDF or DOCX) is a letter the register issued, unchanged."""
    from oficios.verify import VERIFIED, describe
    from oficios.verify import verify as check_file

    verdict = check_file(file, register_path)
    click.echo(describe(verdict))
    signed_ok = True
    if trust_roots:
        from oficios.signing import check_signatures, describe_signatures

        report = check_signatures(file, list(trust_roots))
        click.echo("\n".join(describe_signatures(report)))
        signed_ok = report.ok
    if verdict.status != VERIFIED or not signed_ok:
        raise SystemExit(1)
