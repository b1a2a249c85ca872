"""Signing in and out, CSRF, expired sessions, staff accounts (in-process, TestClient)."""

from __future__ import annotations

import time

import pytest
from web_support import PASSWORD, USER, csrf_of, make_app, signed_in


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path)


def test_pages_need_a_signed_in_clerk_and_send_others_to_sign_in(app):
    from fastapi.testclient import TestClient

    client = TestClient(app)
    for path in ("/lotes/nuevo", "/registro", "/registro/exportar.csv", "/"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/entrar?siguiente=")
    page = client.get("/lotes/nuevo")
    assert '<html lang="es">' in page.text
    assert "Usuario" in page.text and "Contraseña" in page.text and "Entrar" in page.text
    assert client.get("/verificar").status_code == 200  # public


def test_a_clerk_signs_in_and_lands_on_the_page_asked_for(app):
    from fastapi.testclient import TestClient

    client = TestClient(app)
    page = client.get("/registro")
    response = client.post("/entrar", data={"usuario": " ANA ", "clave": PASSWORD,
                                            "siguiente": "/registro", "csrf": csrf_of(page.text)})
    assert response.url.path == "/registro"
    assert "Aún no se ha emitido ningún lote." in response.text
    assert "ana" in response.text and "Salir" in response.text


def test_a_wrong_password_or_unknown_user_is_refused_alike(app):
    from fastapi.testclient import TestClient

    client = TestClient(app)
    token = csrf_of(client.get("/entrar").text)
    for user, password in ((USER, "no es la clave"), ("nadie", PASSWORD)):
        response = client.post("/entrar", data={"usuario": user, "clave": password, "csrf": token})
        assert response.status_code == 401
        assert "El usuario o la contraseña no son correctos." in response.text
    assert client.get("/registro", follow_redirects=False).status_code == 303


def test_sign_in_never_redirects_to_another_site(app):
    from fastapi.testclient import TestClient

    client = TestClient(app)
    token = csrf_of(client.get("/entrar").text)
    for target in ("//evil.example/x", "https://evil.example/", "\\\\evil.example"):
        response = client.post("/entrar", data={"usuario": USER, "clave": PASSWORD,
                                                "siguiente": target, "csrf": token},
                               follow_redirects=False)
        assert response.headers["location"] == "/"
        token = csrf_of(client.get("/entrar").text)


def test_a_post_without_the_csrf_token_is_refused(app):
    client = signed_in(app)
    for path, data in (("/salir", {}), ("/lotes/generar", {"plantilla": "x", "nomina": "y"}),
                       ("/entrar", {"usuario": USER, "clave": PASSWORD}),
                       ("/salir", {"csrf": "a-forged-token"})):
        response = client.post(path, data=data)
        assert response.status_code == 403, path
        assert "Formulario vencido" in response.text
    # Still signed in: the forged sign-out did nothing.
    assert client.get("/registro").url.path == "/registro"


def test_sign_out_ends_the_session(app):
    client = signed_in(app)
    token = csrf_of(client.get("/registro").text)
    response = client.post("/salir", data={"csrf": token})
    assert response.url.path == "/entrar"
    assert client.get("/registro", follow_redirects=False).status_code == 303


def test_an_expired_session_sends_the_clerk_to_sign_in_saying_so(tmp_path):
    app = make_app(tmp_path, session_seconds=1)
    client = signed_in(app)
    assert client.get("/registro").url.path == "/registro"
    time.sleep(2.2)
    response = client.get("/registro")
    assert response.url.path == "/entrar"
    assert "Su sesión expiró. Vuelva a entrar." in response.text
    token = csrf_of(response.text)
    again = client.post("/entrar", data={"usuario": USER, "clave": PASSWORD,
                                         "siguiente": "/registro", "csrf": token})
    assert again.url.path == "/registro"


def test_user_add_creates_an_account_that_can_sign_in(tmp_path):
    from click.testing import CliRunner

    from oficios.cli import cli
    from oficios.web.accounts import Accounts

    out = tmp_path / "salida"
    runner = CliRunner()
    result = runner.invoke(cli, ["user", "add", "MPerez", "--output", str(out)],
                           input="clave de prueba larga\nclave de prueba larga\n",
                           env={"OFICIOS_LANG": "es"})
    assert result.exit_code == 0, result.output
    assert "Cuenta 'mperez' guardada en" in result.output
    with Accounts(out / "usuarios-web.sqlite") as accounts:
        assert accounts.check("mperez", "clave de prueba larga") == "mperez"
        assert accounts.check("mperez", "otra") is None
        stored = accounts._db.execute("SELECT clave_hash FROM usuarios").fetchone()[0]
    assert stored.startswith("$argon2id$") and "clave" not in stored


def test_a_short_password_is_refused_with_a_spanish_message(tmp_path):
    from click.testing import CliRunner

    from oficios.cli import cli

    result = CliRunner().invoke(cli, ["user", "add", "x", "--password", "corta", "--output",
                                      str(tmp_path)], env={"OFICIOS_LANG": "es"})
    assert result.exit_code == 1
    assert "la contraseña tiene menos de 10 caracteres (elija una más larga)" in result.output


def test_password_guessing_is_slowed_per_client(tmp_path):
    from fastapi.testclient import TestClient

    app = make_app(tmp_path, sign_in_per_minute=3)
    client = TestClient(app)
    token = csrf_of(client.get("/entrar").text)
    answers = [client.post("/entrar", data={"usuario": USER, "clave": f"intento {n}",
                                            "csrf": token}).status_code for n in range(4)]
    assert answers == [401, 401, 401, 429]
    limited = client.post("/entrar", data={"usuario": USER, "clave": PASSWORD, "csrf": token})
    assert limited.status_code == 429
    assert "Demasiados intentos de entrar desde este computador" in limited.text
