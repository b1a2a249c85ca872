"""The web application's commands: `oficios serve` and `oficios user add NAME`."""

from __future__ import annotations

from pathlib import Path

import click

from oficios.i18n import N_, gettext as _

templates_option = click.option(
    "--templates", type=click.Path(path_type=Path), default=Path("templates"), show_default=True,
    help=N_("Folder holding the template folders offered."))
output_option = click.option(
    "--output", "-o", type=click.Path(path_type=Path), default=Path("output"), show_default=True,
    help=N_("Output root; files go to <output>/<oficio>/<format>/."))
register_option = click.option(
    "--register", "register_path", type=click.Path(path_type=Path), default=None,
    help=N_("The register (SQLite).  [default: <output>/registro-oficina-de-partes.sqlite]"))
accounts_option = click.option(
    "--accounts", type=click.Path(path_type=Path), default=None,
    help=N_("Staff accounts file.  [default: usuarios-web.sqlite beside the register]"))


@click.command(help=N_(
    "Start the web application for the secretariat (Spanish; English with "
    "OFICIOS_LANG=en)."))
@click.option("--host", default="127.0.0.1", show_default=True, help=N_("Address to listen on."))
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535),
              help=N_("Port to listen on."))
@templates_option
@output_option
@register_option
@accounts_option
@click.option("--workers", "-j", type=click.IntRange(min=1), default=None,
              help=N_("Processes rendering a batch.  [default: the number of cores]"))
@click.option("--secure-cookies", is_flag=True, help=N_("Send the session cookie over HTTPS only."))
def serve(host: str, port: int, templates: Path, output: Path, register_path: Path | None,
          accounts: Path | None, workers: int | None, secure_cookies: bool) -> None:
    import uvicorn

    from oficios.web import WebConfig, create_app
    from oficios.web.accounts import Accounts

    config = WebConfig(templates=templates, output=output, register=register_path,
                       accounts=accounts, workers=workers, secure_cookies=secure_cookies)
    with Accounts(config.accounts_path()) as db:
        if not db.names():
            click.echo(_("No staff account yet: create one with `oficios user add NAME`."),
                       err=True)
    click.echo(_("oficios: http://{host}:{port}/  (Ctrl-C to stop)").format(host=host, port=port))
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning")


@click.group("user", help=N_(
    "Staff accounts of the web application."))
def user() -> None:
    pass


@user.command("add", help=N_(
    "Create the account NAME, or give it a new password."))
@click.argument("name", metavar=N_("NAME"))
@click.option("--password", default=None, help=N_("The password (asked, hidden, if not given)."))
@output_option
@register_option
@accounts_option
def add(name: str, password: str | None, output: Path, register_path: Path | None,
        accounts: Path | None) -> None:
    from oficios.web.accounts import Accounts, normalize_name
    from oficios.web.config import WebConfig

    if password is None:
        password = click.prompt(_("Password"), hide_input=True,
                                confirmation_prompt=_("Repeat the password"))
    config = WebConfig(output=output, register=register_path, accounts=accounts)
    with Accounts(config.accounts_path()) as db:
        db.add(name, password)
    click.echo(_("Account '{name}' saved in {path}.").format(name=normalize_name(name),
                                                            path=config.accounts_path()))


