"""The template: what it needs from a roster, and clear errors when it is wrong."""

from __future__ import annotations

import pytest

from conftest import DATA, ROSTER, template_variant
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
    assert "'{{ municipalidd }}'" in text and "did you mean 'municipalidad'?" in text
    assert "'{{ regon }}'" in text and "did you mean 'region'?" in text
    assert "oficio.toml" in text


def test_jinja_syntax_error_names_the_file_and_line():
    with pytest.raises(TemplateError) as info:
        OficioTemplate(DATA / "template-syntax-error")
    assert info.value.line == 3
    assert "cuerpo.md, line 3: template syntax error" in str(info.value)


def test_missing_template_folder_is_clear(tmp_path):
    with pytest.raises(TemplateError, match="oficio.toml: file not found"):
        OficioTemplate(tmp_path)


def test_bad_toml_is_clear(tmp_path):
    (tmp_path / "oficio.toml").write_text("[oficio\nnumero = 1", encoding="utf-8")
    (tmp_path / "cuerpo.md").write_text("Hola.", encoding="utf-8")
    with pytest.raises(TemplateError, match="not valid TOML"):
        OficioTemplate(tmp_path)


def test_template_is_sandboxed(tmp_path):
    from oficios.merge import Merger
    from oficios.roster import Recipient

    folder = template_variant(tmp_path, body="{{ ''.__class__.__mro__[1].__subclasses__() }}")
    merger = Merger(OficioTemplate(folder))
    recipient = Recipient(2, {"cut": "13120", "municipalidad": "Ñuñoa", "region": "R"})
    with pytest.raises(TemplateError, match="cuerpo.md, line 1: no se puede escribir la carta: SecurityError.*fila 2"):
        merger.merge(recipient)
