"""A fully merged letter, independent of output format: what both renderers draw.

Everything here is plain data (text already personalized). Renderers must treat every
string as literal text: nothing in a Letter is ever re-read as markup or template.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Run:
    """A stretch of text with one formatting; `href` is a link target, None if not a link."""

    text: str
    bold: bool = False
    italic: bool = False
    href: str | None = None


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of the body: a sequence of runs."""

    runs: tuple[Run, ...]

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


@dataclass(frozen=True)
class ListBlock:
    """A list in the body; each item is a sequence of runs.

    `ordered` lists are numbered from `start`; items of an unordered list carry their own
    marker in the text when the letter needs one (the seed's "(i)", "(ii)", "(iii)").
    """

    items: tuple[tuple[Run, ...], ...]
    ordered: bool = False
    start: int = 1


Block = Paragraph | ListBlock


@dataclass(frozen=True)
class Party:
    """The DE (sender) or A (addressee) block: a label and its lines, all set in bold."""

    label: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Letter:
    """One oficio for one recipient, ready to render.

    `key` is the recipient's identifier (the value of the template's key column) and `slug`
    an ASCII name fragment; together they make the output file name.
    `logo` is None when the letterhead is text only.
    `verification` is the code the register knows the letter by; "" for a letter that is not
    registered (a preview). `qr` adds a QR code repeating it (only with a code). `draft` marks
    a preview: BORRADOR across every page, so nobody sends it by mistake.
    """

    key: str
    slug: str
    recipient_name: str
    number: str
    reference: str
    subject: str
    place_date: str
    date: dt.date
    sender: Party
    addressee: Party
    body: tuple[Block, ...]
    closing: tuple[Block, ...]
    signature: tuple[str, ...]
    initials: str
    distribution_title: str
    distribution: tuple[str, ...]
    letterhead: tuple[str, ...] = ()
    logo: Path | None = None
    title: str = ""
    author: str = ""
    language: str = "es-CL"
    verification: str = ""
    qr: bool = False
    draft: bool = False
    # The public verification site (e.g. https://oficios.example.cl): the QR code opens its
    # page for this letter's code. "" when none is configured.
    verify_url: str = ""

    @property
    def body_text(self) -> str:
        """The body and closing as plain text, one block per line (for tests and search)."""
        out = []
        for block in self.body + self.closing:
            if isinstance(block, Paragraph):
                out.append(block.text)
            else:
                out.extend("".join(r.text for r in item) for item in block.items)
        return "\n".join(out)
