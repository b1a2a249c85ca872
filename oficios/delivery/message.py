"""One letter's e-mail as MIME (the only module that imports the `email` package).

The Message-ID is derived from the letter (its verification code, the issue's version, the
recipient's key and the oficio number), so any copy of the message names its letter and a
rerun sends the same Message-ID again, never a new one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from oficios.slugs import ascii_slug, key_slug

HEADER_CODE = "X-Oficios-Codigo"
HEADER_OFICIO = "X-Oficios-Oficio"


class ChangedAttachment(Exception):
    """A file to attach is no longer the one the register records (changed after the check)."""

    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        self.path = path


@dataclass(frozen=True)
class Attachment:
    """A file attached as the register records it: path, SHA-256, and MIME type."""

    path: Path
    sha256: str
    mime: str


@dataclass(frozen=True)
class Outgoing:
    """Everything needed to send one letter's e-mail, checked before anything is sent.

    `letter_id` is the letter's id in the register; `to` and `cc` are normalized addresses.
    """

    letter_id: int
    key: str
    name: str
    row: int
    code: str
    oficio: str
    version: int
    sender: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    reply_to: str | None
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...]
    message_id: str

    @property
    def recipients(self) -> tuple[str, ...]:
        """The SMTP envelope's recipients: To then Cc, each once."""
        return tuple(dict.fromkeys(self.to + self.cc))


def message_id(oficio: str, version: int, key: str, code: str, sender: str) -> str:
    """The letter's Message-ID, e.g. '<EZYE-M5S5-4U.v1.13120.mideplan-of-n-01-a-264@x.cl>'.

    The domain is the sender's, as RFC 5322 suggests, so the ID is unique worldwide.
    """
    domain = sender.rpartition("@")[2] or "oficios.invalid"
    return f"<{code}.v{version}.{key_slug(key)}.{ascii_slug(oficio, max_length=40)}@{domain}>"


def build(item: Outgoing, date: float | None = None) -> bytes:
    """The message as the bytes sent over SMTP (CRLF line ends); `date` None is now."""
    from email.message import EmailMessage
    from email.policy import SMTP
    from email.utils import formatdate

    msg = EmailMessage(policy=SMTP)
    msg["From"] = item.sender
    msg["To"] = ", ".join(item.to)
    if item.cc:
        msg["Cc"] = ", ".join(item.cc)
    if item.reply_to:
        msg["Reply-To"] = item.reply_to
    msg["Subject"] = item.subject
    msg["Date"] = formatdate(date, localtime=False)
    msg["Message-ID"] = item.message_id
    msg[HEADER_CODE] = item.code
    msg[HEADER_OFICIO] = f"{item.oficio}; version {item.version}; {item.key}"
    msg.set_content(item.text, subtype="plain", charset="utf-8")
    msg.add_alternative(item.html, subtype="html", charset="utf-8")
    for attachment in item.attachments:
        maintype, _, subtype = attachment.mime.partition("/")
        data = attachment.path.read_bytes()
        if hashlib.sha256(data).hexdigest() != attachment.sha256:
            raise ChangedAttachment(attachment.path)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=attachment.path.name)
    return msg.as_bytes()
