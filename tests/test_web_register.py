"""The register pages, export and the public verification page (in-process, TestClient)."""

from __future__ import annotations

import csv
import io

import pytest
from web_support import DATA, ROOT, SLUG, config, csrf_of, make_app, signed_in, text_of


@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    """Ten letters generated and registered the way the server does it; (tmp, result)."""
    from oficios import pipeline

    tmp = tmp_path_factory.mktemp("web-register")
    cfg = config(tmp)
    result = pipeline.generate(pipeline.Job(
        template=ROOT / "templates" / SLUG, roster=DATA / "roster-ten-municipalities.csv",
        output=cfg.output, register=cfg.register_path(), workers=2,
        command="oficios web --usuario ana"))
    return tmp, result


@pytest.fixture
def app(issued, tmp_path):
    tmp, _result = issued
    return make_app(tmp, accounts=tmp_path / "cuentas.sqlite")


@pytest.fixture
def client(app):
    return signed_in(app)


def _code_of(result, key: str) -> str:
    from oficios.register import Register

    with Register(result.register, readonly=True) as db:
        return next(r["codigo"] for r in db.letters() if r["clave"] == key)


def test_the_register_lists_the_batch_and_finds_letters_by_name_key_and_code(client, issued):
    _tmp, result = issued
    page = client.get("/registro")
    text = text_of(page.text)
    assert "MIDEPLAN OF. N° 01-A/264" in text and "completo" in text
    for query in ("nunoa", "ÑUÑOA", "13120", _code_of(result, "13120"),
                  _code_of(result, "13120").replace("-", "").lower()):
        found = text_of(client.get("/registro", params={"q": query}).text)
        assert "1 carta encontrada" in found, query
        assert "Ñuñoa" in found
    everything = text_of(client.get("/registro", params={"q": "01-A/264"}).text)
    assert "10 cartas encontradas" in everything


def test_a_letter_page_shows_files_hashes_and_versions(client, issued):
    _tmp, result = issued
    code = _code_of(result, "13120")
    page = client.get(f"/registro/cartas/{code}")
    text = text_of(page.text)
    pdf = next(p for p in result.files["pdf"] if p.name.startswith("13120"))
    assert "13120-nunoa.pdf" in text and result.sha256[pdf] in text
    assert "13120-nunoa.docx" in text
    assert "Versiones de esta carta" in text and code in text


def test_the_batch_page_lists_its_letters_and_downloads(client, issued):
    _tmp, result = issued
    page = client.get(f"/registro/lotes/{result.batch.id}")
    text = text_of(page.text)
    assert "oficios web --usuario ana" in text and result.batch.plantilla_sha256 in text
    assert text.count("/registro/cartas/") == 0 and page.text.count('href="/registro/cartas/') == 10
    zipped = client.get(f"/lotes/{result.batch.id}/pdf.zip")
    assert zipped.status_code == 200


def test_the_export_is_the_register_as_csv(client):
    response = client.get("/registro/exportar.csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    assert len(rows) == 10 and {"codigo", "pdf_sha256", "destinatario"} <= set(rows[0])


def test_the_public_page_verifies_an_issued_letter_and_catches_an_altered_one(app, issued):
    from fastapi.testclient import TestClient

    _tmp, result = issued
    public = TestClient(app)  # nobody signed in
    page = public.get("/verificar")
    pdf = next(p for p in result.files["pdf"] if p.name.startswith("13120"))
    good = public.post("/verificar", data={"csrf": csrf_of(page.text)},
                       files={"archivo": ("carta.pdf", pdf.read_bytes())})
    text = text_of(good.text)
    assert "VERIFICADO" in text and "enviada a Ñuñoa" in text and "No ha sido modificada." in text
    altered = pdf.read_bytes() + b"\n"  # one byte more: still the letter's code inside
    bad = public.post("/verificar", data={"csrf": csrf_of(page.text)},
                      files={"archivo": ("carta.pdf", altered)})
    assert "ALTERADO" in text_of(bad.text) and "Ñuñoa" in bad.text
    stranger = public.post("/verificar", data={"csrf": csrf_of(page.text)},
                           files={"archivo": ("x.pdf", (DATA / "roster-four-municipalities.csv")
                                              .read_bytes())})
    assert "NO REGISTRADO" in text_of(stranger.text)


def test_the_public_page_answers_a_typed_code(app, issued):
    from fastapi.testclient import TestClient

    _tmp, result = issued
    public = TestClient(app)
    code = _code_of(result, "13120")
    answer = text_of(public.get("/verificar", params={"codigo": code.lower()}).text)
    assert "VERIFICADO" in answer and "Ñuñoa" in answer
    unknown = text_of(public.get("/verificar", params={"codigo": "AAAA-BBBB-CC"}).text)
    assert "NO REGISTRADO" in unknown


def test_a_malformed_code_is_explained(app):
    from fastapi.testclient import TestClient

    answer = TestClient(app).get("/verificar", params={"codigo": "<b>hola</b>"})
    assert answer.status_code == 400
    assert "diez letras y dígitos" in answer.text and "<b>hola" not in answer.text


def test_verification_is_rate_limited_per_client(issued, tmp_path):
    from fastapi.testclient import TestClient

    tmp, _result = issued
    app = make_app(tmp, accounts=tmp_path / "cuentas.sqlite", verify_per_minute=3)
    public = TestClient(app)
    answers = [public.get("/verificar", params={"codigo": "nada"}).status_code for _ in range(4)]
    assert answers == [400, 400, 400, 429]
    limited = public.get("/verificar", params={"codigo": "nada"})
    assert "Demasiadas verificaciones desde este computador" in limited.text
    assert int(limited.headers["Retry-After"]) > 0
    assert public.get("/verificar").status_code == 200  # the empty form is not counted
