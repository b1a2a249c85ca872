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


def test_user_add_without_a_terminal_to_type_the_password_says_so_and_changes_nothing(tmp_path):
    """The password prompt met the end of the input: that was "Internal error: Abort" (70)."""
    register = tmp_path / "registro.sqlite"
    env = {k: v for k, v in os.environ.items() if k not in ("LANG", "LC_ALL", "OFICIOS_LANG")}
    run = subprocess.run([sys.executable, "-m", "oficios", "user", "add", "ana", "--register",
                          str(register)], cwd=ROOT, capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, env=env)
    assert run.returncode == 130, run.stderr
    assert "Detenido: una pregunta quedó sin respuesta" in run.stderr
    assert "Error interno" not in run.stderr and "Traceback" not in run.stderr
    assert list(tmp_path.iterdir()) == []
    usage = subprocess.run([sys.executable, "-m", "oficios", "user", "add", "--help"], cwd=ROOT,
                           capture_output=True, text=True, env=env).stdout
    english = subprocess.run([sys.executable, "-m", "oficios", "user", "add", "--help"],
                             cwd=ROOT, capture_output=True, text=True,
                             env={**env, "LANG": "en_US.UTF-8"}).stdout
    assert "oficios user add [OPCIONES] NOMBRE" in usage
    assert "oficios user add [OPTIONS] NAME" in english
