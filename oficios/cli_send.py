"""`oficios send`: the letters of a registered batch, one e-mail each, recorded in the register."""

from __future__ import annotations

import os
from pathlib import Path

import click

from oficios.i18n import N_, gettext as _

from oficios.cli import (map_option, output_option, roster_option, template_option,
                         _split_only)
from oficios.pipeline import Job


@click.command(help=N_(
    "E-mail each letter of the registered batch to its recipient, recorded in the "
    "register."))
@template_option
@roster_option
@output_option
@map_option
@click.option("--only", multiple=True, callback=_split_only, metavar="CUT[,CUT...]",
              help=N_("Send only these recipients' letters (codes from the roster's key column)."))
@click.option("--register", "register_path", type=click.Path(path_type=Path), default=None,
              help=N_("The register (SQLite).  [default: <output>/registro-oficina-de-partes.sqlite]"))
@click.option("--settings", "settings_file", type=click.Path(path_type=Path), default=None,
              help=N_("TOML file with an [smtp] table: host, port, security, user, sender, rate, "
                   "cafile. Options given here win over it."))
@click.option("--sender", default=None, metavar=N_("ADDRESS"), help=N_("The From address."))
@click.option("--host", default=None, help=N_("SMTP server.  [default: localhost]"))
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help=N_("SMTP port.  [default: 587 for starttls, 465 for tls, 25 for none]"))
@click.option("--security", type=click.Choice(["starttls", "tls", "none"]), default=None,
              help=N_("STARTTLS, implicit TLS, or no encryption.  [default: starttls]"))
@click.option("--user", default=None,
              help=N_("SMTP login; the password is read from the environment, OFICIOS_SMTP_CLAVE."))
@click.option("--cafile", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help=N_("Trust the server certificate's authority from this PEM file."))
@click.option("--rate", type=click.FloatRange(min=0, min_open=True), default=None,
              help=N_("At most this many messages per second.  [default: as fast as accepted]"))
@click.option("--attempts", type=click.IntRange(min=1), default=5, show_default=True,
              help=N_("Attempts per message on 4xx replies and lost connections."))
@click.option("--backoff", type=click.FloatRange(min=0), default=2.0, show_default=True,
              help=N_("Seconds before the second attempt; doubled before each next one."))
@click.option("--dry-run", is_flag=True,
              help=N_("Write each e-mail as an .eml file under <output>/<oficio>/correo/; send nothing."))
@click.option("--resend-uncertain", is_flag=True,
              help=N_("Send again (same Message-ID) the e-mails a stopped run left 'enviando'."))
@click.option("--confirm-delivered", "confirm", multiple=True, callback=_split_only,
              metavar="CUT[,CUT...]",
              help=N_("Record as accepted these letters' uncertain e-mails, after finding their "
                   "Message-ID in the server's log or a mailbox; sends nothing."))
@click.option("--status", is_flag=True, help=N_("Show each letter's delivery state; send nothing."))
@click.option("--quiet", "-q", is_flag=True, help=N_("Print nothing but errors."))
def send(template: Path, roster: Path, output: Path, column_map, only, register_path,
         settings_file, sender, host, port, security, user, cafile, rate, attempts, backoff,
         dry_run: bool, resend_uncertain: bool, confirm, status: bool, quiet: bool) -> None:
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
        raise click.UsageError(_("the sender is missing: give --sender, or sender in [smtp] of "
                                 "--settings"))
    plan = delivery.prepare(job, given["sender"])
    if confirm:
        done = delivery.confirm_delivered(plan, list(confirm))
        click.echo(_("{count} e-mails recorded as accepted: {keys}.").format(
            count=len(done), keys=", ".join(done)))
        return
    if dry_run:
        paths = delivery.write_eml(plan)
        if not quiet:
            folder = paths[0].parent if paths else plan.folder / "correo"
            click.echo(_("{count} e-mails written for review in {folder}; nothing was sent.").format(
                count=len(paths), folder=folder))
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
        click.echo(_("{sent} e-mails accepted by the server in {seconds} s ({rate} per second); "
                     "{already} already accepted before; {failed} failed; {uncertain} uncertain."
                     ).format(sent=len(report.sent), seconds=f"{report.seconds:.1f}",
                              rate=f"{rate:.1f}", already=report.already,
                              failed=len(report.failed), uncertain=len(report.uncertain)))
    for item, reply in report.failed:
        click.echo(_("failed: {key} {name} <{to}>: {reply}").format(
            key=item.key, name=item.name, to=", ".join(item.to), reply=reply), err=True)
    for item, delivery in report.uncertain:
        click.echo(_("possibly delivered: {key} {name} <{to}> Message-ID {message_id} (left "
                     "'enviando' on {when})").format(
            key=item.key, name=item.name, to=", ".join(item.to), message_id=item.message_id,
            when=delivery.updated), err=True)
    if report.uncertain:
        click.echo(_("A stopped run left those e-mails unconfirmed: the server may have accepted "
                     "them. Look for their Message-ID in the server's log or the sent mailbox: "
                     "if they arrived, record them with --confirm-delivered CUT; if not, run "
                     "again with --resend-uncertain."), err=True)
    if report.failed or report.uncertain:
        raise DeliveryError(
            _("{count} of {total} e-mails are not confirmed as accepted").format(
                count=len(report.failed) + len(report.uncertain), total=len(plan.items)),
            file=plan.register,
            hint=_("fix what is shown and run again: only what is missing is sent"))


def _show_status(job: Job) -> None:
    from oficios.delivery import state_text, status

    batch, letters = status(job)
    click.echo(_("{oficio} · version {version} · batch {id}").format(
        oficio=batch.oficio, version=batch.version, id=batch.id))
    counts: dict[str, int] = {}
    for key, d in letters:
        state = state_text(d.state) if d else _("not sent")
        counts[state] = counts.get(state, 0) + 1
        detail = _("  {address}  {message_id}  attempts {attempts}  {reply}").format(
            address=d.address, message_id=d.message_id, attempts=d.attempts,
            reply=d.reply) if d else ""
        click.echo(f"  {key}  {state}{detail}")
    click.echo(", ".join(f"{n} {state}" for state, n in sorted(counts.items())))
