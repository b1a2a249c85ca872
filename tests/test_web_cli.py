"""`oficios serve` starts the application on 127.0.0.1; `oficios user add` makes accounts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

from web_support import ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_starts_the_application_in_spanish_and_says_how_to_add_a_clerk(tmp_path):
    port = _free_port()
    env = dict(os.environ, OFICIOS_LANG="", LANG="C.UTF-8", LC_ALL="")
    server = subprocess.Popen(
        [sys.executable, "-m", "oficios", "serve", "--port", str(port), "--output",
         str(tmp_path / "salida"), "--templates", str(ROOT / "templates")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/verificar") as response:
                    page = response.read().decode("utf-8")
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read()
                time.sleep(0.2)
        assert '<html lang="es">' in page and "Verificar una carta" in page
    finally:
        server.terminate()
        out, err = server.communicate(timeout=20)
    assert f"oficios: http://127.0.0.1:{port}/  (Ctrl-C para detener)" in out
    assert "Aún no hay cuentas de funcionarios: cree una con `oficios user add NOMBRE`." in err
    assert "Traceback" not in err


def test_serve_and_user_have_help():
    from click.testing import CliRunner

    from oficios.cli import cli

    for args in (["serve", "--help"], ["user", "--help"], ["user", "add", "--help"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0 and "Uso:" in result.output
