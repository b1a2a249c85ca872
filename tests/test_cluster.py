"""The batch on a real Dask cluster: a scheduler and workers started as processes on 127.0.0.1.

Each cluster is `dask scheduler` + `dask worker --nworkers 1 --nthreads 1` subprocesses on
free ports, stopped by the test. What the cluster makes is compared, byte for byte, with what
the local worker pool makes, and the register's contents with the local register's.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import DATA, ROSTER, TEMPLATE
from oficios.cli import cli
from oficios.pipeline import Job, generate

DASK = Path(sys.executable).parent / "dask"
TEN = DATA / "roster-ten-municipalities.csv"
FOLDER = "mideplan-01-a-264"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DaskCluster:
    """A scheduler and workers as processes of this test; `stop()` ends them all."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.workers: list[subprocess.Popen] = []
        self.scheduler = self._spawn("scheduler", [
            "scheduler", "--host", "127.0.0.1", "--port", str(self.port),
            "--dashboard-address", ":0", "--no-show"])

    def _spawn(self, name: str, args: list[str], env: dict | None = None) -> subprocess.Popen:
        with (self.folder / f"{name}.log").open("wb") as log:
            return subprocess.Popen([str(DASK), *args], cwd=self.folder, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True,
                                    env={**os.environ, **(env or {})})

    def add_worker(self, preload: Path | None = None, env: dict | None = None) -> None:
        args = ["worker", self.address, "--nworkers", "1", "--nthreads", "1",
                "--host", "127.0.0.1", "--no-dashboard", "--death-timeout", "20"]
        if preload:
            args += ["--preload", str(preload)]
        self.workers.append(self._spawn(f"worker-{len(self.workers)}", args, env))

    def wait(self, workers: int, timeout: float = 60) -> dict[str, int]:
        """Waits until `workers` workers are up; their process ids by address."""
        from distributed import Client

        with Client(self.address, timeout=timeout, set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=timeout)
            return client.run(os.getpid)

    def kill_scheduler(self) -> None:
        self.scheduler.send_signal(signal.SIGKILL)
        self.scheduler.wait(10)

    def stop(self) -> None:
        for process in [*self.workers, self.scheduler]:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in [*self.workers, self.scheduler]:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two workers, shared by this module's tests that leave it running."""
    cluster = DaskCluster(tmp_path_factory.mktemp("dask"))
    try:
        cluster.add_worker()
        cluster.add_worker()
        cluster.wait(2)
        yield cluster
    finally:
        cluster.stop()


