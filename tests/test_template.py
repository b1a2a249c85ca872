"""The template: what it needs from a roster, and clear errors when it is wrong."""

from __future__ import annotations

import pytest

from conftest import DATA, ROSTER, load_roster, template_variant
from oficios.errors import ErrorList, TemplateError
from oficios.template import OficioTemplate


def test_template_needs_the_roster_columns_it_uses(template):
    assert template.required_variables() == {
        "alcalde": ["[a] lineas[0]"], "genero": ["[a] lineas[1]"],
        "municipalidad": ["[a] lineas[2]"], "region": ["[a] lineas[3]"],
    }


def test_misspelled_placeholders_are_all_reported_with_a_suggestion(roster):
    template = OficioTemplate(DATA / "template-misspelled-placeholder")
    with pytest.raises(ErrorList) as info:
        template.check_columns(roster.columns, ROSTER)
    text = info.value.format()
    assert "'{{ municipalidd }}'" in text and "¿quiso decir 'municipalidad'?" in text
    assert "'{{ regon }}'" in text and "¿quiso decir 'region'?" in text
    assert "oficio.toml" in text


def test_jinja_syntax_error_names_the_file_and_line():
    with pytest.raises(TemplateError) as info:
        OficioTemplate(DATA / "template-syntax-error")
    assert info.value.line == 3
    assert "cuerpo.md, línea 3: error de sintaxis en la plantilla" in str(info.value)


def test_missing_template_folder_is_clear(tmp_path):
    with pytest.raises(TemplateError, match="oficio.toml: no se encontró el archivo"):
        OficioTemplate(tmp_path)


def test_bad_toml_is_clear(tmp_path):
    (tmp_path / "oficio.toml").write_text("[oficio\nnumero = 1", encoding="utf-8")
    (tmp_path / "cuerpo.md").write_text("Hola.", encoding="utf-8")
    with pytest.raises(TemplateError, match="no es TOML válido"):
        OficioTemplate(tmp_path)


def test_template_is_sandboxed(tmp_path):
    from oficios.merge import Merger
    from oficios.roster import Recipient

    folder = template_variant(tmp_path, body="{{ ''.__class__.__mro__[1].__subclasses__() }}")
    merger = Merger(OficioTemplate(folder))
    recipient = Recipient(2, {"cut": "13120", "municipalidad": "Ñuñoa", "region": "R"})
    with pytest.raises(TemplateError,
                       match="cuerpo.md, línea 1: no se puede escribir la carta: SecurityError.*fila 2"):
        merger.merge(recipient)


def test_a_misspelled_key_is_refused_with_its_line_and_a_suggestion(tmp_path):
    folder = template_variant(tmp_path, replace=("iniciales =", "inicales ="))
    with pytest.raises(TemplateError) as info:
        OficioTemplate(folder)
    line = (folder / "oficio.toml").read_text("utf-8").splitlines().index(
        'inicales = "XSL/PJM/MMSM/CSB/mnq"') + 1
    assert info.value.line == line
    assert "la clave 'inicales' no existe en [cierre]" in str(info.value)
    assert "¿quiso decir 'iniciales'?" in str(info.value)


def test_unknown_tables_wrong_types_and_missing_keys_are_all_reported_at_once(tmp_path):
    folder = template_variant(tmp_path, replace=("[distribucion]", "[distribuicion]"))
    toml = (folder / "oficio.toml").read_text("utf-8")
    toml = toml.replace("mes_con_mayuscula = true", 'mes_con_mayuscula = "sí"')
    toml = toml.replace('antecedente = "No hay."\n', "")
    (folder / "oficio.toml").write_text(toml, "utf-8")
    with pytest.raises(ErrorList) as info:
        OficioTemplate(folder)
    text = info.value.format()
    assert "3 problemas en la plantilla" in text
    assert "la tabla [distribuicion] no existe" in text and "¿quiso decir [distribucion]?" in text
    assert "[oficio] mes_con_mayuscula debe ser true o false" in text
    assert "falta [oficio] antecedente" in text


def test_every_key_of_the_bundled_template_is_in_the_schema():
    from oficios.template_schema import problems

    import tomllib

    from conftest import TEMPLATE

    assert problems(tomllib.loads((TEMPLATE / "oficio.toml").read_text("utf-8"))) == []


def test_numbering_signature_and_mail_tables_are_known_keys(tmp_path):
    extra = """
[numeracion]
serie = "ORD"
por = "carta"

[firma_electronica]
modo = "visible"
leyenda = "Firmado electrónicamente"

"""
    folder = template_variant(tmp_path, replace=('numero = "MIDEPLAN OF. N° 01-A/264"',
                                                 'numero = "ORD. N° {{ correlativo }}/2009"'))
    with (folder / "oficio.toml").open("a", encoding="utf-8") as f:
        f.write(extra)
    OficioTemplate(folder)  # no error; the bundled template already has a [correo] table
    assert "[correo]" in (folder / "oficio.toml").read_text("utf-8")


