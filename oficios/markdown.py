"""The letter body's Markdown, parsed into the Letter model's blocks (markdown-it-py lives here).

Raw HTML in Markdown is not interpreted (it stays text). Only what an oficio needs is
accepted: paragraphs, bold, italics, links, line breaks and lists. Roster values reach
this parser escaped (`escape`), so they are always literal text.
"""

from __future__ import annotations

import re

from oficios.errors import TemplateError
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

    return MarkdownIt("commonmark", {"html": False})


class BodyParser:
    """Parses body Markdown to blocks; create once, parse many."""

    def __init__(self, source_name: str) -> None:
        self.source_name = source_name
        self._md = _parser()

    def parse(self, text: str) -> tuple[Block, ...]:
        """The blocks of a Markdown text; TemplateError for constructs an oficio cannot hold."""
        tokens = self._md.parse(text)
        blocks: list[Block] = []
        items: list[tuple[Run, ...]] = []
        in_list = None
        for tok in tokens:
            if tok.type in ("bullet_list_open", "ordered_list_open"):
                if in_list is not None:
                    self._refuse("a list inside a list", tok)
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
                self._refuse(tok.type.replace("_", " "), tok)
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
            elif kind == "link_close":
                href = None
            else:
                self._refuse(kind.replace("_", " "), inline)
        return tuple(runs)

    @staticmethod
    def _add(runs: list[Run], run: Run) -> None:
        # Adjacent runs with the same format become one, so renderers see whole phrases.
        if runs and (runs[-1].bold, runs[-1].italic, runs[-1].href) == (run.bold, run.italic, run.href):
            runs[-1] = Run(runs[-1].text + run.text, run.bold, run.italic, run.href)
        else:
            runs.append(run)

    def _refuse(self, what: str, tok) -> None:
        line = tok.map[0] + 1 if tok.map else None
        raise TemplateError(
            f"{what} is not supported in an oficio body", file=self.source_name, line=line,
            hint="use paragraphs, **bold**, *italics*, links and lists",
        )


_STRUCTURAL = {"paragraph_open", "paragraph_close", "list_item_open", "list_item_close"}
