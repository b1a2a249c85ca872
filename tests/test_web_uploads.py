"""Uploaded rosters are untrusted: size, type by content, zip bombs, stored names."""

from __future__ import annotations

import io
import zipfile

import pytest
from web_support import DATA, csrf_of, make_app, signed_in, text_of, upload


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path, max_upload_bytes=200_000, max_unzipped_bytes=2_000_000,
                    max_rows=400)


@pytest.fixture
def client(app):
    return signed_in(app)


def test_an_oversized_upload_is_refused_before_it_is_read(client):
    response = upload(client, b"cut,municipalidad\n" + b"13120,x\n" * 40_000)
    assert response.status_code == 413
    assert "El archivo enviado es más grande de lo que este servidor acepta." in response.text


def test_a_file_just_over_the_limit_is_refused_with_what_to_do(tmp_path):
    # The body limit leaves room for the form around the file; the file itself is checked too.
    app = make_app(tmp_path, max_upload_bytes=1024 * 1024)
    client = signed_in(app)
    response = upload(client, b"cut,municipalidad\n" + b"13120,x\n" * 131_100)
    assert response.status_code == 400
    assert "el archivo pesa más de 1 MB" in response.text
    assert "divida la nómina" in response.text


def test_a_workbook_that_unpacks_too_large_is_refused_as_a_zip_bomb(client):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("[Content_Types].xml", "<Types/>")
        bomb.writestr("xl/worksheets/sheet1.xml", b"\0" * 50_000_000)
    assert len(buffer.getvalue()) < 200_000
    response = upload(client, buffer.getvalue(), "nomina.xlsx")
    assert response.status_code == 400
    assert "el libro descomprimido pesa más de 1 MB" in text_of(response.text)


@pytest.mark.parametrize("name, data, message", [
    ("nomina.csv", b"%PDF-1.7\n%\xe2\xe3\n1 0 obj", "este archivo no es una tabla de destinatarios"),
    ("nomina.csv", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "este archivo no es una tabla de destinatarios"),
    ("nomina.xlsx", b"PK\x03\x04 not really a zip", "este archivo no es un libro que esta herramienta lea"),
    ("nomina.xls", (DATA / "roster-legacy-excel.xls").read_bytes(), "es un archivo antiguo de Excel (.xls)"),
    ("nomina.csv", b"   \n\n", "el archivo está vacío"),
])
def test_the_type_comes_from_the_content_not_the_name(client, name, data, message):
    response = upload(client, data, name)
    assert response.status_code == 400
    assert message in response.text


def test_a_workbook_named_csv_is_read_as_the_workbook_it_is(client):
    response = upload(client, (DATA / "roster-cut-as-numbers.xlsx").read_bytes(), "nomina.csv")
    assert "destinatarios listos" in text_of(response.text)


def test_an_ods_workbook_is_read(client):
    response = upload(client, (DATA / "roster-cut-as-numbers.ods").read_bytes(), "Nómina.ods")
    assert "destinatarios listos" in text_of(response.text)


def test_too_many_rows_are_refused(client):
    rows = "".join(f"{13000 + i},Comuna {i},Región X\n" for i in range(500))
    response = upload(client, ("cut,municipalidad,region\n" + rows).encode())
    assert response.status_code == 400
    assert "el archivo tiene más de 400 filas" in response.text


def test_the_name_the_browser_sends_is_never_used_as_a_path(app, client, tmp_path):
    name = "../../../etc/passwd\x00<b>.csv"
    response = upload(client, (DATA / "roster-four-municipalities.csv").read_bytes(), name)
    assert "destinatarios listos" in text_of(response.text)
    stored = list(app.state.config.uploads_folder().iterdir())
    assert len(stored) == 1 and stored[0].name.endswith(".csv") and len(stored[0].stem) == 64
    assert not (tmp_path / "etc").exists()
    assert "<b>" not in response.text and "&lt;b&gt;.csv" in response.text


def test_a_review_url_cannot_reach_files_outside_the_uploads(client):
    for sha in ("../../../../etc/passwd", "0" * 64, "x" * 64):
        response = client.get(f"/lotes/revisar?plantilla=mideplan-01-A-264&nomina={sha}")
        assert response.status_code == 404
        assert "Página no encontrada" in response.text


def test_uploading_needs_the_csrf_token(client):
    response = client.post("/lotes/nuevo", data={"plantilla": "mideplan-01-A-264"},
                           files={"nomina": ("n.csv", b"cut,municipalidad\n13120,x\n")})
    assert response.status_code == 403
    page = client.get("/lotes/nuevo")
    assert csrf_of(page.text)


def test_a_hand_edited_address_gets_a_page_not_the_framework_s_json(client):
    for path in ("/lotes/revisar", "/lotes/abc/pdf.zip", "/registro/lotes/x"):
        response = client.get(path)
        assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")
        assert "La dirección o el formulario enviado está incompleto o no es válido." in response.text
