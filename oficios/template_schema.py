"""The schema of `oficio.toml`: every table and key a template may write, in one table.

Each key has its TOML type, its default (None: required, or absent when not given), a
description and an example line. `problems` compares a parsed file with it and names every
unknown or misspelled key ("did you mean …"), every missing required key and every value of
the wrong type, so a typo never silently drops part of a letter. To add a key: add a Key row
here (the README test then asks for its documentation).
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from typing import Any

from oficios.i18n import gettext as _

REQUIRED = object()  # the default of a key every template must write


@dataclass(frozen=True)
class Key:
    """One key of oficio.toml: `[table] name`, its type, default, what it is, an example line."""

    table: str
    name: str
    kind: str  # "text", "texts" (list of texts), "date", "bool", "int", "choice"
    default: Any
    description: str
    example: str
    choices: tuple[str, ...] = ()

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def where(self) -> str:
        return f"[{self.table}] {self.name}"


KEYS: tuple[Key, ...] = (
    # -- the oficio itself ------------------------------------------------------------------
    Key("oficio", "numero", "text", REQUIRED, "The number line (Jinja; may use {{ correlativo }}).",
        'numero = "MIDEPLAN OF. N° 01-A/264"'),
    Key("oficio", "antecedente", "text", REQUIRED, "ANT.: what the letter refers to.",
        'antecedente = "No hay."'),
    Key("oficio", "materia", "text", REQUIRED, "MAT.: the matter, one sentence.",
        'materia = "Informa Encuentro Nacional."'),
    Key("oficio", "lugar", "text", "", "The place written before the date.",
        'lugar = "SANTIAGO"'),
    Key("oficio", "fecha", "date", REQUIRED, "The oficio's date (a TOML date).",
        "fecha = 2009-02-05"),
    Key("oficio", "formato_fecha", "text", "dd 'de' MMMM 'de' y",
        "Babel (CLDR) pattern of the date as printed.", "formato_fecha = \"dd 'de' MMMM 'de' y\""),
    Key("oficio", "mes_con_mayuscula", "bool", False, "Capitalize the month's name.",
        "mes_con_mayuscula = true"),
    Key("oficio", "autor", "text", "", "Author in the PDF's and DOCX's properties.",
        'autor = "Ministerio de Planificación"'),
    # -- letterhead, DE, A ------------------------------------------------------------------
    Key("membrete", "lineas", "texts", (), "Letterhead lines, top left.",
        'lineas = ["GOBIERNO DE CHILE", "MINISTERIO DE PLANIFICACIÓN"]'),
    Key("membrete", "logo", "text", None, "A logo image: a file inside the template folder.",
        'logo = "logo.png"'),
    Key("de", "lineas", "texts", (), "DE: the sender's name and office.",
        'lineas = ["PAULA QUINTANA MELÉNDEZ", "MINISTRA DE PLANIFICACIÓN"]'),
    Key("a", "lineas", "texts", (), "A: the addressee's lines (Jinja, per recipient).",
        'lineas = ["{{ tratamiento }} {{ nombre | upper }}"]'),
    # -- closing and distribution -------------------------------------------------------------
    Key("cierre", "despedida", "text", "", "The closing sentence (Markdown).",
        'despedida = "Le saluda atentamente,"'),
    Key("cierre", "firma", "texts", (), "Signature lines under the closing.",
        'firma = ["PAULA QUINTANA MELÉNDEZ", "MINISTRA DE PLANIFICACIÓN"]'),
    Key("cierre", "iniciales", "text", "", "Typist's initials at the foot.",
        'iniciales = "XSL/mnq"'),
    Key("distribucion", "titulo", "text", "Distribución:", "Heading of the distribution list.",
        'titulo = "Distribución:"'),
    Key("distribucion", "lineas", "texts", (), "Who receives a copy, one per line.",
        'lineas = ["Destinatario/a", "Oficina de Partes"]'),
    # -- the recipients -------------------------------------------------------------------------
    Key("destinatario", "clave", "text", REQUIRED,
        "The roster column that identifies a recipient and names its files.", 'clave = "cut"'),
    Key("destinatario", "nombre", "text", None,
        "The column with the recipient's name (default: the key column).",
        'nombre = "municipalidad"'),
    Key("destinatario", "opcionales", "texts", (),
        "Columns a roster may leave out or empty (they count as empty).",
        'opcionales = ["alcalde", "genero"]'),
    Key("destinatario", "genero", "text", "genero",
        "The column with the recipient's gender (M/F/empty) for `tratamiento`.",
        'genero = "genero"'),
    Key("destinatario", "detalle", "text", "",
        "A column shown beside each recipient in the nómina (e.g. the region); none if empty.",
        'detalle = "region"'),
    Key("destinatario", "digitos_clave", "int", 0,
        "Keys are codes of this many digits: leading zeros a spreadsheet ate are put back "
        "(0: keys are free text).", "digitos_clave = 5"),
    Key("destinatario", "largo_maximo", "int", 150,
        "Longest value a letter may print, in characters (measured for the layout).",
        "largo_maximo = 150"),
    Key("destinatario", "palabra_maxima", "int", 35,
        "Longest word, in characters (a word cannot wrap; measured for the layout).",
        "palabra_maxima = 35"),
    Key("destinatario", "neutro", "text", "",
        "How a letter reads for a recipient of unknown gender, said when a gender is refused.",
        'neutro = "Sr./a y ALCALDE/SA"'),
    # -- the layout -----------------------------------------------------------------------------
    Key("diseno", "html", "text", None,
        "Own HTML layout (Jinja, sandboxed) for the PDF, a file inside the folder (default: "
        "oficio.html.j2 if present, else the package's).", 'html = "carta.html.j2"'),
    Key("diseno", "css", "text", None,
        "Stylesheet applied after the package's, a file inside the folder (default: "
        "oficio.css if present); url() may name only files inside the folder.",
        'css = "carta.css"'),
    Key("diseno", "estilos_docx", "text", None,
        "A reference .docx inside the folder whose styles the DOCX letters use (default: "
        "estilos.docx if present); it must define every \"Oficio …\" style: start from a "
        "letter oficios made.",
        'estilos_docx = "estilos.docx"'),
    # -- keys other parts of oficios read ---------------------------------------------------------
    Key("numeracion", "serie", "text", None,
        "Register series that gives the oficio its correlative number.", 'serie = "ORD"'),
    Key("numeracion", "por", "choice", "lote",
        "One number per letter or one per batch.", 'por = "carta"', ("carta", "lote")),
    Key("firma_electronica", "modo", "choice", "invisible",
        "Electronic signature shown on the page or not.", 'modo = "visible"',
        ("visible", "invisible")),
    Key("firma_electronica", "leyenda", "text", "Firmado electrónicamente",
        "Text of the visible signature.", 'leyenda = "Firmado electrónicamente"'),
    Key("correo", "columna", "text", "email", "Roster column with each recipient's e-mail.",
        'columna = "email"'),
    Key("correo", "asunto", "text", None, "The e-mail's subject (Jinja).",
        'asunto = "{{ numero }}: {{ municipalidad }}"'),
    Key("correo", "cc", "texts", (), "Addresses copied on every e-mail.",
        'cc = ["partes@example.cl"]'),
    Key("correo", "responder_a", "text", None, "Reply-To address.",
        'responder_a = "partes@example.cl"'),
    Key("correo", "adjuntar_docx", "bool", False, "Attach the DOCX besides the PDF.",
        "adjuntar_docx = false"),
)

TABLES: dict[str, dict[str, Key]] = {}
for _key in KEYS:
    TABLES.setdefault(_key.table, {})[_key.name] = _key


def key(table: str, name: str) -> Key:
    """The schema's row for `[table] name` (KeyError if the schema has none)."""
    return TABLES[table][name]


