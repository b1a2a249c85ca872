"""Times the default batch against the naive WeasyPrint loop and Typst, in one run.

Run: `make bench` or `.venv/bin/python bench/batch.py [--letters N] [--skip-naive]`
(`pip install -e '.[bench]'` for Typst; without it that line is skipped).

- default batch: `oficios generate` as users run it (every core, PDF + DOCX + PDF/A archive
  copy with nómina + register; PDFs composed from shared layouts);
- naive baseline: one `HTML(...).write_pdf()` per letter in one process, with a new font
  configuration and stylesheet each time (what a first WeasyPrint script does), PDF only;
- Typst: the same letter written in Typst (bench/typst/), one `compile` per letter with the
  recipient's values as inputs, one process, PDF only: a yardstick, not part of oficios.

Memory is the peak of the summed PSS of this process and all its descendants, sampled
every 50 ms (PSS counts pages shared between processes once). `--letters N` repeats the
bundled roster to N rows with new codes, to show that memory does not grow with N.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from oficios.pipeline import Job, generate, letters  # noqa: E402

TEMPLATE = ROOT / "templates" / "mideplan-01-A-264"
ROSTER = ROOT / "recipients" / "municipalidades.csv"


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


class PeakMemory:
    """Samples the summed PSS of this process tree in a thread; `.peak_mb` after the block.

    Also sums the CPU time the tree used in the block (`.cpu_s`, from /proc samples every
    50 ms: a process that ends between samples loses at most its last 50 ms), a figure a
    busy machine disturbs much less than wall time.
    """

    def __enter__(self) -> PeakMemory:
        self.peak_kb = 0
        self._start = {pid: _cpu_seconds(pid) for pid in _descendants(os.getpid())}
        self._last: dict[int, float] = dict(self._start)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            pids = _descendants(os.getpid())
            total = sum(_pss_kb(pid) for pid in pids)
            self.peak_kb = max(self.peak_kb, total)
            for pid in pids:
                self._last[pid] = max(self._last.get(pid, 0.0), _cpu_seconds(pid))
            self._stop.wait(0.05)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def cpu_s(self) -> float:
        return sum(cpu - self._start.get(pid, 0.0) for pid, cpu in self._last.items())

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024


def make_roster(n: int, folder: Path) -> Path:
    """The bundled roster repeated to n rows; copies get new 5-digit codes and names."""
    with ROSTER.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = folder / f"roster-{n}.csv"
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        for i in range(n):
            row = dict(rows[i % len(rows)])
            if i >= len(rows):
                row["cut"] = f"{20000 + i:05d}"
                row["municipalidad"] = f"{row['municipalidad']} {i // len(rows) + 1}"
            writer.writerow(row)
    return out


def naive(job: Job) -> tuple[float, int]:
    """The naive loop: one write_pdf per letter, nothing shared. Returns (seconds, letters)."""
    from weasyprint import CSS, HTML

    from oficios.render_pdf import ASSETS, STYLESHEET, PdfRenderer

    merged = letters(job)
    layout = PdfRenderer(job.template)  # only for its HTML; its fonts and CSS are not used
    out = Path(tempfile.mkdtemp(dir=job.output))
    started = time.perf_counter()
    for letter in merged:
        html = HTML(string=layout.html(letter), base_url=str(job.template))
        html.write_pdf(out / f"{letter.key}.pdf", stylesheets=[CSS(filename=str(ASSETS / STYLESHEET))])
    return time.perf_counter() - started, len(merged)


def typst_loop(job: Job) -> tuple[float, int] | None:
    """The Typst yardstick: one compile per letter, one process. None without `typst`."""
    try:
        import typst
    except ImportError:
        return None
    if not hasattr(typst, "Compiler"):  # bench/typst, the letter's folder, found instead
        return None
    merged = letters(job)
    folder = ROOT / "bench" / "typst"
    compiler = typst.Compiler(str(folder / "oficio.typ"), root=str(folder),
                              font_paths=[str(ROOT / "oficios" / "assets" / "fonts")],
                              ignore_system_fonts=True)
    out = Path(tempfile.mkdtemp(dir=job.output))
    started = time.perf_counter()
    for number, letter in enumerate(merged):
        inputs = {"numero": letter.number, "destinatario": letter.recipient_name,
                  "codigo": f"TYPS-T{number:04d}-XX", "a": "\n".join(letter.addressee.lines)}
        (out / f"{letter.key}.pdf").write_bytes(compiler.compile(format="pdf", sys_inputs=inputs))
    return time.perf_counter() - started, len(merged)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=0, help="repeat the roster to N rows")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--skip-naive", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        roster = make_roster(args.letters, tmp) if args.letters else ROSTER
        job = Job(template=TEMPLATE, roster=roster, output=tmp, workers=args.workers)
        print(f"# {dt.date.today()}  {platform.machine()}, {os.cpu_count()} cores, "
              f"Python {platform.python_version()}")
        with PeakMemory() as memory:
            result = generate(job)
        n = result.letters
        files = sum(1 for p in result.folder.rglob("*") if p.is_file())
        combined = result.combined.stat().st_size / 1e6 if result.combined else 0
        print(f"default batch    : {n} letters, {files} files (PDF, DOCX, PDF/A archive copy "
              f"with nómina, manifest, register): "
              f"{result.seconds:6.1f} s wall, {1000 * result.seconds / n:5.1f} ms/letter, "
              f"{memory.cpu_s:6.1f} s CPU (all processes), "
              f"peak memory {memory.peak_mb:4.0f} MB (all processes); archive copy "
              f"{combined:.2f} MB; PDFs {'composed' if result.composition.compose else 'whole'}")
        if args.skip_naive:
            return
        default_cpu = memory.cpu_s
        with PeakMemory() as memory:
            seconds, n = naive(job)
        naive_cpu = memory.cpu_s
        print(f"naive WeasyPrint : {n} letters, PDF only, one process: "
              f"{seconds:6.1f} s wall, {1000 * seconds / n:5.1f} ms/letter, "
              f"{naive_cpu:6.1f} s CPU, peak memory {memory.peak_mb:4.0f} MB")
        with PeakMemory() as memory:
            typst = typst_loop(job)
        if typst:
            print(f"Typst (yardstick): {typst[1]} letters, PDF only, one process: "
                  f"{typst[0]:6.1f} s wall, {1000 * typst[0] / typst[1]:5.1f} ms/letter, "
                  f"{memory.cpu_s:6.1f} s CPU")
        print(f"ratio            : default batch is {seconds / result.seconds:.2f}x faster than "
              f"the naive loop, while also writing the DOCX, the archive copy and the register"
              + (f"; it takes {result.seconds / typst[0]:.2f}x the time of Typst's PDFs"
                 if typst else ""))
        print(f"CPU ratio        : the naive loop uses {naive_cpu / default_cpu:.2f}x the CPU time "
              f"of the default batch (all processes); on 2 idle cores the batch's wall time is "
              f"about half its CPU time")


if __name__ == "__main__":
    main()
