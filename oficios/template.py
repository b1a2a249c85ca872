"""An oficio template: a folder with `oficio.toml` (metadata) and `cuerpo.md` (the body).

Every text in it is a Jinja template, compiled once here and rendered per recipient by
merge.py. Templates run in Jinja's sandbox with StrictUndefined; roster values are inserted
as data (escaped for Markdown in the body) and never re-read as template or markup.
"""

from __future__ import annotations

import datetime as dt
import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oficios import markdown, spanish
from oficios.errors import TemplateError, raise_all

METADATA_FILE = "oficio.toml"
BODY_FILE = "cuerpo.md"
# Variables that merge.py provides to every template, besides the roster's columns.
PROVIDED = {"tratamiento", "fecha", "numero", "correlativo"}
# [numeracion] por: a correlative number of the register for each letter, or one per batch.
NUMBERING_UNITS = ("carta", "lote")
MARKDOWN_SOURCES = {BODY_FILE, "[cierre] despedida"}


@dataclass(frozen=True)
class Source:
    """One template text and where it came from, e.g. 'oficio.toml [a] lineas[2]'."""

    where: str
    text: str


@dataclass(frozen=True)
class Numbering:
    """[numeracion]: the register's series the letters take `{{ correlativo }}` from, and
    whether each letter gets its own number ('carta') or the batch shares one ('lote')."""

    series: str
    unit: str