def _roster(folder: Path, rows: int) -> Path:
    """The first `rows` municipalities of the bundled roster, as a roster of their own."""
    with ROSTER.open(encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fields, kept = reader.fieldnames, list(itertools.islice(reader, rows))
    path = folder / f"roster-{rows}.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(kept)
    return path


def _files(root: Path) -> dict[str, bytes]:
    """Every file below root's oficio folder, by relative path."""
    folder = root / FOLDER
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _register(root: Path) -> dict[str, list[tuple]]:
    """The register's contents without what differs by run: times, command, output root."""
    db = sqlite3.connect(root / "registro-oficina-de-partes.sqlite")
    try:
        return {
            "lotes": db.execute("SELECT oficio, version, fecha, materia, plantilla_sha256, "
                                "nomina_sha256, cartas, estado, motivo_reemision FROM lotes "
                                "ORDER BY id").fetchall(),
            "cartas": db.execute("SELECT clave, destinatario, fila, codigo FROM cartas "
                                 "ORDER BY clave").fetchall(),
            "archivos": [(key, fmt, Path(path).relative_to(root).as_posix(), sha256, size)
                         for key, fmt, path, sha256, size in db.execute(
                             "SELECT clave, formato, ruta, sha256, bytes FROM archivos JOIN cartas "
                             "ON cartas.id = archivos.carta ORDER BY clave, formato")],
        }
    finally:
        db.close()


def _local(roster: Path, out: Path) -> Path:
    generate(Job(template=TEMPLATE, roster=roster, output=out, workers=2))
    return out


def _generate(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, ["generate", "--template", str(TEMPLATE), "--quiet", *args],
                              env=env)


@pytest.mark.slow
def test_the_cluster_makes_the_same_files_and_register_as_the_local_pool(cluster, tmp_path):
    local = _local(TEN, tmp_path / "local")
    result = _generate("--roster", str(TEN), "--output", str(tmp_path / "cluster"),
                       "--cluster", cluster.address)
    assert result.exit_code == 0, result.output
    made, expected = _files(tmp_path / "cluster"), _files(local)
    assert sorted(made) == sorted(expected)
    assert len([name for name in made if name.startswith(("pdf/", "docx/"))]) == 20
    assert [name for name in made if made[name] != expected[name]] == []
    assert _register(tmp_path / "cluster") == _register(local)
    assert _register(local)["lotes"][0][6:8] == (10, "completo")


@pytest.mark.slow
def test_oficios_cluster_setting_sends_the_batch_to_the_cluster(cluster, tmp_path):
    result = _generate("--roster", str(TEN), "--output", str(tmp_path), "--only", "13120",
                       env={"OFICIOS_CLUSTER": cluster.address})
    assert result.exit_code == 0, result.output
    assert (tmp_path / FOLDER / "pdf" / "13120-nunoa.pdf").read_bytes().startswith(b"%PDF-")


@pytest.mark.slow
def test_cluster_check_lists_the_workers_and_says_they_render_like_this_machine(cluster):
    result = CliRunner().invoke(cli, ["cluster-check", cluster.address])
    assert result.exit_code == 0, result.output
    assert f"Clúster {cluster.address}: 2 trabajadores, 2 hilos en total." in result.output
    assert result.output.count("Igual a este equipo") == 2
    assert "subconjuntos HarfBuzz: sí" in result.output and "Pango 1." in result.output
    assert "El clúster puede generar lotes" in result.output


@pytest.mark.slow
def test_a_worker_killed_mid_batch_loses_no_letter_and_registers_none_twice(cluster, tmp_path):
    roster = _roster(tmp_path, 48)
    local = _local(roster, tmp_path / "local")
    workers = cluster.wait(2)
    victim = sorted(workers.values())[0]

    class KillAfterFirstChunk:
        done = 0
        killed_at = None

        def start(self, total: int) -> None:
            pass

        def advance(self, count: int) -> None:
            self.done += count
            if self.killed_at is None:
                os.kill(victim, signal.SIGKILL)
                self.killed_at = self.done

    progress = KillAfterFirstChunk()
    result = generate(Job(template=TEMPLATE, roster=roster, output=tmp_path / "cluster",
                          cluster=cluster.address), progress=progress)
    assert progress.killed_at < 48 and progress.done == 48
    assert victim not in cluster.wait(2).values()  # the nanny started a new worker process
    assert result.batch.estado == "completo" and result.batch.cartas == 48
    register = _register(tmp_path / "cluster")
    assert len(register["cartas"]) == len({row[0] for row in register["cartas"]}) == 48
    assert register == _register(local)
    made, expected = _files(tmp_path / "cluster"), _files(local)
    assert sorted(made) == sorted(expected)
    assert [name for name in made if made[name] != expected[name]] == []
    assert not list((tmp_path / "cluster").rglob("*.part"))


@pytest.mark.slow
def test_the_whole_roster_on_the_cluster_is_byte_for_byte_the_local_batch(cluster, tmp_path):
    local = _local(ROSTER, tmp_path / "local")
    result = _generate("--output", str(tmp_path / "cluster"), "--roster", str(ROSTER),
                       "--cluster", cluster.address)
    assert result.exit_code == 0, result.output
    made, expected = _files(tmp_path / "cluster"), _files(local)
    assert len(made) == len(expected) > 690
    assert [name for name in made if made[name] != expected[name]] == []
    assert _register(tmp_path / "cluster") == _register(local)


@pytest.mark.slow
def test_the_scheduler_gone_mid_batch_leaves_it_incomplete_and_a_rerun_completes_it(tmp_path, caplog):
    roster = _roster(tmp_path, 32)
    out = tmp_path / "out"
    first = DaskCluster(tmp_path / "first")
    second = None
    try:
        first.add_worker()
        first.add_worker()
        first.wait(2)

        def kill_when_letters_appear() -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if len(list((out / FOLDER / "pdf").glob("*.pdf"))) >= 8:
                    first.kill_scheduler()
                    return
                time.sleep(0.02)

        killer = threading.Thread(target=kill_when_letters_appear)
        killer.start()
        result = _generate("--roster", str(roster), "--output", str(out),
                           "--cluster", first.address)
        killer.join()
        assert result.exit_code == 10, result.output
        assert f"se perdió la conexión con el planificador {first.address}" in result.output
        assert "falla del clúster" in result.output and "incompleto" in result.output
        assert "Traceback" not in result.output
        assert [r for r in caplog.records if r.name.startswith("distributed")
                and r.levelno >= logging.ERROR] == []  # no traceback of Dask's on the terminal
        lotes = _register(out)["lotes"]
        assert [(cartas, estado) for *_, cartas, estado, _motivo in lotes] == [(0, "incompleto")]
        assert not list(out.rglob("*.part"))

        second = DaskCluster(tmp_path / "second")
        second.add_worker()
        second.add_worker()
        second.wait(2)
        result = _generate("--roster", str(roster), "--output", str(out),
                           "--cluster", second.address)
        assert result.exit_code == 0, result.output
    finally:
        first.stop()
        if second is not None:
            second.stop()
    register = _register(out)
    assert [lote[6:8] for lote in register["lotes"]] == [(32, "completo")]
    assert len(register["cartas"]) == 32 and len(register["archivos"]) == 64
    files = _files(out)
    assert len([name for name in files if name.startswith(("pdf/", "docx/"))]) == 64
    assert all(hashlib.sha256(files[path.removeprefix(f"{FOLDER}/")]).hexdigest() == sha256
               for _key, _fmt, path, sha256, _size in register["archivos"])


PRELOAD_OTHER_VERSION = """\
import oficios

oficios.__version__ = "0.0.9"
"""

PRELOAD_OTHER_ASSETS = """\
import shutil
import tempfile
from pathlib import Path

import oficios.render_pdf

# This worker's letter layout differs: a copy of the package's assets with another margin.
copy = Path(tempfile.mkdtemp()) / "assets"
shutil.copytree(oficios.render_pdf.ASSETS, copy)
css = copy / "oficio.css"
css.write_text(css.read_text() + "\\n@page { margin-left: 3.5cm; }\\n")
oficios.render_pdf.ASSETS = copy
"""


def _worker_tmp_with_another_template(folder: Path) -> Path:
    """A worker's temporary folder already holding, under this template's hash, another body."""
    import shutil

    from oficios.archive import folder_sha256

    copy = folder / "oficios-plantillas" / folder_sha256(TEMPLATE)
    shutil.copytree(TEMPLATE, copy)
    body = copy / "cuerpo.md"
    body.write_text(body.read_text(encoding="utf-8") + "\nOtro párrafo.\n", encoding="utf-8")
    return folder


@pytest.mark.slow
def test_workers_with_another_oficios_assets_or_template_are_refused_before_rendering(tmp_path):
    other_version = tmp_path / "otra_version.py"
    other_version.write_text(PRELOAD_OTHER_VERSION)
    other_assets = tmp_path / "otros_recursos.py"
    other_assets.write_text(PRELOAD_OTHER_ASSETS)
    other_template = _worker_tmp_with_another_template(tmp_path / "worker-tmp")
    cluster = DaskCluster(tmp_path)
    try:
        cluster.add_worker()
        cluster.add_worker(preload=other_version)
        cluster.add_worker(preload=other_assets)
        cluster.add_worker(env={"TMPDIR": str(other_template)})
        cluster.wait(4)
        out = tmp_path / "out"
        result = _generate("--roster", str(TEN), "--output", str(out), "--cluster", cluster.address)
        check = CliRunner().invoke(cli, ["cluster-check", cluster.address])
    finally:
        cluster.stop()
    assert result.exit_code == 10, result.output
    message = " ".join(result.output.split())
    assert "3 de 4 trabajadores del clúster no generarían las mismas cartas" in message
    assert "oficios 0.0.9 (el coordinador tiene 0.1.0)" in message
    assert "recursos " in message and "el lote no empezó" in message
    assert f"su copia de la plantilla, {other_template}/oficios-plantillas/" in message
    assert "fue modificada" in message
    assert not out.exists()  # nothing rendered, written or registered
    # cluster-check knows no template: it sees the version and the assets.
    assert check.exit_code == 10, check.output
    assert check.output.count("Igual a este equipo") == 2
    assert check.output.count("No generaría las mismas cartas") == 2
    assert "2 de 4 trabajadores difieren de este equipo" in check.output


def test_an_unreachable_scheduler_is_named_as_a_fault_of_the_cluster(tmp_path, monkeypatch):
    import oficios.cluster

    monkeypatch.setattr(oficios.cluster, "CONNECT_TIMEOUT", 1)
    address = f"tcp://127.0.0.1:{_free_port()}"
    result = _generate("--roster", str(TEN), "--output", str(tmp_path / "out"), "--cluster", address)
    assert result.exit_code == 10, result.output
    assert f"no se pudo conectar con el planificador de Dask en {address}" in result.output
    assert not (tmp_path / "out").exists()
