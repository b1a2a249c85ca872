"""The e-mail a letter travels in: the template's [correo] table and its `correo.md`.

`correo.md` is Jinja (same sandbox, StrictUndefined and context as the letter) over the
letter body's Markdown subset; it becomes a text/plain part and an HTML alternative. Roster
values are inserted as literal text: escaped for Markdown before parsing and for HTML after.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from oficios import markdown
from oficios.delivery.addresses import AddressProblem, normalize
from oficios.errors import TemplateError
from oficios.i18n import gettext as _
from oficios.letter import Block, ListBlock, Run
from oficios.template import METADATA_FILE, PROVIDED, OficioTemplate, _environment

MAIL_FILE = "correo.md"
TABLE = "correo"
# Variables the e-mail sees besides the letter's: texts of the letter, rendered for the recipient.
MAIL_PROVIDED = PROVIDED | {"materia", "antecedente", "codigo_verificacion", "destinatario"}
DEFAULT_SUBJECT = "{{ numero }}: {{ materia }}"


@dataclass(frozen=True)
class Mail:
    """One recipient's e-mail texts: subject, plain text and the HTML alternative."""

    subject: str
    text: str
    html: str


class MailTemplate:
    """The [correo] table and correo.md of a template folder, compiled once."""

    def __init__(self, template: OficioTemplate) -> None:
        self.template = template
        table = template.meta.get(TABLE)
        self._file = template.folder / METADATA_FILE
        if not isinstance(table, dict):
            raise TemplateError(_("the template has no table [{table}]").format(table=TABLE),
                                file=self._file,
                                hint=_('add [correo] with columna = "email" and write correo.md '
                                       "beside oficio.toml"))
        # oficio.toml's schema (template_schema.py) has checked the table's keys and types.
        self.column: str = table.get("columna", "email")
        self.subject_source: str = table.get("asunto", DEFAULT_SUBJECT)
        self.cc: tuple[str, ...] = tuple(self._address(a, "cc") for a in table.get("cc", ()))
        reply = table.get("responder_a", "")
        self.reply_to: str | None = self._address(reply, "responder_a") if reply else None
        self.attach_docx: bool = table.get("adjuntar_docx", False)
        self.body_file = template.folder / MAIL_FILE
        if not self.body_file.is_file():
            raise TemplateError(_("the file does not exist"), file=self.body_file,
                                hint=_("a template with a [{table}] table needs {file}: the "
                                       "e-mail's body, in Markdown with Jinja placeholders").format(
                                    table=TABLE, file=MAIL_FILE))
        try:
            self.body_source = self.body_file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise TemplateError(_("it is not valid UTF-8 text"), file=self.body_file,
                                hint=_("save it as UTF-8")) from None
        self._subject_env = _environment(markdown.collapse)
        self._body_env = _environment(markdown.escape)
        self._subject = self._compile(self._subject_env, self.subject_source, f"[{TABLE}] asunto")
        self._body = self._compile(self._body_env, self.body_source, MAIL_FILE)
        self._parser = markdown.BodyParser(str(self.body_file))

    @staticmethod
    def present(template: OficioTemplate) -> bool:
        """Whether the template sends its letters by e-mail (it has a [correo] table)."""
        return TABLE in template.meta

    # -- reading the table ---------------------------------------------------------------
    def _address(self, value: str, key: str) -> str:
        try:
            return normalize(value)
        except AddressProblem as exc:
            raise TemplateError(f"[{TABLE}] {key}: {exc}", file=self._file) from None

    def _compile(self, env, source: str, where: str):
        from jinja2 import TemplateSyntaxError

        try:
            return env.from_string(source)
        except TemplateSyntaxError as exc:
            body = where == MAIL_FILE
            message = (_("syntax error: {reason}") if body else
                       _("syntax error in {where}: {reason}")).format(where=where, reason=exc.message)
            raise TemplateError(message, file=self.body_file if body else self._file,
                                line=exc.lineno if body else None) from None

    # -- what it needs, what it gives ----------------------------------------------------
    def required_variables(self) -> set[str]:
        """The variables the subject and body read that neither the letter nor the e-mail give."""
        from jinja2 import meta

        names = set()
        for env, source in ((self._subject_env, self.subject_source),
                            (self._body_env, self.body_source)):
            names |= meta.find_undeclared_variables(env.parse(source))
        return names - MAIL_PROVIDED

    def render(self, context: dict[str, str], row: int | None = None) -> Mail:
        """The e-mail for one recipient's context; TemplateError naming the row if it fails."""
        from jinja2 import TemplateError as JinjaError

        try:
            subject = self._subject.render(context).strip()
            body = self._body.render(context)
        except JinjaError as exc:
            raise TemplateError(_("the e-mail of row {row} of the roster cannot be written: "
                                  "{reason}").format(row=row, reason=exc), file=self.body_file,
                                hint=_("check the placeholders of {file} and of [{table}] "
                                       "asunto").format(file=MAIL_FILE, table=TABLE)) from None
        blocks = self._parser.parse(body)
        return Mail(subject=subject, text=plain_text(blocks), html=html_document(subject, blocks))


def plain_text(blocks: tuple[Block, ...]) -> str:
    """The blocks as plain text: paragraphs apart by a blank line, lists as '-' or '1.'."""
    parts = []
    for block in blocks:
        if isinstance(block, ListBlock):
            parts.append("\n".join(
                f"{f'{block.start + i}.' if block.ordered else '-'} {_runs_text(item)}"
                for i, item in enumerate(block.items)))
        else:
            parts.append(_runs_text(block.runs))
    return "\n\n".join(parts) + "\n"


def _runs_text(runs: tuple[Run, ...]) -> str:
    out = []
    for run in runs:
        text = run.text
        if run.href and run.href != text.strip():
            text = f"{text} <{run.href}>"
        out.append(text)
    return "".join(out)


def html_document(title: str, blocks: tuple[Block, ...]) -> str:
    """The blocks as a small HTML document, every text escaped."""
    body = []
    for block in blocks:
        if isinstance(block, ListBlock):
            tag = "ol" if block.ordered else "ul"
            start = f' start="{block.start}"' if block.ordered and block.start != 1 else ""
            items = "".join(f"<li>{_runs_html(item)}</li>" for item in block.items)
            body.append(f"<{tag}{start}>{items}</{tag}>")
        else:
            body.append(f"<p>{_runs_html(block.runs)}</p>")
    return ('<!DOCTYPE html>\n<html lang="es">\n<head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title></head>\n"
            '<body style="font-family: Arial, Helvetica, sans-serif; font-size: 11pt;">\n'
            + "\n".join(body) + "\n</body>\n</html>\n")


def _runs_html(runs: tuple[Run, ...]) -> str:
    out = []
    for run in runs:
        text = html.escape(run.text).replace("\n", "<br>")
        if run.bold:
            text = f"<strong>{text}</strong>"
        if run.italic:
            text = f"<em>{text}</em>"
        if run.href:
            text = f'<a href="{html.escape(run.href, quote=True)}">{text}</a>'
        out.append(text)
    return "".join(out)