def default(table: str, name: str) -> Any:
    """A key's default value (None when it has none)."""
    value = TABLES[table][name].default
    return None if value is REQUIRED else value


@dataclass(frozen=True)
class Problem:
    """One thing wrong in oficio.toml, with what to do; `table`/`name` say where (None: none)."""

    message: str
    hint: str
    table: str | None = None
    name: str | None = None


def problems(meta: dict[str, Any]) -> list[Problem]:
    """Every unknown table or key, missing required key and wrongly typed value in `meta`."""
    found: list[Problem] = []
    for table, value in meta.items():
        if table not in TABLES:
            found.append(Problem(_("the table [{table}] does not exist in oficio.toml").format(
                table=table), _suggest(table, TABLES, "[{}]"), table))
            continue
        if not isinstance(value, dict):
            found.append(Problem(_("[{table}] must be a table").format(table=table),
                                 _("write [{table}] on its own line").format(table=table), table))
            continue
        for name, item in value.items():
            known = TABLES[table]
            if name not in known:
                found.append(Problem(_("the key '{name}' does not exist in [{table}]").format(
                    name=name, table=table), _suggest(name, known, "'{}'", table), table, name))
            elif (wrong := _type_problem(known[name], item)) is not None:
                found.append(Problem(wrong.message, wrong.hint, table, name))
    for k in KEYS:
        present = meta.get(k.table, {})
        if k.required and isinstance(present, dict) and k.name not in present:
            found.append(Problem(_("{key} is missing").format(key=k.where),
                                 _("write, under [{table}]: {example}").format(table=k.table,
                                                                              example=k.example),
                                 k.table if k.table in meta else None))
    return found


def _suggest(name: str, known, form: str, table: str | None = None) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    names = ", ".join(known)
    where = (_("[{table}] takes: {names}").format(table=table, names=names) if table else
             _("the tables are: {names}").format(names=names))
    return (_("did you mean {name}? ").format(name=form.format(close[0])) if close else "") + where


_TYPES = {"text": (str,), "bool": (bool,), "date": (dt.date,)}


def _type_problem(k: Key, value: Any) -> Problem | None:
    hint = _("for example: {example}").format(example=k.example)
    if k.kind == "texts":
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return None
        return Problem(_("{key} must be a list of texts").format(key=k.where), hint)
    if k.kind == "int":
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return None
        return Problem(_("{key} must be a whole number").format(key=k.where), hint)
    if k.kind == "choice":
        if value in k.choices:
            return None
        return Problem(_("{key} must be {choices}").format(
            key=k.where, choices=_(" or ").join(repr(c) for c in k.choices)), hint)
    if isinstance(value, _TYPES[k.kind]):
        return None
    kind = {"text": _("a text"), "bool": _("true or false"), "date": _("a date")}[k.kind]
    return Problem(_("{key} must be {kind}").format(key=k.where, kind=kind), hint)
