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

from oficios import markdown, spanish, template_schema
from oficios.errors import TemplateError, raise_all
from oficios.i18n import N_, gettext as _

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
        self._check_schema()
        self.body_source = _read_text(self.folder / BODY_FILE)
        self.slug = self.folder.name
        o = self._table("oficio")
        self.fecha: dt.date = self._date(o)
        self.formato_fecha: str = self._get("oficio", "formato_fecha")
        self.mes_con_mayuscula: bool = bool(self._get("oficio", "mes_con_mayuscula"))
        try:
            spanish.check_date_pattern(self.formato_fecha)
        except Exception as exc:  # Babel raises several types for a bad pattern
            raise self._error(_("formato_fecha is not a valid date pattern: {reason}").format(
                reason=exc)) from None
        d = self._table("destinatario")
        self.key_column: str = d["clave"]
        self.name_column: str = d.get("nombre", self.key_column)
        self.optional_columns: tuple[str, ...] = tuple(self._get("destinatario", "opcionales"))
        self.gender_column: str = self._get("destinatario", "genero")
        # Shown beside each recipient in the nómina (e.g. the region); None: nothing.
        self.detail_column: str | None = self._get("destinatario", "detalle") or None
        self.key_digits: int = self._get("destinatario", "digitos_clave")
        self.max_value: int = self._get("destinatario", "largo_maximo")
        self.max_word: int = self._get("destinatario", "palabra_maxima")
        self.neutral_forms: str = self._get("destinatario", "neutro")
        logo = self._table("membrete").get("logo")
        self.logo: Path | None = self._inside(logo) if logo else None
        self.layout_html: Path | None = self._own_file("html", "oficio.html.j2")
        self.layout_css: Path | None = self._own_file("css", "oficio.css")
        self.docx_styles: Path | None = self._own_file("estilos_docx", "estilos.docx")
        self._plain_env = _environment(markdown.collapse)
        self._body_env = _environment(markdown.escape)
        self.sources = self._collect_sources()
        self._refuse_markup_in_plain_texts()
        self.compiled = {s.where: self._compile(s) for s in self.sources}
        self.numbering: Numbering | None = self._numbering()

    # -- reading the metadata ------------------------------------------------------------
    def _check_schema(self) -> None:
        file = self.folder / METADATA_FILE
        lines = file.read_text(encoding="utf-8").splitlines()
        raise_all([TemplateError(p.message, file=file, line=_line_of(lines, p.table, p.name),
                                 hint=p.hint) for p in template_schema.problems(self.meta)],
                  _("{file}: {count} problems in the template").format(file=file, count="{count}"))

    def _get(self, table: str, key: str) -> Any:
        return self._table(table).get(key, template_schema.default(table, key))

    def _own_file(self, key: str, conventional: str) -> Path | None:
        """A layout file the template brings: named in [diseno], or by its usual name."""
        named = self._table("diseno").get(key)
        if named:
            return self._inside(named)
        if (self.folder / conventional).is_file():
            return self._inside(conventional)
        return None

    def _table(self, name: str) -> dict[str, Any]:
        value = self.meta.get(name, {})
        if not isinstance(value, dict):
            raise self._error(_("[{table}] must be a table").format(table=name))
        return value

    def text(self, table: str, key: str, default: str | None = None) -> str:
        """A metadata text as written in the template (not rendered)."""
        value = self._table(table).get(key, default)
        if not isinstance(value, str):
            raise self._error(_("[{table}] {key} is missing or is not text").format(
                                  table=table, key=key),
                              hint=_('write {key} = "..." under [{table}]').format(
                                  key=key, table=table))
        return value

    def lines(self, table: str, key: str = "lineas") -> list[str]:
        """A metadata list of texts as written in the template (not rendered)."""
        value = self._table(table).get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._error(_("[{table}] {key} must be a list of texts").format(
                table=table, key=key))
        return value

    def _date(self, table: dict[str, Any]) -> dt.date:
        value = table.get("fecha")
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        raise self._error(_("[oficio] fecha is missing or is not a date"),
                          hint=_("write it as fecha = 2009-02-05"))

    def _inside(self, relative: str) -> Path:
        path = (self.folder / relative).resolve()
        if not path.is_relative_to(self.folder) or not path.is_file():
            raise self._error(_("'{path}' is not a file inside the template folder").format(
                path=relative))
        return path

    def _error(self, message: str, hint: str | None = None) -> TemplateError:
        return TemplateError(message, file=self.folder / METADATA_FILE, hint=hint)

    def _numbering(self) -> Numbering | None:
        table = self._table("numeracion")
        uses = self.uses("correlativo")
        if not table:
            if uses:
                raise self._error(_("the template uses {{ correlativo }} but has no "
                                    "[numeracion]"),
                                  hint=_('add [numeracion] with serie = "ORD" and por = "carta" '
                                         'or "lote"'))
            return None
        series, unit = table.get("serie"), table.get("por", "carta")
        if not isinstance(series, str) or not series.strip():
            raise self._error(_("[numeracion] serie is missing or empty"),
                              hint=_('e.g. serie = "ORD"'))
        if unit not in NUMBERING_UNITS:
            raise self._error(_("[numeracion] por is {unit}").format(unit=repr(unit)),
                              hint=_('write por = "carta" (a number per letter) or "lote" (one '
                                     'per batch)'))
        if not uses:
            raise self._error(_("[numeracion] is set but no text uses {{ correlativo }}"),
                              hint=_('e.g. numero = "ORD. N° {{ correlativo }}/2026"'))
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

    def _refuse_markup_in_plain_texts(self) -> None:
        """Markdown or HTML written in a plain-text key would print as typed: refused."""
        import re

        errors = []
        for source in self.sources:
            if source.where in MARKDOWN_SOURCES:
                continue
            text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", source.text)  # Jinja is not markup
            if mark := re.search(r"\*\*|!\[|\]\(|</?[A-Za-z][^>]*>|^#+ ", text):
                errors.append(TemplateError(
                    _("{where} is plain text: '{mark}' would be printed as it is").format(
                        where=source.where, mark=mark[0]),
                    file=self.folder / METADATA_FILE, line=self.line_of(source.where),
                    hint=_("remove the marks; bold, links and lists go in cuerpo.md")))
        raise_all(errors, _("{path}: {{count}} problems in the template").format(
            path=self.folder / METADATA_FILE))

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
            message = (_("template syntax error: {reason}") if source.where == BODY_FILE else
                       _("template syntax error in {where}: {reason}"))
            raise TemplateError(message.format(where=source.where, reason=exc.message), file=file,
                                line=exc.lineno if source.where == BODY_FILE else None) from None

    def file_of(self, where: str) -> Path:
        """The file a template text comes from: cuerpo.md or oficio.toml."""
        return self.folder / (BODY_FILE if where == BODY_FILE else METADATA_FILE)

    def line_of(self, where: str, exc: BaseException | None = None) -> int | None:
        """The line of a template text's file where `where` (or the error `exc` in it) is."""
        import re
        import traceback

        if where == BODY_FILE:
            frames = traceback.extract_tb(exc.__traceback__) if exc else []
            lines = [f.lineno for f in frames if f.filename == "<template>"]
            return getattr(exc, "lineno", None) or (lines[-1] if lines else None)
        table, name = re.match(r"\[(\w+)\] (\w+)", where).groups()
        text = (self.folder / METADATA_FILE).read_text(encoding="utf-8").splitlines()
        return _line_of(text, table, name)

    def runtime_error(self, where: str, exc: Exception, ctx: dict[str, str],
                      row: int) -> TemplateError:
        """A Jinja text that failed for one recipient, blamed on the template's line.

        The message names the roster row and the values of the variables that line uses.
        """
        import re

        line = self.line_of(where, exc)
        source = self._line_text(where, line)
        # The values of the variables the line's Jinja expressions name, not of its prose.
        expressions = re.findall(r"\{\{(.*?)\}\}|\{%(.*?)%\}", source)
        code = " ".join("".join(groups) for groups in expressions)
        shown = [f"{n} = '{ctx[n]}'" for n in dict.fromkeys(re.findall(r"[A-Za-z_]\w*", code))
                 if n in ctx]
        values = f"; {', '.join(shown)}" if shown else ""
        message = (_("the letter cannot be written: {kind}: {error} (row {row} of the "
                     "roster{values})") if where == BODY_FILE else
                   _("the letter cannot be written in {where}: {kind}: {error} (row {row} of "
                     "the roster{values})"))
        hint = _RUNTIME_HINTS.get(type(exc).__name__, N_("check the variables and filters that "
                                                         "line of the template uses"))
        error = TemplateError(
            message.format(where=where, kind=type(exc).__name__, error=exc, row=row,
                           values=values), file=self.file_of(where), line=line, hint=_(hint))
        error.same_as = f"{where}:{line}:{type(exc).__name__}"
        return error

    def _line_text(self, where: str, line: int | None) -> str:
        source = next(s.text for s in self.sources if s.where == where)
        if where == BODY_FILE and line:
            lines = source.splitlines()
            return lines[line - 1] if line <= len(lines) else ""
        return source

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
            hint = (_("did you mean '{name}'? ").format(name=close[0]) if close else "") + \
                _("fix the placeholder or add a '{name}' column to the roster").format(name=name)
            errors.append(TemplateError(
                _("the template uses '{placeholder}' (in {places}) but the roster {roster} has no "
                  "column '{name}'").format(placeholder="{{ " + name + " }}",
                                            places=", ".join(places), roster=roster_file,
                                            name=name),
                file=self.folder / (BODY_FILE if places == [BODY_FILE] else METADATA_FILE),
                hint=hint,
            ))
        for column in (self.key_column, self.name_column):
            if column not in columns:
                errors.append(TemplateError(
                    (_("the roster {roster} has no column '{column}', which [destinatario] names "
                       "as the recipient's key") if column == self.key_column else
                     _("the roster {roster} has no column '{column}', which [destinatario] names "
                       "as the recipient's name")).format(roster=roster_file, column=column),
                    file=self.folder / METADATA_FILE, hint=_("fix [destinatario] or the roster")))
        raise_all(errors, _("{count} placeholders have no column in the roster"))


