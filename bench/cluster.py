"""Times a batch on a local Dask cluster of 2 workers against the local worker pool.

Run: `.venv/bin/python bench/cluster.py [--letters 345 --letters 20000] [--format pdf]
[--skip-local] [--one-process] [--coordinator 5000]`.

Each (executor, size) runs in a fresh process, so its peak memory is its own:
- coordinator peak: the peak RSS of the process that runs `generate` (it writes, registers
  and builds the archive copy). The cluster's scheduler and workers are other processes,
  started once, with Dask's profiler off as the README says. No sampling thread runs in the
  coordinator: its CPU is its own work.
- coordinator CPU: the CPU seconds of that process per letter; 1 / that is how many letters
  per second one coordinator could take if rendering were free (the model's ceiling).
`--coordinator N` also times the coordinator's own work alone: N letters of real bytes written
atomically and recorded in a register, as `ClusterPool` does with what workers return.
`--letters N` repeats the bundled roster to N rows with new codes (as bench/batch.py does).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TEMPLATE = ROOT / "templates" / "mideplan-01-A-264"
DASK = Path(sys.executable).parent / "dask"


def _bench_batch():
    spec = importlib.util.spec_from_file_location("bench_batch", ROOT / "bench" / "batch.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_one(executor: str, roster: Path, output: Path, formats: tuple[str, ...],
            cluster: str | None) -> dict:
    """One batch in this process; what it took (printed as JSON by the child process)."""
    from oficios.pipeline import Job, generate

    # "one process": everything in the coordinator, so its CPU is a letter's whole cost.
    job = Job(template=TEMPLATE, roster=roster, output=output, formats=formats,
              workers=1 if executor == "one process" else 2,
              cluster=cluster if executor == "cluster" else None)
    trace = _Trace(executor, job.cluster)
    cpu = time.process_time()
    result = generate(job, progress=trace)
    cpu = time.process_time() - cpu
    workers_cpu = trace.per_letter() if trace.client else 0.0
    if trace.client:
        trace.client.close()
    return {"letters": result.letters, "seconds": result.seconds, "coordinator_cpu": cpu,
            "coordinator_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "workers_cpu": workers_cpu}


class _Trace:
    """Prints to stderr, every 1,000 letters, the coordinator's memory and CPU so far (so a
    run stopped early still shows whether memory stays flat)."""

    def __init__(self, executor: str, cluster: str | None) -> None:
        self.executor, self.done, self.next = executor, 0, 1000
        self.started = time.perf_counter()
        self.client = None
        if cluster:
            from distributed import Client

            self.client = Client(cluster, timeout=60, set_as_default=False)

    def workers_cpu(self) -> float:
        """The CPU seconds the workers' and the scheduler's processes have used so far
        (0 without a cluster)."""
        if not self.client:
            return 0.0
        return (sum(self.client.run(time.process_time).values())
                + self.client.run_on_scheduler(time.process_time))

    def start(self, total: int) -> None:
        self.total = total
        self.workers_cpu_at_start = self.workers_cpu()
        print(f"  {self.executor}: {total} letters validated, rendering starts; coordinator RSS "
              f"{_rss_kb() / 1024:.0f} MB", file=sys.stderr, flush=True)

    def advance(self, count: int) -> None:
        self.done += count
        if self.done >= self.next or self.done == self.total:  # and after the last letter
            self.next += 1000 * (self.done >= self.next)
            rss = _rss_kb()
            workers = (f", workers' + scheduler's CPU {1000 * self.per_letter():.1f} ms/letter"
                       if self.client else "")
            print(f"  {self.executor}: {self.done}/{self.total} letters, "
                  f"{time.perf_counter() - self.started:.0f} s, coordinator RSS {rss / 1024:.0f} MB, "
                  f"CPU {1000 * time.process_time() / self.done:.1f} ms/letter{workers}",
                  file=sys.stderr, flush=True)

    def per_letter(self) -> float:
        return (self.workers_cpu() - self.workers_cpu_at_start) / max(1, self.done)


def _rss_kb() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))


def coordinator_only(letters: int, folder: Path, per_transaction: int = 8) -> dict:
    """The coordinator's work without rendering: write + hash check + register, per letter,
    `per_transaction` letters to a register transaction (the pipeline records 8)."""
    import hashlib
    from types import SimpleNamespace

    from oficios import read_roster
    from oficios.archive import folder_sha256
    from oficios.batch import Written
    from oficios.merge import Merger
    from oficios.output import OutputLayout, write_atomic
    from oficios.register import Register, verification_code
    from oficios.render_docx import DocxRenderer
    from oficios.render_pdf import PdfRenderer
    from oficios.template import OficioTemplate

    template = OficioTemplate(TEMPLATE)
    recipient = read_roster(template, ROOT / "recipients" / "municipalidades.csv").recipients[0]
    letter = Merger(template).merge(recipient, verification="ABCD-EFGH-IJ")
    data = {"pdf": PdfRenderer(TEMPLATE).render(letter), "docx": DocxRenderer().render(letter)}
    sums = {fmt: hashlib.sha256(b).hexdigest() for fmt, b in data.items()}
    layout = OutputLayout.for_template(folder / f"por-{per_transaction}", template.slug)
    register = Register(folder / f"registro-{per_transaction}.sqlite", create=True)
    batch = register.open_batch(oficio="BENCH", fecha="2026-01-01", materia="bench",
                                plantilla_sha256=folder_sha256(TEMPLATE), nomina_sha256="0",
                                comando="bench", carpeta=str(layout.folder))
    started, cpu, pending = time.perf_counter(), time.process_time(), []
    for i in range(letters):
        key = f"{i:06d}"
        files = {}
        for fmt, payload in data.items():
            assert hashlib.sha256(payload).hexdigest() == sums[fmt]
            path = write_atomic(layout.path(SimpleNamespace(key=key, slug="bench"), fmt), payload)
            files[fmt] = (path, sums[fmt], len(payload))
        item = Written(key, "Bench", i + 2, "", verification_code("BENCH", 1, key), files)
        pending.append((item.key, item.name, item.row, item.code, item.files))
        if len(pending) == per_transaction:
            register.record_letters(batch, pending)
            pending.clear()
    register.record_letters(batch, pending)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    register.close()
    from oficios.combine import CombinedPdf

    copies = max(1, letters // 5)
    started, combined_cpu = time.perf_counter(), time.process_time()
    with CombinedPdf(folder / "combinado.pdf", "bench") as combined:
        for i in range(copies):
            combined.add(data["pdf"], f"{i:06d} Bench")
    return {"letters": letters, "seconds": seconds, "cpu": cpu,
            "bytes_per_letter": sum(len(b) for b in data.values()),
            "combined_ms": 1000 * (time.perf_counter() - started) / copies,
            "combined_cpu_ms": 1000 * (time.process_time() - combined_cpu) / copies}


class Cluster:
    """`dask scheduler` and 2 `dask worker --nworkers 1 --nthreads 1` on 127.0.0.1."""

    def __init__(self, folder: Path, profiler: str = "False") -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.address = f"tcp://127.0.0.1:{port}"
        self.processes = [self._spawn(folder, "scheduler", ["scheduler", "--host", "127.0.0.1",
                                                            "--port", str(port),
                                                            "--dashboard-address", ":0",
                                                            "--no-show"])]
        for i in range(2):  # as the README says to start them: Dask's profiler off
            self.processes.append(self._spawn(folder, f"worker-{i}", [
                "worker", self.address, "--nworkers", "1", "--nthreads", "1",
                "--host", "127.0.0.1", "--no-dashboard"],
                env={"DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": profiler}))
        from distributed import Client

        with Client(self.address, timeout=60, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=60)

    @staticmethod
    def _spawn(folder: Path, name: str, args: list[str], env: dict | None = None) -> subprocess.Popen:
        with (folder / f"{name}.log").open("wb") as log:
            return subprocess.Popen([str(DASK), *args], cwd=folder, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True,
                                    env={**os.environ, **(env or {})})

    def stop(self) -> None:
        for process in self.processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            process.wait(30)


def _child(executor: str, roster: Path, formats: str, cluster: str | None) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, __file__, "--child", executor, str(roster), out, formats,
                   cluster or ""]
        done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # The child and every process it started and reaped (the local pool's renderers);
    # a cluster's workers and scheduler are not its children: their CPU is added apart.
    result["total_cpu"] = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
                           + result["workers_cpu"] * result["letters"])
    return result


def _line(name: str, r: dict) -> str:
    n = r["letters"]
    return (f"{name:11s} {n:6d} letters: {r['seconds']:7.1f} s, {1000 * r['seconds'] / n:6.1f} ms/letter"
            f" ({n / r['seconds']:5.1f} letters/s); coordinator: peak {r['coordinator_peak_mb']:4.0f} MB,"
            f" CPU {1000 * r['coordinator_cpu'] / n:4.1f} ms/letter"
            + (f"; workers' + scheduler's CPU {1000 * r['workers_cpu']:5.1f} ms/letter"
               if r["workers_cpu"] else "")
            + f"; all processes' CPU {1000 * r['total_cpu'] / n:5.1f} ms/letter")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        executor, roster, out, formats, cluster = sys.argv[2:7]
        print(json.dumps(run_one(executor, Path(roster), Path(out), tuple(formats.split(",")),
                                 cluster or None)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, action="append", help="sizes (default: 345)")
    parser.add_argument("--format", default="pdf,docx", help="pdf, docx or pdf,docx")
    parser.add_argument("--skip-local", action="store_true")
    parser.add_argument("--skip-cluster", action="store_true",
                        help="no cluster: only the local pool (and --one-process)")
    parser.add_argument("--one-process", action="store_true",
                        help="also run the batch in one process: the baseline CPU per letter")
    parser.add_argument("--profiler", action="store_true",
                        help="leave Dask's profiler on in the workers (its default)")
    parser.add_argument("--coordinator", type=int, default=0,
                        help="also time the coordinator's write + register for N letters")
    args = parser.parse_args()
    print(f"# {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC  {platform.machine()}, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, Python {platform.python_version()}, "
          f"formats {args.format}", flush=True)
    make_roster = _bench_batch().make_roster
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for per_transaction in (8, 256) if args.coordinator else ():
            r = coordinator_only(args.coordinator, tmp / "coordinator", per_transaction)
            print(f"coordinator alone, {per_transaction} letters a transaction: "
                  f"{r['letters']} letters ({r['bytes_per_letter'] // 1024} KB "
                  f"each) written + registered in {r['seconds']:.1f} s = "
                  f"{r['letters'] / r['seconds']:.0f} letters/s ({1000 * r['cpu'] / r['letters']:.2f} "
                  f"ms CPU a letter); appending a letter to the archive copy {r['combined_ms']:.1f} ms "
                  f"({r['combined_cpu_ms']:.1f} ms CPU)", flush=True)
        cluster = None if args.skip_cluster else Cluster(tmp, profiler=str(args.profiler))
        try:
            for n in args.letters or [345]:
                roster = make_roster(n, tmp)
                if args.one_process:
                    print(_line("one process", _child("one process", roster, args.format, None)),
                          flush=True)
                if not args.skip_local:
                    print(_line("local", _child("local", roster, args.format, None)), flush=True)
                if cluster:
                    print(_line("cluster", _child("cluster", roster, args.format,
                                                  cluster.address)), flush=True)
        finally:
            if cluster:
                cluster.stop()


if __name__ == "__main__":
    main()
