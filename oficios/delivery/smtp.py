"""The SMTP connection (the only module that imports smtplib and ssl).

One connection is opened and reused for the whole batch. Each message goes in two steps,
so the caller can record 'enviando' between them: `envelope` (MAIL FROM and RCPT TO), then
`data`. Replies become our own exceptions: `Transient` (4xx, worth retrying), `Permanent`
(5xx) and `Dropped` (the connection was lost); the caller decides what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from oficios.errors import OficiosError
from oficios.i18n import gettext as _

SECURITY = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
PASSWORD_VARIABLE = "OFICIOS_SMTP_CLAVE"


class DeliveryError(OficiosError):
    """E-mail cannot be sent: settings, the server, or messages the server did not accept."""

    exit_code = 9


@dataclass(frozen=True)
class Settings:
    """How to reach the SMTP server. `port` None is the security's usual port; `user` None
    sends without logging in; `cafile` None trusts the system's certificate authorities."""

    host: str = "localhost"
    port: int | None = None
    security: str = "starttls"
    user: str | None = None
    password: str | None = None
    cafile: Path | None = None
    timeout: float = 60.0

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port or DEFAULT_PORTS[self.security]}"


class Reply(Exception):
    """A server's reply that is not a success: its code and text."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(f"{code} {text}")
        self.code, self.text = code, text

    def __str__(self) -> str:
        return f"{self.code} {self.text}"


class Transient(Reply):
    """A 4xx reply: try again later."""


class Permanent(Reply):
    """A 5xx reply: this message will not be accepted as it is."""


class Dropped(Exception):
    """The connection was lost (or the server said 421 and closed it)."""


def _text(text: bytes | str) -> str:
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return " ".join(text.split())


def _reply(code: int, text: bytes | str) -> Reply:
    return (Transient if 400 <= code < 500 else Permanent)(code, _text(text))


class Connection:
    """A logged-in SMTP connection, opened on first use and again after it is lost."""

    def __init__(self, settings: Settings) -> None:
        if settings.security not in SECURITY:
            raise DeliveryError(_("unknown SMTP security '{security}'").format(
                                security=settings.security), hint=_("use starttls, tls or none"))
        if settings.user and settings.security == "none":
            raise DeliveryError(_("an SMTP password is not sent over an unencrypted connection"),
                                hint=_("use --security starttls or tls, or do not give --user"))
        if settings.user and not settings.password:
            raise DeliveryError(_("the SMTP password of '{user}' is missing").format(user=settings.user),
                                hint=_("put it in the environment variable {variable}").format(
                                    variable=PASSWORD_VARIABLE))
        self.settings = settings
        self._smtp = None

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def open(self) -> None:
        """Connects, secures and logs in; Dropped if the server cannot be reached now,
        DeliveryError for what retrying will not fix (refused login, bad certificate)."""
        import smtplib
        import ssl

        if self._smtp is not None:
            return
        s = self.settings
        port = s.port or DEFAULT_PORTS[s.security]
        context = ssl.create_default_context(cafile=str(s.cafile) if s.cafile else None)
        smtp = None
        try:
            if s.security == "tls":
                smtp = smtplib.SMTP_SSL(s.host, port, timeout=s.timeout, context=context)
            else:
                smtp = smtplib.SMTP(s.host, port, timeout=s.timeout)
            smtp.ehlo()
            if s.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise DeliveryError(_("the server {address} does not offer STARTTLS").format(
                                            address=s.address),
                                        hint=_("use --security tls (port 465) if it uses implicit "
                                               "TLS, or none if it does not encrypt"))
                smtp.starttls(context=context)
                smtp.ehlo()
            if s.user:
                _login(smtp, s.user, s.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            _quit(smtp)
            raise DeliveryError(_("the server {address} refused the user or the password: "
                                  "{reply}").format(address=s.address,
                                                    reply=_reply(exc.smtp_code, exc.smtp_error)),
                                hint=_("check --user and {variable}").format(
                                    variable=PASSWORD_VARIABLE)) from None
        except ssl.SSLError as exc:
            _quit(smtp)
            raise DeliveryError(_("TLS could not be established with {address}: {reason}").format(
                                    address=s.address, reason=exc),
                                hint=_("check --security and the server's certificate "
                                       "(--cafile for an authority of your own)")) from None
        except smtplib.SMTPResponseException as exc:
            _quit(smtp)
            if 400 <= exc.smtp_code < 500:
                raise Dropped(f"{s.address}: {_reply(exc.smtp_code, exc.smtp_error)}") from None
            raise DeliveryError(_("the server {address} does not accept the connection: {reply}").format(
                address=s.address, reply=_reply(exc.smtp_code, exc.smtp_error))) from None
        except (smtplib.SMTPException, OSError) as exc:
            _quit(smtp)
            raise Dropped(f"{s.address}: {exc or type(exc).__name__}") from None
        self._smtp = smtp

    def close(self) -> None:
        """Says QUIT (if the connection is still there) and forgets the connection."""
        smtp, self._smtp = self._smtp, None
        _quit(smtp)

    def envelope(self, sender: str, recipients: tuple[str, ...]) -> None:
        """MAIL FROM and RCPT TO for every recipient; the transaction is reset on a refusal."""
        import smtplib

        self.open()
        smtp = self._smtp
        try:
            code, text = smtp.mail(sender)
            if code == 530:  # login or encryption required: every message would fail alike
                self.close()
                raise DeliveryError(_("the server {address} does not accept mail just like that: "
                                      "{reply}").format(address=self.settings.address,
                                                        reply=_reply(code, text)),
                                    hint=_("check --security (starttls or tls) and give --user "
                                           "with {variable}").format(variable=PASSWORD_VARIABLE))
            if code != 250:
                self._refused(code, text)
            for address in recipients:
                code, text = smtp.rcpt(address)
                if code not in (250, 251):
                    self._refused(code, text)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._lost(exc)

    def data(self, message: bytes) -> str:
        """Sends the message; returns the server's acceptance ('250 2.0.0 Ok: queued ...')."""
        import smtplib

        smtp = self._smtp
        try:
            code, text = smtp.data(message)
        except smtplib.SMTPDataError as exc:  # DATA itself refused
            code, text = exc.smtp_code, exc.smtp_error
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._lost(exc)
        if code != 250:
            self._refused(code, text)
        return f"{code} {_text(text)}"

    def reset(self) -> None:
        """Abandons the transaction begun by `envelope` (RSET)."""
        try:
            self._smtp.rset()
        except Exception:  # noqa: BLE001 - a connection that cannot reset is reopened
            self.close()

    def _refused(self, code: int, text: bytes) -> None:
        if code == 421:  # the server closes the connection
            self.close()
            raise Dropped(str(_reply(code, text)))
        self.reset()
        raise _reply(code, text)

    def _lost(self, exc: BaseException):
        smtp, self._smtp = self._smtp, None
        try:
            smtp.close()
        except Exception:  # noqa: BLE001 - the socket is already gone
            pass
        raise Dropped(f"{self.settings.address}: {exc or type(exc).__name__}") from None


