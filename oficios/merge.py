"""Merging: one roster row + the template -> one Letter, with every text personalized.

Merging is cheap and happens for the whole roster before any rendering, so that every
problem in the data is reported at once and nothing is written when one is found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from oficios import spanish
from oficios.errors import OficiosError, RosterError, TemplateError, raise_all
from oficios.i18n import gettext as _
from oficios.letter import Block, Letter, Party
from oficios.markdown import BodyParser
from oficios.roster import Recipient, Roster
from oficios.slugs import ascii_slug
from oficios.template import BODY_FILE, OficioTemplate


class Merger:
    """Merges recipients into a template; create once per template, merge many."""

    def __init__(self, template: OficioTemplate) -> None:
        self.template = template
        self.body_parser = BodyParser(str(template.folder / BODY_FILE))
        self.fecha = spanish.format_date(
            template.fecha, template.formato_fecha, capitalize_month=template.mes_con_mayuscula)

    def context(self, recipient: Recipient, roster_file: object = None) -> dict[str, str]:
        """The variables a template sees for this recipient."""
        t = self.template
        values = {col: "" for col in t.optional_columns}
        values.update(recipient.values)
        gender = spanish.normalize_gender(
            values.get(t.gender_column, ""), file=roster_file, row=recipient.row,
            column=t.gender_column, neutral=t.neutral_forms)
        values[t.gender_column] = gender
        values["tratamiento"] = spanish.TRATAMIENTO[gender]
        values["fecha"] = self.fecha
        # The register's number, put in the recipient's values when the batch reserved it;
        # a preview or a validation pass has none ("sin número").
        values.setdefault("correlativo", "S/N")
        return values

    def merge(self, recipient: Recipient, roster_file: object = None,
              verification: str = "") -> Letter:
        """The Letter for one recipient; raises RosterError/TemplateError naming the row.

        `verification` is the register's code for the letter ("" if it is not registered).
        """
        t = self.template
        ctx = self.context(recipient, roster_file)
        render = _Renderer(t, ctx, recipient.row)
        ctx["numero"] = render.one("[oficio] numero")
        lugar = render.one("[oficio] lugar")
        closing = render.one("[cierre] despedida")
        name = recipient.values.get(t.name_column, "")
        return Letter(
            key=recipient[t.key_column],
            slug=ascii_slug(name),
            recipient_name=name,
            number=ctx["numero"],
            reference=render.one("[oficio] antecedente"),
            subject=render.one("[oficio] materia"),
            place_date=f"{lugar}, {self.fecha}" if lugar else self.fecha,
            date=t.fecha,
            sender=Party("DE", render.many("[de] lineas")),
            addressee=Party("A", render.many("[a] lineas")),
            body=self._parse(render.one(BODY_FILE)),
            closing=self._parse(closing) if closing else (),
            signature=render.many("[cierre] firma"),
            initials=render.one("[cierre] iniciales"),
            distribution_title=render.one("[distribucion] titulo"),
            distribution=render.many("[distribucion] lineas"),
            letterhead=render.many("[membrete] lineas"),
            logo=t.logo,
            title=f"{ctx['numero']} — {name}",
            author=t.meta.get("oficio", {}).get("autor", ""),
            verification=verification,
        )

    def _parse(self, text: str) -> tuple[Block, ...]:
        return self.body_parser.parse(text)


class _Renderer:
    """Renders the template's compiled texts with one recipient's context."""

    def __init__(self, template: OficioTemplate, ctx: dict[str, str], row: int) -> None:
        self.template, self.ctx, self.row = template, ctx, row

    def one(self, where: str) -> str:
        from jinja2 import TemplateError as JinjaError

        try:
            return self.template.compiled[where].render(self.ctx).strip()
        except (JinjaError, ArithmeticError, TypeError, ValueError, LookupError,
                AttributeError) as exc:
            # A template's mistake met at run time ({{ rbd + 1 }} on a text column): blame the
            # template line and show the row and values that triggered it.
            raise self.template.runtime_error(where, exc, self.ctx, self.row) from None

    def many(self, prefix: str) -> tuple[str, ...]:
        keys = [k for k in self.template.compiled if k.startswith(prefix + "[")]
        return tuple(line for line in (self.one(k) for k in keys) if line)


def merge_all(template: OficioTemplate, roster: Roster) -> list[Letter]:
    """Every recipient's Letter, or one error listing every row that cannot be merged."""
    return list(_merge_each(template, roster, keep=True))


def validate_all(template: OficioTemplate, roster: Roster,
                 each: Callable[[Letter], object] | None = None) -> None:
    """Merges every recipient and keeps nothing: raises what merge_all would, in flat memory.

    `each` (None: nothing) is shown every letter as it is merged, to note what it needs of it.
    """
    for _letter in _merge_each(template, roster, keep=False, each=each):
        pass


def _merge_each(template: OficioTemplate, roster: Roster, *, keep: bool,
                each: Callable[[Letter], object] | None = None) -> Iterator[Letter]:
    template.check_columns(roster.columns, roster.path)
    merger = Merger(template)
    letters, errors, names = [], [], set()
    # A template's mistake repeats on every row it meets: said once, with how many rows.
    template_errors: dict[str, list[TemplateError]] = {}
    for recipient in roster.recipients:
        try:
            letter = merger.merge(recipient, roster.path)
        except TemplateError as exc:
            template_errors.setdefault(getattr(exc, "same_as", exc.format()), []).append(exc)
            continue
        except OficiosError as exc:
            errors.append(exc)
            continue
        # File names are <key>-<slug>: unique keys make unique names. Kept as a guard
        # because output files must never overwrite each other.
        name = f"{letter.key}-{letter.slug}"
        if name in names:
            errors.append(RosterError(
                _("two recipients would share the file name '{name}'").format(name=name),
                file=roster.path, row=recipient.row, hint=_("make the recipient codes unique")))
        names.add(name)
        if each is not None:
            each(letter)
        if keep:
            letters.append(letter)
    raise_all([_once(group, len(roster)) for group in template_errors.values()],
              _("{{count}} problems in the template {folder}; nothing was written").format(
                  folder=template.folder))
    raise_all(errors, _("{path}: {{count}} rows cannot be merged; nothing was written").format(
        path=roster.path))
    yield from letters


def _once(group: list[TemplateError], total: int) -> TemplateError:
    """One template error standing for the same mistake met on several rows."""
    first = group[0]
    if len(group) == 1 or total <= 1:
        return first
    message = (_("{message} (affects every row of the roster)") if len(group) == total else
               _("{message} (affects {count} of {total} rows of the roster)"))
    return TemplateError(message.format(message=first.message, count=len(group), total=total),
                         file=first.file, line=first.line, hint=first.hint)
