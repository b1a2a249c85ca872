"""The command line: `oficios generate`, `check` and `preview`.

The only place where errors become messages and exit codes: a user's mistake prints one
clear message and exits non-zero, never a traceback.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from oficios.errors import OficiosError
from oficios.output import FORMATS
from oficios.pipeline import DEFAULT_OUTPUT, DEFAULT_ROSTER, DEFAULT_TEMPLATE, Job

EXIT_INTERRUPTED = 130
EXIT_INTERNAL = 70


class UserError(click.ClickException):
    """An OficiosError shown the click way: 'Error: <message>' and the error's exit code."""

    def __init__(self, error: OficiosError) -> None:
        super().__init__(error.format())
        self.exit_code = error.exit_code


def reports_errors(command):
    """Turns the package's errors, Ctrl-C and unexpected failures into messages and exit codes."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except OficiosError as exc:
            raise UserError(exc) from None
        except KeyboardInterrupt:
            click.echo("Interrupted: files already finished are complete; no partial file "
                       "was left behind.", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except click.ClickException:
            raise
        except Exception as exc:  # a bug of ours: say so plainly, without a traceback
            click.echo(f"Internal error: {type(exc).__name__}: {exc}. Nothing partial was "
                       "left behind; please report this with the command you ran "
                       "(set OFICIOS_DEBUG=1 to see the traceback).", err=True)
            if _debug():
                raise
            sys.exit(EXIT_INTERNAL)

    return wrapper


def _debug() -> bool:
    import os

    return os.environ.get("OFICIOS_DEBUG") == "1"


def _split_formats(ctx, param, value: str) -> tuple[str, ...]:
    formats = tuple(dict.fromkeys(f.strip().lower() for f in value.split(",") if f.strip()))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise click.BadParameter(
            f"unknown format {', '.join(unknown) or 'none'}; use pdf, docx or pdf,docx")
    return formats


def _split_only(ctx, param, values: tuple[str, ...]) -> tuple[str, ...] | None:
    codes = tuple(c.strip() for v in values for c in v.split(",") if c.strip())
    return codes or None


def _split_map(ctx, param, values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    pairs: dict[str, str] = {}
    for value in values:
        name, sep, header = value.partition("=")
        if not sep or not name.strip() or not header.strip():
            raise click.BadParameter(f"'{value}' is not NAME=COLUMN; e.g. --map region=REGIÓN")
        if name.strip() in pairs:
            raise click.BadParameter(f"'{name.strip()}' is mapped twice; map each name once")
        pairs[name.strip()] = header.strip()
    return tuple(pairs.items())


template_option = click.option(
    "--template", "-t", type=click.Path(path_type=Path), default=DEFAULT_TEMPLATE,
    show_default=True, help="Template folder (oficio.toml + cuerpo.md).")
roster_option = click.option(
    "--roster", "-r", type=click.Path(path_type=Path), default=DEFAULT_ROSTER,
    show_default=True, help="Roster file (.csv, .xlsx or .ods), one row per recipient.")
output_option = click.option(
    "--output", "-o", type=click.Path(path_type=Path), default=DEFAULT_OUTPUT,
    show_default=True, help="Output root; files go to <output>/<oficio>/<format>/.")
map_option = click.option(
    "--map", "column_map", multiple=True, callback=_split_map, metavar="NAME=COLUMN",
    help="Read the template's NAME from the roster column headed COLUMN (repeatable); "
         "otherwise headers match names whatever their case, accents and spacing.")
format_option = click.option(
    "--format", "formats", default="pdf,docx", show_default=True, callback=_split_formats,
    help="Formats to produce, comma-separated: pdf, docx.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="oficios")
def cli() -> None:
    """Official letters (oficios) merged with a roster, rendered to PDF and DOCX."""


@cli.command()
@template_option
@roster_option
@output_option
@click.option("--only", multiple=True, callback=_split_only, metavar="CUT[,CUT...]",
              help="Render only these recipients (codes from the roster's key column).")
@format_option
@map_option
@click.option("--workers", "-j", type=click.IntRange(min=1), default=None,
              help="Processes rendering in parallel.  [default: the number of cores]")
@click.option("--register", "register_path", type=click.Path(path_type=Path), default=None,
              help="The register (SQLite).  [default: <output>/registro-oficina-de-partes.sqlite]")
@click.option("--reissue", is_flag=True,
              help="Issue again an oficio number the register has, with new content.")
@click.option("--reason", default="", help="Why it is re-issued (required with --reissue).")
@click.option("--pdfa", is_flag=True, help="Write each letter's PDF as PDF/A-2b too.")
@click.option("--qr", is_flag=True, help="Add a QR code of the verification code to each letter.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@click.option("--cluster", envvar="OFICIOS_CLUSTER", default=None, metavar="tcp://HOST:8786",
              help="Render on this Dask scheduler's workers instead of local processes "
                   "(or set OFICIOS_CLUSTER).")
@reports_errors
def generate(template: Path, roster: Path, output: Path, only, formats, column_map, workers,
             register_path: Path | None, reissue: bool, reason: str, pdfa: bool, qr: bool,
             quiet: bool, cluster: str | None) -> None:
    """Render and register one PDF and one DOCX per recipient, and the PDF/A archive copy."""
    import shlex

    from oficios import console, pipeline

    job = Job(template=template, roster=roster, output=output, formats=formats, only=only,
              workers=workers, register=register_path, reissue=reissue, reason=reason,
              pdfa=pdfa, qr=qr, command=shlex.join(["oficios", *sys.argv[1:]]),
              column_map=column_map, cluster=cluster or None)
    console.warn_if_slow_pdf(formats, quiet)
    with console.progress(quiet) as reporter:
        result = pipeline.generate(job, progress=reporter)
    console.summary(result, quiet)


@cli.command()
@template_option
@roster_option
@map_option
@reports_errors
def check(template: Path, roster: Path, column_map) -> None:
    """Check that the roster gives every value the template needs, without rendering."""
    from oficios import pipeline

    tpl, ros = pipeline.load(Job(template=template, roster=roster, column_map=column_map))
    needed = sorted(tpl.required_variables())
    click.echo(f"OK: {roster} gives the {len(needed)} values the template {template} uses "
               f"({', '.join(needed)}) for all {len(ros)} recipients.")


@cli.command()
@click.option("--only", required=True, metavar="CUT", help="The recipient to preview.")
@template_option
@roster_option
@output_option
@format_option
@map_option
@reports_errors
def preview(only: str, template: Path, roster: Path, output: Path, formats, column_map) -> None:
    """Render one recipient's letter and print where it is."""
    from oficios import console, pipeline

    job = Job(template=template, roster=roster, output=output, formats=formats, only=(only,),
              column_map=column_map)
    console.warn_if_slow_pdf(formats, quiet=False)
    result = pipeline.generate(job, kind="preview")
    for paths in result.files.values():
        for path in paths:
            click.echo(str(path))


def _add_office_commands() -> None:
    from oficios.cli_cluster import cluster_check
    from oficios.cli_register import register, verify

    for command in (register, verify, cluster_check):
        for sub in [command, *getattr(command, "commands", {}).values()]:
            sub.callback = reports_errors(sub.callback)
        cli.add_command(command)


_add_office_commands()


def main() -> None:
    """Entry point of the `oficios` command."""
    cli(prog_name="oficios")
