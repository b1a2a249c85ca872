"""`oficios send`: the letters of a registered batch, one e-mail each, recorded in the register."""

from __future__ import annotations

import os
from pathlib import Path

import click

from oficios.cli import (map_option, output_option, roster_option, template_option,
                         _split_only)
from oficios.pipeline import Job


@click.command()
@template_option
@roster_option
@output_option
@map_option
@click.option("--only", multiple=True, callback=_split_only, metavar="CUT[,CUT...]",
              help="Send only these recipients' letters (codes from the roster's key column).")
@click.option("--register", "register_path", type=click.Path(path_type=Path), default=None,
              help="The register (SQLite).  [default: <output>/registro-oficina-de-partes.sqlite]")
@click.option("--settings", "settings_file", type=click.Path(path_type=Path), default=None,
              help="TOML file with an [smtp] table: host, port, security, user, sender, rate, "
                   "cafile. Options given here win over it.")
@click.option("--sender", default=None, metavar="ADDRESS", help="The From address.")
@click.option("--host", default=None, help="SMTP server.  [default: localhost]")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="SMTP port.  [default: 587 for starttls, 465 for tls, 25 for none]")
@click.option("--security", type=click.Choice(["starttls", "tls", "none"]), default=None,
              help="STARTTLS, implicit TLS, or no encryption.  [default: starttls]")
@click.option("--user", default=None,
              help="SMTP login; the password is read from the environment, OFICIOS_SMTP_CLAVE.")
@click.option("--cafile", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Trust the server certificate's authority from this PEM file.")
@click.option("--rate", type=click.FloatRange(min=0, min_open=True), default=None,
              help="At most this many messages per second.  [default: as fast as accepted]")
@click.option("--attempts", type=click.IntRange(min=1), default=5, show_default=True,
              help="Attempts per message on 4xx replies and lost connections.")
@click.option("--backoff", type=click.FloatRange(min=0), default=2.0, show_default=True,
              help="Seconds before the second attempt; doubled before each next one.")
@click.option("--dry-run", is_flag=True,
              help="Write each e-mail as an .eml file under <output>/<oficio>/correo/; send nothing.")
@click.option("--resend-uncertain", is_flag=True,
              help="Send again (same Message-ID) the e-mails a stopped run left 'enviando'.")
@click.option("--confirm-delivered", "confirm", multiple=True, callback=_split_only,
              metavar="CUT[,CUT...]",
              help="Record as accepted these letters' uncertain e-mails, after finding their "
                   "Message-ID in the server's log or a mailbox; sends nothing.")
@click.option("--status", is_flag=True, help="Show each letter's delivery state; send nothing.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def send(template: Path, roster: Path, output: Path, column_map, only, register_path,
         settings_file, sender, host, port, security, user, cafile, rate, attempts, backoff,
         dry_run: bool, resend_uncertain: bool, confirm, status: bool, quiet: bool) -> None:
    """E-mail each letter of the registered batch to its recipient, recorded in the register."""
    from oficios import console, delivery
    from oficios.delivery.smtp import read_settings_file

    job = Job(template=template, roster=roster, output=output, only=only,
              register=register_path, column_map=column_map)
    if status:
        _show_status(job)
        return
    given = read_settings_file(settings_file) if settings_file else {}
    for key, value in dict(host=host, port=port, security=security, user=user, sender=sender,
                           rate=rate, cafile=cafile).items():
        if value is not None:
            given[key] = value
    if not given.get("sender"):
        raise click.UsageError("falta el remitente: dé --sender o sender en [smtp] de --settings")
    plan = delivery.prepare(job, given["sender"])
    if confirm:
        done = delivery.confirm_delivered(plan, list(confirm))
        click.echo(f"{len(done)} correos registrados como aceptados: {', '.join(done)}.")
        return
    if dry_run:
        paths = delivery.write_eml(plan)
        if not quiet:
            folder = paths[0].parent if paths else plan.folder / "correo"
            click.echo(f"{len(paths)} correos escritos para revisión en {folder}; no se envió nada.")
        return
    settings = delivery.Settings(
        host=given.get("host", "localhost"), port=given.get("port"),
        security=given.get("security", "starttls"), user=given.get("user"),
        password=os.environ.get(delivery.PASSWORD_VARIABLE), cafile=given.get("cafile"))
    with console.progress(quiet) as reporter:
        report = delivery.deliver(plan, settings, rate=given.get("rate"), attempts=attempts,
                                  backoff=backoff, resend_uncertain=resend_uncertain,
                                  progress=reporter)
    _summary(plan, report, quiet)


def _summary(plan, report, quiet: bool) -> None:
    from oficios.delivery import DeliveryError

    if not quiet:
        rate = len(report.sent) / report.seconds if report.seconds else 0.0
        click.echo(f"{len(report.sent)} correos aceptados por el servidor en {report.seconds:.1f} s "
                   f"({rate:.1f} por segundo); {report.already} ya aceptados antes; "
                   f"{len(report.failed)} fallidos; {len(report.uncertain)} inciertos.")
    for item, reply in report.failed:
        click.echo(f"fallido: {item.key} {item.name} <{', '.join(item.to)}>: {reply}", err=True)
    for item, delivery in report.uncertain:
        click.echo(f"posiblemente entregado: {item.key} {item.name} <{', '.join(item.to)}> "
                   f"Message-ID {item.message_id} (quedó 'enviando' el {delivery.updated})",
                   err=True)
    if report.uncertain:
        click.echo("Un envío detenido dejó esos correos sin confirmar: el servidor pudo haberlos "
                   "aceptado. Busque su Message-ID en el registro del servidor o en el buzón "
                   "enviado: si llegaron, regístrelos con --confirm-delivered CUT; si no, vuelva "
                   "a ejecutar con --resend-uncertain.", err=True)
    if report.failed or report.uncertain:
        raise DeliveryError(
            f"{len(report.failed) + len(report.uncertain)} de {len(plan.items)} correos no "
            "están confirmados como aceptados", file=plan.register,
            hint="corrija lo indicado y vuelva a ejecutar: se envía solo lo que falta")


def _show_status(job: Job) -> None:
    from oficios.delivery import status

    batch, letters = status(job)
    click.echo(f"{batch.oficio} · versión {batch.version} · lote {batch.id}")
    counts: dict[str, int] = {}
    for key, d in letters:
        state = d.state if d else "sin enviar"
        counts[state] = counts.get(state, 0) + 1
        detail = f"  {d.address}  {d.message_id}  intentos {d.attempts}  {d.reply}" if d else ""
        click.echo(f"  {key}  {state}{detail}")
    click.echo(", ".join(f"{n} {state}" for state, n in sorted(counts.items())))
