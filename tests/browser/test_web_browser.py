"""What only a browser shows: the clerk's forms, an expired session, a forged post, a hostile
value on screen, an oversized upload (Chromium through Playwright, server on 127.0.0.1)."""

from __future__ import annotations

import time

from tests.browser.conftest import check_accessibility, describe, screenshot, sign_in
from web_support import DATA, PASSWORD, USER, make_app


def test_a_clerk_signs_in_and_out_and_the_pages_pass_axe(serve, context, tmp_path):
    server = serve(make_app(tmp_path))
    page = context.new_page()
    page.goto(server.url)
    assert page.url.startswith(f"{server.url}/entrar")
    assert page.locator("html").get_attribute("lang") == "es"
    assert check_accessibility(page) == [], describe(check_accessibility(page))
    screenshot(page, "01-entrar")
    page.get_by_label("Usuario").fill(USER)
    page.get_by_label("Contraseña").fill("no es la clave")
    page.get_by_role("button", name="Entrar").click()
    assert page.get_by_role("alert").inner_text() == "El usuario o la contraseña no son correctos."
    sign_in(page, server.url, USER, PASSWORD)
    assert page.get_by_role("heading", level=1).inner_text() == "Nuevo lote"
    assert check_accessibility(page) == [], describe(check_accessibility(page))
    screenshot(page, "02-nuevo-lote")
    page.get_by_role("button", name="Salir").click()
    page.wait_for_url(f"{server.url}/entrar")
    page.goto(f"{server.url}/registro")
    assert page.url.startswith(f"{server.url}/entrar")


def test_an_expired_session_brings_the_clerk_back_to_sign_in(serve, context, tmp_path):
    server = serve(make_app(tmp_path, session_seconds=2))
    page = context.new_page()
    sign_in(page, server.url, USER, PASSWORD)
    time.sleep(3)
    page.goto(f"{server.url}/registro")
    assert page.url.startswith(f"{server.url}/entrar")
    assert page.get_by_role("alert").inner_text() == "Su sesión expiró. Vuelva a entrar."
    page.get_by_label("Usuario").fill(USER)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(f"{server.url}/registro")  # back where the clerk was going


def test_a_post_without_the_csrf_token_is_refused(serve, context, tmp_path):
    server = serve(make_app(tmp_path))
    page = context.new_page()
    sign_in(page, server.url, USER, PASSWORD)
    # The same browser, its session cookie sent, but no token: as a forged cross-site form.
    response = page.request.post(f"{server.url}/salir", form={"x": "1"})
    assert response.status == 403
    assert "Formulario vencido" in response.text()
    page.goto(f"{server.url}/registro")
    assert page.url == f"{server.url}/registro"  # still signed in


def test_a_hostile_roster_value_is_shown_literally_and_runs_nothing(serve, context, tmp_path):
    server = serve(make_app(tmp_path))
    page = context.new_page()
    alerts = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    sign_in(page, server.url, USER, PASSWORD)
    script, image = "<script>alert(2)</script>", "<img src=x onerror=alert(1)> &amp; {{ 7*7 }}"
    roster = tmp_path / "nomina.csv"
    rows = ("cut,municipalidad,region,genero\n"
            f"13120,Ñuñoa,Región Metropolitana,{script}\n"
            f"08301,{image},Región del Biobío,F\n")
    roster.write_text(rows, encoding="utf-8")
    page.check('input[name="plantilla"][value="mideplan-01-A-264"]')  # the MIDEPLAN letter
    page.get_by_label("Archivo de la nómina").set_input_files(str(roster))
    page.get_by_role("button", name="Revisar la nómina").click()
    page.wait_for_url("**/lotes/revisar?**")
    cell = page.locator("table.problemas tbody tr td.valor").first
    assert script in cell.inner_text()
    assert page.locator("main script, main img").count() == 0
    assert check_accessibility(page) == [], describe(check_accessibility(page))
    screenshot(page, "03-revisar-problemas")
    roster.write_text(rows.replace(script, "M"), encoding="utf-8")
    page.get_by_label("Nómina corregida").set_input_files(str(roster))
    page.get_by_role("button", name="Subir y revisar de nuevo").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").first.inner_text() == "2 destinatarios listos"
    assert page.locator("#ver option").all_inner_texts() == ["Ñuñoa (13120)", f"{image} (08301)"]
    page.wait_for_timeout(300)
    assert alerts == []


def test_an_oversized_upload_is_refused(serve, context, tmp_path):
    server = serve(make_app(tmp_path, max_upload_bytes=1024 * 1024))
    page = context.new_page()
    sign_in(page, server.url, USER, PASSWORD)
    big = tmp_path / "grande.csv"
    big.write_bytes(b"cut,municipalidad\n" + b"13120,x\n" * 400_000)
    page.check('input[name="plantilla"][value="mideplan-01-A-264"]')  # the MIDEPLAN letter
    page.get_by_label("Archivo de la nómina").set_input_files(str(big))
    page.get_by_role("button", name="Revisar la nómina").click()
    page.wait_for_load_state()
    assert "El archivo enviado es más grande de lo que este servidor acepta." in page.content()
    # The server still answers.
    page.goto(f"{server.url}/lotes/nuevo")
    assert page.get_by_role("heading", level=1).inner_text() == "Nuevo lote"


def test_the_public_verification_page_needs_no_sign_in_and_passes_axe(serve, context, tmp_path):
    server = serve(make_app(tmp_path))
    page = context.new_page()
    page.goto(f"{server.url}/verificar")
    assert page.get_by_role("heading", level=1).inner_text() == "Verificar una carta"
    assert check_accessibility(page) == [], describe(check_accessibility(page))
    page.get_by_label("Carta (PDF o DOCX)").set_input_files(str(DATA / "roster-four-municipalities.csv"))
    page.get_by_role("button", name="Verificar el archivo").click()
    page.wait_for_load_state()
    assert "Este servidor aún no ha emitido ninguna carta." in page.content()
