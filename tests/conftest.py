"""Shared fixtures: the bundled template and roster, and letters rendered once per session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
TEMPLATE = ROOT / "templates" / "mideplan-01-A-264"
ROSTER = ROOT / "recipients" / "municipalidades.csv"
# The second bundled template, of another kind: an oficio circular to the regional governments.
CIRCULAR = ROOT / "templates" / "circular-gobiernos-regionales"
CIRCULAR_ROSTER = ROOT / "recipients" / "gobiernos_regionales.csv"
# Every bundled template with its roster and the recipients generic tests render: regions
# with accents and ñ, the Metropolitan Region's own name, the longest region name.
BUNDLED = {
    "mideplan-01-A-264": (TEMPLATE, ROSTER, ("13120", "08301", "12201")),
    "circular-gobiernos-regionales": (CIRCULAR, CIRCULAR_ROSTER, ("13", "16", "11")),
}
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/seed.py

# Ñuñoa and Los Ángeles (accents, Ñ), Cabo de Hornos (also administers Antártica),
# Concepción and Los Ángeles (Región del Biobío), Rancagua (apostrophe in O'Higgins),
# Chillán (Región de Ñuble).
SAMPLE = {
    "13120": ("Ñuñoa", "REGIÓN METROPOLITANA DE SANTIAGO"),
    "08301": ("Los Ángeles", "REGIÓN DEL BIOBÍO"),
    "12201": ("Cabo de Hornos", "REGIÓN DE MAGALLANES Y DE LA ANTÁRTICA CHILENA"),
    "08101": ("Concepción", "REGIÓN DEL BIOBÍO"),
    "06101": ("Rancagua", "REGIÓN DEL LIBERTADOR GENERAL BERNARDO O'HIGGINS"),
    "16101": ("Chillán", "REGIÓN DE ÑUBLE"),
}


def load_roster(path, **kwargs):
    """A roster read as the bundled template keys it (5-digit CUT codes), unless told otherwise."""
    from oficios.roster import load_roster as load

    if kwargs.setdefault("key_column", "cut") == "cut":
        kwargs.setdefault("key_digits", 5)
    return load(path, **kwargs)


@pytest.fixture(scope="session")
def template():
    from oficios.template import OficioTemplate

    return OficioTemplate(TEMPLATE)


@pytest.fixture(scope="session")
def roster():
    return load_roster(ROSTER)


@pytest.fixture(scope="session")
def letters(template, roster):
    """Every letter of the bundled template and roster, merged (not rendered)."""
    from oficios.merge import merge_all

    return {letter.key: letter for letter in merge_all(template, roster)}


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory):
    """The sample recipients rendered to PDF and DOCX through the real pipeline, once."""
    from oficios.pipeline import Job, generate

    out = tmp_path_factory.mktemp("sample-output")
    result = generate(Job(template=TEMPLATE, roster=ROSTER, output=out, only=tuple(SAMPLE)))
    return result


@pytest.fixture(scope="session")
def circular_run(tmp_path_factory):
    """Some regional governments' circulars rendered through the real pipeline, once."""
    from oficios.pipeline import Job, generate

    out = tmp_path_factory.mktemp("circular-output")
    template, roster, keys = BUNDLED["circular-gobiernos-regionales"]
    return generate(Job(template=template, roster=roster, output=out, only=keys))


def files_by_key(result, fmt: str) -> dict[str, Path]:
    """The run's files of one format, by recipient key (the file name's prefix)."""
    return {p.name.split("-", 1)[0]: p for p in result.files[fmt]}


def template_variant(folder: Path, body: str | None = None,
                     replace: tuple[str, str] | None = None) -> Path:
    """A copy of the bundled template in `folder`: `body` replaces cuerpo.md, and `replace`
    (old, new) edits oficio.toml. Returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    toml = (TEMPLATE / "oficio.toml").read_text("utf-8")
    if replace:
        assert replace[0] in toml, replace
        toml = toml.replace(*replace)
    (folder / "oficio.toml").write_text(toml, "utf-8")
    body = (TEMPLATE / "cuerpo.md").read_text("utf-8") if body is None else body
    (folder / "cuerpo.md").write_text(body, "utf-8")
    return folder


@pytest.fixture(autouse=True)
def _register_from_the_test_only(monkeypatch, tmp_path_factory):
    """No test finds a register through the machine's environment or settings file."""
    monkeypatch.delenv("OFICIOS_REGISTER", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.getbasetemp() / "no-config"))


@pytest.fixture(autouse=True)
def _spanish_whatever_the_machine_speaks(monkeypatch):
    """Tests read the default language, Spanish, even on a machine set to English; a test
    that wants English asks for it (LANG=en_US.UTF-8 or OFICIOS_LANG=en)."""
    for name in ("OFICIOS_LANG", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
