"""A server killed mid-batch leaves the batch `incompleto`; restarted, the register page
resumes it and completes the same batch (the real `oficios serve`, killed with SIGKILL)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
from web_support import PASSWORD, ROOT, USER, csrf_of, municipalities, spanish_excel_csv

LETTERS = 120


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(out, port):
    env = dict(os.environ, OFICIOS_LANG="es")
    server = subprocess.Popen(
        [sys.executable, "-m", "oficios", "serve", "--port", str(port), "--output", str(out),
         "--templates", str(ROOT / "templates"), "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            assert server.poll() is None and time.monotonic() < deadline, server.stderr.read()
            time.sleep(0.2)


def _signed_in(port):
    import httpx2

    client = httpx2.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=True, timeout=60)
    page = client.get("/entrar")
    client.post("/entrar", data={"usuario": USER, "clave": PASSWORD, "csrf": csrf_of(page.text)})
    return client


def _letters(register) -> tuple[str, int]:
    from oficios.register import Register

    try:
        with Register(register, readonly=True) as db:
            batches = db.batches()
            return (batches[0].estado, len(db.letters(batches[0].id))) if batches else ("", 0)
    except Exception:  # not there yet, or its tables still being created by the server
        return "", 0


@pytest.mark.slow
def test_a_server_killed_mid_batch_leaves_it_incomplete_and_resumable(tmp_path):
    from oficios.web.accounts import Accounts

    out = tmp_path / "salida"
    register = out / "registro-oficina-de-partes.sqlite"
    with Accounts(out / "usuarios-web.sqlite") as accounts:
        accounts.add(USER, PASSWORD)
    port = _free_port()
    server, client = _serve(out, port), None
    try:
        client = _signed_in(port)
        page = client.get("/lotes/nuevo")
        review = client.post("/lotes/nuevo", data={"plantilla": "mideplan-01-A-264",
                                                   "csrf": csrf_of(page.text)},
                             files={"nomina": ("n.csv", spanish_excel_csv(municipalities(LETTERS)))})
        form = review.text.split('action="/lotes/generar"', 1)[1].split("</form>", 1)[0]
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
        assert client.post("/lotes/generar", data=fields).url.path.startswith("/lotes/en-curso/")
        deadline = time.monotonic() + 300
        while _letters(register)[1] < 16:
            assert time.monotonic() < deadline and server.poll() is None
            time.sleep(0.1)
    finally:
        os.kill(server.pid, signal.SIGKILL)  # the machine loses power, as far as the server knows
        server.wait(timeout=20)
        server.stderr.close()
        if client is not None:
            client.close()
    state, written = _letters(register)
    assert state == "incompleto" and 16 <= written < LETTERS

    server = _serve(out, port)
    try:
        client = _signed_in(port)
        page = client.get("/registro")
        assert "incompleto" in page.text
        action = re.search(r'action="(/lotes/\d+/reanudar)"', page.text).group(1)
        resumed = client.post(action, data={"csrf": csrf_of(page.text)})
        assert resumed.url.path == "/lotes/en-curso/mideplan-01-A-264"
        deadline = time.monotonic() + 300
        while _letters(register)[0] != "completo":
            assert time.monotonic() < deadline and server.poll() is None
            time.sleep(0.2)
        assert _letters(register) == ("completo", LETTERS)
        assert f"{LETTERS} de {LETTERS} cartas" in client.get(resumed.url.path).text
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stderr.close()
        if client is not None:
            client.close()
