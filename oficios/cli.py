"""The command line: `oficios generate`, `check` and `preview`.

The only place where errors become messages and exit codes: a user's mistake prints one
clear message and exits non-zero, never a traceback.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import click

from oficios.cli_text import Group, install_click_translations
from oficios.errors import OficiosError
from oficios.i18n import N_, gettext as _
from oficios.output import FORMATS
from oficios.pipeline import Job

# Defaults relative to the working folder: the project's layout, so they live here, not in
# the library.
DEFAULT_TEMPLATE = Path("templates/mideplan-01-A-264")
DEFAULT_ROSTER = Path("recipients/municipalidades.csv")
DEFAULT_OUTPUT = Path("output")
EXIT_INTERRUPTED = 130
EXIT_INTERNAL = 70

install_click_translations()


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
            click.echo(_("Interrupted: files already finished are complete; no partial file "
                         "was left behind."), err=True)
            sys.exit(EXIT_INTERRUPTED)
        except click.ClickException:
            raise
        except click.exceptions.Abort:  # a question got no answer: end of input or Ctrl-C
            click.echo(_("Stopped: a question got no answer (no terminal to type it in, or "
                         "Ctrl-C); nothing was changed."), err=True)
            sys.exit(EXIT_INTERRUPTED)
        except BrokenPipeError as exc:
            if not _stdout_closed():  # another pipe (a server's socket…): not the reader's doing
                _internal_error(exc)
            # The reader stopped reading (`… | head`): what it wanted it has; Python would
            # complain again when it flushes stdout at exit, so point stdout at nothing.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except Exception as exc:  # a bug of ours: say so plainly, without a traceback
            _internal_error(exc)

    return wrapper


def _internal_error(exc: Exception):
    click.echo(_("Internal error: {kind}: {error}. Nothing partial was left behind; "
                 "please report this with the command you ran (set OFICIOS_DEBUG=1 to "
                 "see the traceback).").format(kind=type(exc).__name__, error=exc), err=True)
    if _debug():
        raise exc
    sys.exit(EXIT_INTERNAL)


def _stdout_closed() -> bool:
    """Whether nothing reads standard output any more (a pipe whose reader has gone)."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(event & select.POLLERR for _fd, event in poller.poll(0))
    except (OSError, ValueError, AttributeError):
        return False


def _debug() -> bool:
    import os

    return os.environ.get("OFICIOS_DEBUG") == "1"


def _split_formats(ctx, param, value: str) -> tuple[str, ...]:
    formats = tuple(dict.fromkeys(f.strip().lower() for f in value.split(",") if f.strip()))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise click.BadParameter(
            _("unknown format {formats}; use pdf, docx or pdf,docx").format(
                formats=", ".join(unknown) or _("none")))
    return formats


def _split_only(ctx, param, values: tuple[str, ...]) -> tuple[str, ...] | None:
    codes = tuple(c.strip() for v in values for c in v.split(",") if c.strip())
    return codes or None


def _split_map(ctx, param, values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    pairs: dict[str, str] = {}
    for value in values:
        name, sep, header = value.partition("=")
        if not sep or not name.strip() or not header.strip():
            raise click.BadParameter(
                _("'{value}' is not NAME=COLUMN; e.g. --map region=REGIÓN").format(value=value))
        if name.strip() in pairs:
            raise click.BadParameter(
                _("'{name}' is mapped twice; map each name once").format(name=name.strip()))
        pairs[name.strip()] = header.strip()
    return tuple(pairs.items())


template_option = click.option(
    "--template", "-t", type=click.Path(path_type=Path), default=DEFAULT_TEMPLATE,
    show_default=True, help=N_("Template folder (oficio.toml + cuerpo.md)."))
roster_option = click.option(
    "--roster", "-r", type=click.Path(path_type=Path), default=DEFAULT_ROSTER,
    show_default=True, help=N_("Roster file (.csv, .xlsx or .ods), one row per recipient."))
output_option = click.option(
    "--output", "-o", type=click.Path(path_type=Path), default=DEFAULT_OUTPUT,
    show_default=True, help=N_("Output root; files go to <output>/<oficio>/<format>/."))
map_option = click.option(
    "--map", "column_map", multiple=True, callback=_split_map, metavar=N_("NAME=COLUMN"),
    help=N_("Read the template's NAME from the roster column headed COLUMN (repeatable); "
         "otherwise headers match names whatever their case, accents and spacing."))
sheet_option = click.option(
    "--sheet", default=None, metavar=N_("SHEET"),
    help=N_("The workbook's sheet holding the roster (.xlsx, .ods).  [default: the first]"))
format_option = click.option(
    "--format", "formats", default="pdf,docx", show_default=True, callback=_split_formats,
    help=N_("Formats to produce, comma-separated: pdf, docx."))


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]},
             help=N_("Official letters (oficios) merged with a roster, rendered to PDF and DOCX."))