_RUNTIME_HINTS = {
    "TypeError": N_("the roster's values are texts: to calculate, convert them, e.g. "
                    "{{ valor | int + 1 }}"),
    "SecurityError": N_("a template cannot use Python's internal attributes"),
}


def _environment(finalize):
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, finalize=finalize,
        keep_trailing_newline=True,
    )
    env.filters["segun_genero"] = spanish.by_gender
    return env


def _line_of(lines: list[str], table: str | None, name: str | None) -> int | None:
    """The line of oficio.toml where `[table] name` (or the table's header) is written."""
    import re

    current = None
    for number, line in enumerate(lines, 1):
        if header := re.match(r"\s*\[([^\]]+)\]", line):
            current = header[1].strip()
            if current == table and name is None:
                return number
        elif current == table and name and re.match(rf"\s*{re.escape(name)}\s*=", line):
            return number
    return None


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise TemplateError(_("file not found"), file=path,
                            hint=_("a template folder holds oficio.toml and cuerpo.md"))
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TemplateError(_("not valid UTF-8 text"), file=path,
                            hint=_("save it as UTF-8")) from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(_read_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(_("not valid TOML: {reason}").format(reason=exc), file=path) from None


STARTER_ROSTER = "nomina-ejemplo.csv"
STARTER_TOML = """\
# A new oficio template. Every text is a Jinja template rendered once per recipient:
# {{ column }} inserts a roster column (as literal text), and also {{ tratamiento }}
# (Sr./Sra./Sr./a from the gender column), {{ fecha }} and {{ numero }}.
# Every key is described in the README's "The template" section; unknown keys are refused.

[oficio]
numero = "ORD. N° 1"
antecedente = "No hay."
materia = "Escriba aquí la materia del oficio."
lugar = "SANTIAGO"
fecha = {fecha}
# Babel (CLDR) pattern of the printed date: "05 de febrero de 2026".
formato_fecha = "dd 'de' MMMM 'de' y"
autor = "Nombre del servicio"

[membrete]
lineas = ["GOBIERNO DE CHILE", "NOMBRE DEL SERVICIO"]
# logo = "logo.png"   # an image file inside this folder

[de]
lineas = ["NOMBRE DE QUIEN FIRMA", "CARGO DE QUIEN FIRMA"]

[a]
lineas = [
    "{{{{ tratamiento }}}} {{{{ nombre | upper }}}}",
    "{{{{ cargo | upper }}}}",
]

[cierre]
despedida = "Saluda atentamente a Ud.,"
firma = ["NOMBRE DE QUIEN FIRMA", "CARGO DE QUIEN FIRMA"]
iniciales = "ABC/def"

[distribucion]
titulo = "Distribución:"
lineas = ["Destinatario/a", "Oficina de Partes"]

[destinatario]
# The roster column that identifies each recipient (it names the output files) and the
# column with the recipient's name.
clave = "codigo"
nombre = "nombre"
# Columns a roster may leave out or empty.
opcionales = ["genero"]
# digitos_clave = 5    # keys are codes of 5 digits: leading zeros eaten by Excel come back

# [diseno]
# html = "oficio.html.j2"   # own layout for the PDF, copied from the package's and edited
# css = "oficio.css"        # a stylesheet applied after the package's, for the PDF
# estilos_docx = "estilos.docx"   # a letter oficios made, its styles changed in Word
"""
STARTER_BODY = """\
Mediante el presente, me dirijo a Ud. para informarle que …

Escriba aquí el cuerpo del oficio en Markdown: párrafos separados por una línea en blanco,
**negrita**, *cursiva*, [enlaces](https://www.gob.cl) y listas:

- primer punto;
- segundo punto.
"""
STARTER_ROSTER_TEXT = """\
codigo,nombre,cargo,genero
1,María Pérez Soto,Directora Regional,F
2,Juan Rojas Díaz,Director Regional,M
"""


def write_starter(folder: str | Path) -> Path:
    """Writes a commented starting template (and a sample roster) in a new or empty folder."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise TemplateError(_("already exists and is not empty"), file=folder,
                            hint=_("choose the name of a new folder"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / METADATA_FILE).write_text(
            STARTER_TOML.format(fecha=dt.date.today().isoformat()), encoding="utf-8")
        (folder / BODY_FILE).write_text(STARTER_BODY, encoding="utf-8")
        (folder / STARTER_ROSTER).write_text(STARTER_ROSTER_TEXT, encoding="utf-8")
    except OSError as exc:
        from oficios.errors import OutputError

        raise OutputError(_("cannot write: {reason}").format(reason=exc.strerror),
                          file=exc.filename or folder,
                          hint=_("check the permissions and the disk space")) from None
    return folder
