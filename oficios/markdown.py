"""The letter body's Markdown, parsed into the Letter model's blocks (markdown-it-py lives here).

Only what an oficio shows is accepted: paragraphs, bold, italics, links, line breaks and
lists. Anything else a template writes (raw HTML, tables, images by any scheme, headings,
quotes, code) is refused with its line, never printed as markup: the parser recognizes
HTML and tables precisely so that it can refuse them. Roster values reach this parser
escaped (`escape`), so they are always literal text and never become any of these.
"""

from __future__ import annotations

import re

from oficios.errors import TemplateError
from oficios.i18n import N_, gettext as _
from oficios.letter import Block, ListBlock, Paragraph, Run

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_WHITESPACE = re.compile(r"\s+")


def collapse(value: object) -> str:
    """A value as one line of text: whitespace runs (newlines included) become one space."""
    return _WHITESPACE.sub(" ", str(value)).strip()


def escape(value: object) -> str:
    """A value made literal for Markdown: one line, every ASCII punctuation backslash-escaped."""
    return _PUNCTUATION.sub(r"\\\1", collapse(value))


def _parser():
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    # markdown-it leaves links and images to file:, data: or javascript: URLs unparsed, as
    # text, which would print `![x](file:///etc/passwd)` in a letter: parse every URL, so that
    # images are refused and links are checked here.
    md.validateLink = lambda url: True
    return md


class BodyParser:
    """Parses body Markdown to blocks; create once, parse many."""

    CACHED = 256  # texts remembered: a mass mailing's body is the same text for every letter

    def __init__(self, source_name: str) -> None:
        self.source_name = source_name
        self._md = _parser()
        self._parsed: dict[str, tuple[Block, ...]] = {}

    def parse(self, text: str) -> tuple[Block, ...]:
        """The blocks of a Markdown text; TemplateError for constructs an oficio cannot hold.

        A text met before gives the same (immutable) blocks without parsing it again: parsing
        was most of the time of merging a letter, and letters then share their body's objects.
        """
        blocks = self._parsed.get(text)
        if blocks is None:
            blocks = self._parse(text)
            if len(self._parsed) < self.CACHED:  # bodies that differ per letter are not kept
                self._parsed[text] = blocks
        return blocks

    def _parse(self, text: str) -> tuple[Block, ...]:
        tokens = self._md.parse(text)
        blocks: list[Block] = []
        items: list[tuple[Run, ...]] = []
        in_list = None
        for tok in tokens:
            if tok.type in ("bullet_list_open", "ordered_list_open"):
                if in_list is not None:
                    self._refuse("nested_list", tok)
                in_list = tok
                items = []
            elif tok.type in ("bullet_list_close", "ordered_list_close"):
                ordered = in_list.type == "ordered_list_open"
                start = int(in_list.attrGet("start") or 1) if ordered else 1
                blocks.append(ListBlock(tuple(items), ordered=ordered, start=start))
                in_list = None
            elif tok.type == "inline":
                runs = self._runs(tok)
                if in_list is not None:
                    items.append(runs)
                else:
                    blocks.append(Paragraph(runs))
            elif tok.type not in _STRUCTURAL:
                self._refuse(tok.type, tok)
        return tuple(blocks)

    def _runs(self, inline) -> tuple[Run, ...]:
        runs: list[Run] = []
        bold = italic = 0
        href = None
        for child in inline.children or []:
            kind = child.type
            if kind in ("text", "code_inline"):
                self._add(runs, Run(child.content, bool(bold), bool(italic), href))
            elif kind == "softbreak":
                self._add(runs, Run(" ", bool(bold), bool(italic), href))
            elif kind == "hardbreak":
                self._add(runs, Run("\n", bool(bold), bool(italic), href))
            elif kind in ("strong_open", "strong_close"):
                bold += 1 if kind == "strong_open" else -1
            elif kind in ("em_open", "em_close"):
                italic += 1 if kind == "em_open" else -1
            elif kind == "link_open":
                href = str(child.attrGet("href"))
                if href.split(":", 1)[0].lower() not in _LINK_SCHEMES or ":" not in href:
                    self._refuse("link_scheme", inline)
            elif kind == "link_close":
                href = None
            else:
                self._refuse(kind, inline)
        return tuple(runs)

    @staticmethod
    def _add(runs: list[Run], run: Run) -> None:
        # Adjacent runs with the same format become one, so renderers see whole phrases.
        if runs and (runs[-1].bold, runs[-1].italic, runs[-1].href) == (run.bold, run.italic, run.href):
            runs[-1] = Run(runs[-1].text + run.text, run.bold, run.italic, run.href)
        else:
            runs.append(run)

    def _refuse(self, kind: str, tok) -> None:
        line = tok.map[0] + 1 if tok.map else None
        what = _NAMES.get(kind.removesuffix("_open"), kind.replace("_", " "))
        raise TemplateError(
            _("{what}: an oficio cannot show it").format(what=_(what)), file=self.source_name,
            line=line, hint=_("use paragraphs, **bold**, *italics*, links and lists"),
        )


_STRUCTURAL = {"paragraph_open", "paragraph_close", "list_item_open", "list_item_close"}
_LINK_SCHEMES = {"http", "https", "mailto"}
# What a refused construct is called in the message, by markdown-it's token type.
_NAMES = {
    "image": N_("an image"), "html_inline": "HTML", "html_block": "HTML", "table": N_("a table"),
    "heading": N_("a heading (#)"), "blockquote": N_("a quotation (>)"),
    "code_block": N_("a code block"), "fence": N_("a code block"), "hr": N_("a horizontal rule"),
    "s": N_("a struck-through text (~~)"), "nested_list": N_("a list inside another"),
    "link_scheme": N_("a link that does not start with http:, https: or mailto:"),
}