def test_a_jinja_error_at_run_time_names_file_line_row_and_value(tmp_path):
    from oficios.merge import validate_all

    folder = template_variant(tmp_path, body="Primer párrafo.\n\nCódigo siguiente: {{ cut + 1 }}.\n")
    roster = load_roster(DATA / "roster-four-municipalities.csv")
    with pytest.raises(TemplateError) as info:
        validate_all(OficioTemplate(folder), roster)
    error = info.value
    assert error.exit_code == 3 and error.line == 3 and error.file.endswith("cuerpo.md")
    assert "TypeError" in error.message and "fila 2 de la nómina; cut = '" in error.message
    assert "afecta a todas las filas" in error.message
    assert "{{ valor | int + 1 }}" in error.hint


def test_a_template_mistake_is_said_once_not_once_per_row(tmp_path):
    from oficios.merge import validate_all

    folder = template_variant(tmp_path, body="Hola.\n\n![x](file:///etc/passwd)\n")
    with pytest.raises(TemplateError) as info:
        validate_all(OficioTemplate(folder), load_roster(ROSTER))
    assert not isinstance(info.value, ErrorList)
    assert info.value.line == 3
    assert info.value.message == "una imagen: un oficio no puede mostrarlo (afecta a todas las " \
                                 "filas de la nómina)"


@pytest.mark.parametrize("body, line, what", [
    ("Hola.\n\n<b>negrita</b> en HTML\n", 3, "HTML"),
    ("Hola.\n\n<div>\nbloque\n</div>\n", 3, "HTML"),
    ("Hola.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n", 3, "una tabla"),
    ("# Título\n\nHola.\n", 1, "un título (#)"),
    ("Hola.\n\n> cita\n", 3, "una cita (>)"),
    ("Hola ~~no~~.\n", 1, "un texto tachado (~~)"),
    ("Hola.\n\n![x](logo.png)\n", 3, "una imagen"),
    ("Hola.\n\n![x](data:image/png;base64,AAAA)\n", 3, "una imagen"),
    ("Hola [aquí](file:///etc/passwd).\n", 1, "un enlace que no empieza por http:, https: ni mailto:"),
    ("Hola [aquí](javascript:alert(1)).\n", 1, "un enlace que no empieza por http:, https: ni mailto:"),
    ("Hola.\n\n```\ncódigo\n```\n", 3, "un bloque de código"),
])
def test_markdown_a_letter_cannot_show_is_refused_with_its_line(tmp_path, body, line, what):
    from oficios.merge import Merger
    from oficios.roster import Recipient

    merger = Merger(OficioTemplate(template_variant(tmp_path, body=body)))
    recipient = Recipient(2, {"cut": "13120", "municipalidad": "Ñuñoa", "region": "R"})
    with pytest.raises(TemplateError) as info:
        merger.merge(recipient)
    assert info.value.line == line
    assert info.value.message == f"{what}: un oficio no puede mostrarlo"


def test_html_in_a_roster_value_stays_text_in_the_body(tmp_path):
    from oficios.merge import Merger
    from oficios.roster import Recipient

    merger = Merger(OficioTemplate(template_variant(tmp_path, body="Para {{ municipalidad }}.\n")))
    value = "<b>Ñuñoa</b> | a | ![x](y)"
    letter = merger.merge(Recipient(2, {"cut": "13120", "municipalidad": value, "region": "R"}))
    assert "".join(run.text for run in letter.body[0].runs) == f"Para {value}."


@pytest.mark.parametrize("old, new, mark", [
    ('materia = "Informa', 'materia = "**Informa**', "**"),
    ('"GOBIERNO DE CHILE"', '"<b>GOBIERNO DE CHILE</b>"', "<b>"),
    ('iniciales = "XSL', 'iniciales = "![x](file:///etc/passwd) XSL', "!["),
])
def test_markup_in_a_plain_text_key_is_refused_not_printed(tmp_path, old, new, mark):
    folder = template_variant(tmp_path, replace=(old, new))
    with pytest.raises(TemplateError) as info:
        OficioTemplate(folder)
    assert f"es texto simple: '{mark}' se imprimiría tal cual" in info.value.message
    assert info.value.line is not None


def test_a_jinja_error_in_oficio_toml_names_the_key_its_line_and_only_the_values_it_uses(tmp_path):
    from oficios.merge import validate_all

    folder = template_variant(tmp_path, replace=('"{{ region | upper }}",', '"{{ region / 2 }} región",'))
    with pytest.raises(TemplateError) as info:
        validate_all(OficioTemplate(folder), load_roster(DATA / "roster-four-municipalities.csv"))
    lines = (folder / "oficio.toml").read_text("utf-8").splitlines()
    assert info.value.line == next(n for n, line in enumerate(lines, 1) if line.startswith("lineas = [")
                                   and "[a]" in lines[n - 2])
    assert "no se puede escribir la carta en [a] lineas[3]: TypeError" in info.value.message
    assert "region = 'Región" in info.value.message and "municipalidad =" not in info.value.message