@click.version_option(package_name="oficios", help=N_("Show the version and exit."))
def cli() -> None:
    """The `oficios` command (its help is the group's help text, translated)."""


@cli.command(help=N_(
        "Render and register one PDF and one DOCX per recipient, and the PDF/A archive "
        "copy."))
@template_option
@roster_option
@output_option
@click.option("--only", multiple=True, callback=_split_only, metavar=N_("KEY[,KEY...]"),
              help=N_("Render only these recipients (codes from the roster's key column, the one "
                   "the template names in [destinatario] clave)."))
@format_option
@map_option
@sheet_option
@click.option("--workers", "-j", type=click.IntRange(min=1), default=None,
              help=N_("Processes rendering in parallel.  [default: the number of cores]"))
@click.option("--register", "register_path", type=click.Path(path_type=Path), default=None,
              help=N_("The register (SQLite).  [default: $OFICIOS_REGISTER, else 'registro' in "
                   "./oficios.toml or ~/.config/oficios/config.toml, else "
                   "<output>/registro-oficina-de-partes.sqlite]"))
@click.option("--reissue", is_flag=True,
              help=N_("Issue again an oficio number the register has, with new content."))
@click.option("--reason", default="", help=N_("Why it is re-issued (required with --reissue)."))
@click.option("--pdfa", is_flag=True, help=N_("Write each letter's PDF as PDF/A-2b too."))
@click.option("--qr", is_flag=True, help=N_("Add a QR code of the verification code to each letter."))
@click.option("--qr-url", "verify_url", envvar="OFICIOS_URL_PUBLICA", default="", metavar="URL",
              help=N_("The public verification site (oficios serve): each QR code opens its page "
                      "for the letter's code (or set OFICIOS_URL_PUBLICA)."))
@click.option("--exact", is_flag=True,
              help=N_("Render every PDF whole instead of composing it from shared layouts."))
@click.option("--quiet", "-q", is_flag=True, help=N_("Print nothing but errors."))
@click.option("--cluster", envvar="OFICIOS_CLUSTER", default=None, metavar="tcp://HOST:8786",
              help=N_("Render on this Dask scheduler's workers instead of local processes "
                   "(or set OFICIOS_CLUSTER)."))
@click.option("--sign", is_flag=True,
              help=N_("Sign every letter PDF and the archive copy (PAdES) with --pkcs12 or a token."))
@click.option("--pkcs12", type=click.Path(path_type=Path), default=None,
              help=N_("The signing key and certificate (.p12/.pfx); password from "
                   "OFICIOS_FIRMA_CLAVE or asked."))
@click.option("--pkcs11-module", default=None, metavar="LIB.so",
              help=N_("The token's PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so."))
@click.option("--pkcs11-token", default=None, metavar=N_("LABEL"),
              help=N_("Sign with the key on this PKCS#11 token; PIN from OFICIOS_PIN or asked."))
@click.option("--pkcs11-key", default="firma", show_default=True, metavar=N_("LABEL"),
              help=N_("The label of the signing key (and its certificate) on the token."))
@click.option("--tsa-url", default=None, metavar="URL",
              help=N_("A timestamp authority: signatures become PAdES B-T."))
@reports_errors
def generate(template: Path, roster: Path, output: Path, only, formats, column_map, sheet,
             workers, register_path: Path | None, reissue: bool, reason: str, pdfa: bool,
             qr: bool, exact: bool, quiet: bool, sign: bool = False, pkcs12: Path | None = None,
             pkcs11_module: str | None = None, pkcs11_token: str | None = None,
             pkcs11_key: str = "firma", tsa_url: str | None = None,
             cluster: str | None = None, verify_url: str = "") -> None:
    import shlex

    from oficios import console, pipeline

    job = Job(template=template, roster=roster, output=output, formats=formats, only=only,
              workers=workers, register=register_path, reissue=reissue, reason=reason,
              pdfa=pdfa, qr=qr, command=shlex.join(["oficios", *sys.argv[1:]]),
              column_map=column_map, sheet=sheet, exact=exact,
              signer=_signer_spec(sign, pkcs12, pkcs11_module, pkcs11_token, pkcs11_key, tsa_url),
              cluster=cluster or None, verify_url=verify_url)
    console.warn_if_slow_pdf(formats, quiet)
    with console.progress(quiet) as reporter:
        result = pipeline.generate(job, progress=reporter)
    console.summary(result, quiet)