class OficioTemplate:
    """A loaded template folder: its metadata, compiled Jinja texts and required variables."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder).resolve()
        self.meta = _read_toml(self.folder / METADATA_FILE)
        self.body_source = _read_text(self.folder / BODY_FILE)
        self.slug = self.folder.name
        o = self._table("oficio")
        self.fecha: dt.date = self._date(o)
        self.formato_fecha: str = o.get("formato_fecha", "dd 'de' MMMM 'de' y")
        self.mes_con_mayuscula: bool = bool(o.get("mes_con_mayuscula", False))
        try:
            spanish.check_date_pattern(self.formato_fecha)
        except Exception as exc:  # Babel raises several types for a bad pattern
            raise self._error(f"formato_fecha is not a valid date pattern: {exc}") from None
        d = self._table("destinatario")
        self.key_column: str = d.get("clave", "cut")
        self.name_column: str = d.get("nombre", self.key_column)
        self.optional_columns: tuple[str, ...] = tuple(d.get("opcionales", ()))
        self.gender_column: str = d.get("genero", "genero")
        logo = self._table("membrete").get("logo")
        self.logo: Path | None = self._inside(logo) if logo else None
        self._plain_env = _environment(markdown.collapse)
        self._body_env = _environment(markdown.escape)
        self.sources = self._collect_sources()
        self.compiled = {s.where: self._compile(s) for s in self.sources}
        self.numbering: Numbering | None = self._numbering()

    # -- reading the metadata ------------------------------------------------------------
    def _table(self, name: str) -> dict[str, Any]:
        value = self.meta.get(name, {})
        if not isinstance(value, dict):
            raise self._error(f"[{name}] must be a table")
        return value

    def text(self, table: str, key: str, default: str | None = None) -> str:
        """A metadata text as written in the template (not rendered)."""
        value = self._table(table).get(key, default)
        if not isinstance(value, str):
            raise self._error(f"[{table}] {key} is missing or is not text",
                              hint=f"write {key} = \"...\" under [{table}]")
        return value

    def lines(self, table: str, key: str = "lineas") -> list[str]:
        """A metadata list of texts as written in the template (not rendered)."""
        value = self._table(table).get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._error(f"[{table}] {key} must be a list of texts")
        return value

    def _date(self, table: dict[str, Any]) -> dt.date:
        value = table.get("fecha")
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        raise self._error("[oficio] fecha is missing or is not a date",
                          hint="write it as fecha = 2009-02-05")

    def _inside(self, relative: str) -> Path:
        path = (self.folder / relative).resolve()
        if not path.is_relative_to(self.folder) or not path.is_file():
            raise self._error(f"'{relative}' is not a file inside the template folder")
        return path

    def _error(self, message: str, hint: str | None = None) -> TemplateError:
        return TemplateError(message, file=self.folder / METADATA_FILE, hint=hint)

    def _numbering(self) -> Numbering | None:
        table = self._table("numeracion")
        uses = self.uses("correlativo")
        if not table:
            if uses:
                raise self._error("the template uses {{ correlativo }} but has no [numeracion]",
                                  hint='add [numeracion] with serie = "ORD" and por = "carta" '
                                       'or "lote"')
            return None
        series, unit = table.get("serie"), table.get("por", "carta")
        if not isinstance(series, str) or not series.strip():
            raise self._error("[numeracion] serie is missing or empty", hint='e.g. serie = "ORD"')
        if unit not in NUMBERING_UNITS:
            raise self._error(f"[numeracion] por is {unit!r}",
                              hint='write por = "carta" (a number per letter) or "lote" (one per batch)')
        if not uses:
            raise self._error("[numeracion] is set but no text uses {{ correlativo }}",
                              hint='e.g. numero = "ORD. N° {{ correlativo }}/2026"')
        return Numbering(series.strip().upper(), unit)

    def uses(self, name: str) -> bool:
        """Whether any text of the template reads the variable `name`."""
        from jinja2 import meta

        return any(name in meta.find_undeclared_variables(self._env(s.where).parse(s.text))
                   for s in self.sources)

    # -- the Jinja texts -----------------------------------------------------------------
    def _collect_sources(self) -> list[Source]:
        sources = [Source(f"[oficio] {k}", self.text("oficio", k, d)) for k, d in
                   (("numero", None), ("antecedente", None), ("materia", None), ("lugar", ""))]
        for table in ("membrete", "de", "a", "distribucion"):
            sources += [Source(f"[{table}] lineas[{i}]", t) for i, t in enumerate(self.lines(table))]
        sources.append(Source("[distribucion] titulo", self.text("distribucion", "titulo", "Distribución:")))
        sources.append(Source("[cierre] despedida", self.text("cierre", "despedida", "")))
        sources += [Source(f"[cierre] firma[{i}]", t) for i, t in enumerate(self.lines("cierre", "firma"))]
        sources.append(Source("[cierre] iniciales", self.text("cierre", "iniciales", "")))
        sources.append(Source(BODY_FILE, self.body_source))
        return sources

    def _env(self, where: str):
        # Markdown texts get values escaped for Markdown; the others hold plain text.
        return self._body_env if where in MARKDOWN_SOURCES else self._plain_env

    def _compile(self, source: Source):
        from jinja2 import TemplateSyntaxError

        env = self._env(source.where)
        try:
            return env.from_string(source.text)
        except TemplateSyntaxError as exc:
            file = self.folder / (BODY_FILE if source.where == BODY_FILE else METADATA_FILE)
            where = "" if source.where == BODY_FILE else f" in {source.where}"
            raise TemplateError(f"template syntax error{where}: {exc.message}", file=file,
                                line=exc.lineno if source.where == BODY_FILE else None) from None

    def required_variables(self) -> dict[str, list[str]]:
        """Each variable the template reads that merge.py does not provide, with where it is used."""
        from jinja2 import meta

        needed: dict[str, list[str]] = {}
        for source in self.sources:
            parsed = self._env(source.where).parse(source.text)
            for name in sorted(meta.find_undeclared_variables(parsed)):
                if name not in PROVIDED:
                    needed.setdefault(name, []).append(source.where)
        return needed

    def check_columns(self, columns: tuple[str, ...] | list[str], roster_file: Path | str) -> None:
        """Raises one error listing every variable the template needs that the roster lacks."""
        available = set(columns) | set(self.optional_columns)
        errors = []
        for name, places in self.required_variables().items():
            if name in available:
                continue
            close = difflib.get_close_matches(name, sorted(available | PROVIDED), n=1)
            hint = (f"did you mean '{close[0]}'? " if close else "") + \
                f"fix the placeholder or add a '{name}' column to the roster"
            errors.append(TemplateError(
                f"the template uses '{{{{ {name} }}}}' (in {', '.join(places)}) but the roster "
                f"{roster_file} has no column '{name}'",
                file=self.folder / (BODY_FILE if places == [BODY_FILE] else METADATA_FILE),
                hint=hint,
            ))
        for column in (self.key_column, self.name_column):
            if column not in columns:
                errors.append(TemplateError(
                    f"the roster {roster_file} has no column '{column}', which [destinatario] "
                    f"names as the recipient's {'key' if column == self.key_column else 'name'}",
                    file=self.folder / METADATA_FILE, hint="fix [destinatario] or the roster"))
        raise_all(errors, "{count} placeholders have no column in the roster")


def _environment(finalize):
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, finalize=finalize,
        keep_trailing_newline=True,
    )
    env.filters["segun_genero"] = spanish.by_gender
    return env


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise TemplateError("file not found", file=path,
                            hint="a template folder holds oficio.toml and cuerpo.md")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TemplateError("not valid UTF-8 text", file=path, hint="save it as UTF-8") from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(_read_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"not valid TOML: {exc}", file=path) from None
