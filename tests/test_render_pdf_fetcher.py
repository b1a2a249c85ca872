"""The PDF renderer reads nothing but files inside the template folder and the package assets.

Checked through real WeasyPrint rendering: a letterhead logo (the one resource a template
names) and the stylesheet's url()s, given the renderer's own URL fetcher.
"""

from __future__ import annotations

import dataclasses
import io

import pytest
from PIL import Image
from pypdf import PdfReader

from conftest import DATA, ROSTER, template_variant
from oficios.errors import TemplateError

OUTSIDE_URLS = [
    "file:///etc/passwd",
    "http://example.invalid/logo.png",
    "https://example.invalid/style.css",
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
    "file://otherhost/etc/passwd",
    "ftp://example.invalid/logo.png",
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A template folder with a logo inside, a symlink pointing out of it, and a file outside."""
    base = tmp_path_factory.mktemp("fetcher")
    folder = template_variant(base / "template", body="Cuerpo.")
    Image.new("RGB", (12, 8), (0, 56, 168)).save(folder / "logo.png")
    Image.new("RGB", (12, 8), (200, 0, 0)).save(base / "outside.png")
    (folder / "link.png").symlink_to(base / "outside.png")
    (folder / "sub").mkdir()
    return folder


@pytest.fixture(scope="module")
def renderer(folder):
    from oficios.render_pdf import PdfRenderer

    return PdfRenderer(folder)


@pytest.fixture(scope="module")
def letter(folder):
    from oficios.merge import Merger
    from oficios.roster import Recipient
    from oficios.template import OficioTemplate

    return Merger(OficioTemplate(folder)).merge(Recipient(2, {
        "cut": "13120", "municipalidad": "Ñuñoa", "region": "Región Metropolitana de Santiago"}))


def test_a_logo_inside_the_folder_is_drawn(renderer, letter, folder):
    reader = PdfReader(io.BytesIO(renderer.render(dataclasses.replace(letter, logo=folder / "logo.png"))))
    assert [img.image.size for img in reader.pages[0].images] == [(12, 8)]


@pytest.mark.parametrize("logo", [
    "/etc/passwd",
    "{folder}/link.png",  # a symlink inside the folder that points outside
    "{folder}/sub/../../outside.png",  # '..' in the path
    "{folder}/../outside.png",
])
def test_a_logo_outside_the_folder_is_refused_through_rendering(renderer, letter, folder, logo):
    from pathlib import Path

    path = Path(logo.format(folder=folder))
    with pytest.raises(TemplateError) as info:
        renderer.render(dataclasses.replace(letter, logo=path))
    assert "refused to fetch file://" in str(info.value)
    assert "use solo archivos dentro de la carpeta de la plantilla" in str(info.value)


@pytest.mark.parametrize("url", OUTSIDE_URLS)
def test_the_fetcher_refuses_every_url_but_files_inside_the_folder(renderer, url):
    with pytest.raises(PermissionError, match="refused to fetch"):
        renderer.fetcher.fetch(url)


@pytest.mark.parametrize("css", [
    "body {{ background: url({url}) }}",
    "p::before {{ content: url({url}) }}",
])
@pytest.mark.parametrize("url", ["file:///etc/passwd", "http://example.invalid/x.png",
                                 "../outside.png", "link.png", OUTSIDE_URLS[3]])
def test_css_urls_outside_the_folder_stop_the_rendering_with_a_clear_error(renderer, letter, css, url):
    from weasyprint import CSS

    stylesheet = CSS(string=css.format(url=url), base_url=str(renderer.template_folder) + "/",
                     url_fetcher=renderer.fetcher, font_config=renderer.font_config)
    try:
        original, renderer.css = renderer.css, [stylesheet]
        with pytest.raises(TemplateError, match="refused to fetch"):
            renderer.render(letter)
    finally:
        renderer.css = original


@pytest.mark.parametrize("css", [
    "@import url({url});",
    "@font-face {{ font-family: X; src: url({url}) }}",
])
def test_css_imports_and_fonts_from_outside_are_refused_when_the_stylesheet_is_read(renderer, css):
    from weasyprint import CSS
    from weasyprint.urls import FatalURLFetchingError

    for url in ("file:///etc/passwd", "http://example.invalid/x.css", "../outside.png", "link.png"):
        with pytest.raises(FatalURLFetchingError) as info:
            CSS(string=css.format(url=url), base_url=str(renderer.template_folder) + "/",
                url_fetcher=renderer.fetcher, font_config=renderer.font_config)
        assert "refused to fetch" in str(info.value.__cause__)


def test_a_css_url_inside_the_folder_is_fetched(renderer, letter):
    from weasyprint import CSS

    stylesheet = CSS(string="body { background: url(logo.png) }",
                     base_url=str(renderer.template_folder) + "/", url_fetcher=renderer.fetcher)
    try:
        original, renderer.css = renderer.css, [stylesheet]
        assert renderer.render(letter).startswith(b"%PDF")
    finally:
        renderer.css = original


@pytest.mark.parametrize("template, message", [
    ("template-logo-outside-folder", "no es un archivo dentro de la carpeta de la plantilla"),
    ("template-logo-url",
     "'http://example.invalid/logo.png' no es un archivo dentro de la carpeta de la plantilla"),
    ("template-body-image-url", "cuerpo.md, línea 1: una imagen: un oficio no puede mostrarlo"),
    ("template-sandbox-escape", "access to attribute '__class__' of 'str' object is unsafe"),
])
def test_templates_that_reach_outside_are_refused_by_check(tmp_path, template, message):
    from click.testing import CliRunner

    from oficios.cli import cli

    result = CliRunner().invoke(cli, ["check", "--template", str(DATA / template), "--roster", str(ROSTER)])
    assert result.exit_code == 3, result.output
    assert message in result.output
    assert "Traceback" not in result.output