def _signer_spec(sign: bool, pkcs12: Path | None, module: str | None, token: str | None,
                 key: str, tsa_url: str | None):
    """The signing key's description (None without --sign); the secret from the environment
    or a prompt, never from an option."""
    import os

    if not sign:
        if pkcs12 or token:
            raise click.UsageError(_("--pkcs12 and --pkcs11-token name a signing key: add --sign"))
        return None
    if (pkcs12 is None) == (token is None):
        raise click.UsageError(_("--sign needs one key: --pkcs12 FILE or --pkcs11-token LABEL"))
    from oficios.signing import SignerSpec

    from oficios.signing.keys import SigningError

    if pkcs12 is not None and not pkcs12.is_file():  # said before a password is asked for
        raise SigningError(_("the signing key file does not exist"), file=pkcs12,
                           hint=_("give a .p12 or .pfx file with --pkcs12"))
    variable, prompt = (("OFICIOS_FIRMA_CLAVE", _("Password of the signing file")) if pkcs12
                        else ("OFICIOS_PIN", _("The token's PIN")))
    secret = os.environ.get(variable)
    if secret is None:
        try:
            secret = click.prompt(prompt, hide_input=True, default="", show_default=False,
                                  err=True)
        except click.exceptions.Abort:  # end of input (no terminal) or Ctrl-C at the prompt
            raise SigningError(
                _("no password or PIN was given for the signing key"),
                hint=_("set {variable}, or run the command in a terminal and type it when "
                       "asked").format(variable=variable)) from None
    return SignerSpec(pkcs12=pkcs12, pkcs11_module=module, pkcs11_token=token, pkcs11_key=key,
                      secret=secret, tsa_url=tsa_url)


@cli.command(help=N_(
        "Check the template and that the roster gives every value it needs, writing "
        "nothing."))
@template_option
@roster_option
@map_option
@sheet_option
@reports_errors
def check(template: Path, roster: Path, column_map, sheet) -> None:
    from oficios import pipeline

    tpl, ros = pipeline.load(Job(template=template, roster=roster, column_map=column_map,
                                 sheet=sheet))
    needed = sorted(tpl.required_variables())
    click.echo(_("OK: {roster} gives the {count} values the template {template} uses ({names}) "
                 "for all {recipients} recipients.").format(
        roster=roster, count=len(needed), template=template, names=", ".join(needed),
        recipients=len(ros)))
    from oficios.delivery import mail_check

    for line in mail_check(tpl, ros):
        click.echo(line)


@cli.command(help=N_(
        "Render one recipient's letter and print where it is."))
@click.option("--only", required=True, metavar=N_("KEY"),
              help=N_("The recipient to preview (its code in the roster's key column)."))
@template_option
@roster_option
@output_option
@format_option
@map_option
@sheet_option
@reports_errors
def preview(only: str, template: Path, roster: Path, output: Path, formats, column_map,
            sheet) -> None:
    from oficios import console, pipeline

    job = Job(template=template, roster=roster, output=output, formats=formats, only=(only,),
              column_map=column_map, sheet=sheet)
    console.warn_if_slow_pdf(formats, quiet=False)
    result = pipeline.generate(job, kind="preview")
    for paths in result.files.values():
        for path in paths:
            click.echo(str(path))


@cli.command("new", help=N_(
        "Write a commented starting template (oficio.toml, cuerpo.md) in a new FOLDER."))
@click.argument("folder", type=click.Path(path_type=Path), metavar=N_("FOLDER"))
@reports_errors
def new(folder: Path) -> None:
    from oficios.template import STARTER_ROSTER, write_starter

    write_starter(folder)
    click.echo(_("New template in {folder}: edit {toml} and {body}, and try it with: "
                 "oficios check --template {folder} --roster {roster}").format(
        folder=folder, toml=folder / "oficio.toml", body=folder / "cuerpo.md",
        roster=folder / STARTER_ROSTER))


def _add_office_commands() -> None:
    from oficios.cli_cluster import cluster_check
    from oficios.cli_register import register, verify
    from oficios.cli_send import send
    from oficios.cli_web import serve, user

    for command in (register, verify, send, serve, user, cluster_check):
        for sub in [command, *getattr(command, "commands", {}).values()]:
            sub.callback = reports_errors(sub.callback)
        cli.add_command(command)


_add_office_commands()


def main() -> None:
    """Entry point of the `oficios` command."""
    try:
        cli(prog_name="oficios")
    finally:
        try:  # what is still buffered goes out now, while a closed pipe can be told apart
            sys.stdout.flush()
        except BrokenPipeError:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