def _login(smtp, user: str, password: str) -> None:
    """Logs in; smtplib encodes credentials as ASCII only, so others go as AUTH PLAIN in
    UTF-8 (RFC 4616), as servers expect for a password such as 'contraseña'."""
    import base64
    import smtplib

    if (user + password).isascii():
        smtp.login(user, password)
        return
    token = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
    code, text = smtp.docmd("AUTH", f"PLAIN {token}")
    if code not in (235, 503):  # 503: already authenticated
        raise smtplib.SMTPAuthenticationError(code, text)


def _quit(smtp) -> None:
    if smtp is None:
        return
    try:
        smtp.quit()
    except Exception:  # noqa: BLE001 - closing a broken connection: nothing left to do
        try:
            smtp.close()
        except Exception:  # noqa: BLE001
            pass


SETTINGS_KEYS = {"host", "port", "security", "user", "sender", "rate", "cafile"}


def read_settings_file(path: Path) -> dict:
    """The [smtp] table of a TOML settings file (host, port, security, user, sender, rate,
    cafile); never a password, which comes only from the environment."""
    import tomllib

    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("smtp")
    except FileNotFoundError:
        raise DeliveryError(_("the SMTP settings file does not exist"), file=path) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DeliveryError(_("it is not valid TOML: {reason}").format(reason=exc),
                            file=path) from None
    if not isinstance(table, dict):
        raise DeliveryError(_("the table [smtp] is missing"), file=path,
                            hint=_('write [smtp] with host = "...", port, security, user, sender'))
    unknown = sorted(set(table) - SETTINGS_KEYS)
    if "password" in unknown or "clave" in unknown:
        raise DeliveryError(_("the password is not kept in the settings file"), file=path,
                            hint=_("delete it and put it in the environment variable "
                                   "{variable}").format(variable=PASSWORD_VARIABLE))
    if unknown:
        raise DeliveryError(_("[smtp] has unknown keys: {keys}").format(keys=", ".join(unknown)),
                            file=path, hint=_("use {keys}").format(
                                keys=", ".join(sorted(SETTINGS_KEYS))))
    if "cafile" in table:
        table["cafile"] = (path.parent / table["cafile"]).resolve()
    return table
