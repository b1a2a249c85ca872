"""Times `oficios send`: the 345 letters of the bundled oficio e-mailed to a local SMTP server.

Run: `.venv/bin/python bench/send.py [--letters N] [--rate R] [--server-process]`.

The bundled roster gets a made-up address per municipality (alcaldia@<cut>.example); the
batch is generated and registered first (not timed), then:

- check: `delivery.prepare` — addresses, the e-mail texts of every letter, each attached
  file hashed against the register;
- send: `delivery.deliver` over one SMTP connection to aiosmtpd on 127.0.0.1 (in this
  process's thread, or its own process with --server-process), each message recorded
  'enviando' then 'aceptado' in the register (synchronous=FULL);
- rerun: the same command again, which finds every letter accepted and sends nothing.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from oficios import delivery  # noqa: E402
from oficios.pipeline import Job, generate  # noqa: E402

TEMPLATE = ROOT / "templates" / "mideplan-01-A-264"
ROSTER = ROOT / "recipients" / "municipalidades.csv"
SENDER = "oficina.partes@mideplan.example"


def roster_with_addresses(folder: Path, letters: int) -> Path:
    """The bundled roster with an address in every row (repeated to `letters` rows)."""
    with open(ROSTER, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    out = folder / "municipalidades-con-correo.csv"
    with open(out, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        for i in range(letters):
            row = dict(rows[i % len(rows)])
            if i >= len(rows):
                row["cut"] = f"{90000 + i}"
            row["email"] = f"alcaldia@{row['cut']}.example"
            writer.writerow(row)
    return out


class _Count:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 2.0.0 Ok"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=345)
    parser.add_argument("--rate", type=float, default=None)
    parser.add_argument("--server-process", action="store_true",
                        help="run the SMTP server in its own process")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        roster = roster_with_addresses(folder, args.letters)
        job = Job(template=TEMPLATE, roster=roster, output=folder / "salida", formats=("pdf",),
                  combined=False)
        generate(job)
        port = _free_port()
        settings = delivery.Settings(host="127.0.0.1", port=port, security="none")
        server = handler = None
        if args.server_process:
            server = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l",
                                       f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"])
            time.sleep(1.5)
        else:
            from aiosmtpd.controller import Controller

            handler = _Count()
            server = Controller(handler, hostname="127.0.0.1", port=port)
            server.start()
        try:
            t0 = time.perf_counter()
            plan = delivery.prepare(job, SENDER)
            t1 = time.perf_counter()
            report = delivery.deliver(plan, settings, rate=args.rate)
            t2 = time.perf_counter()
            rerun = delivery.deliver(delivery.prepare(job, SENDER), settings)
            t3 = time.perf_counter()
        finally:
            if args.server_process:
                server.terminate()
                server.wait()
            else:
                server.stop()
        size = sum(a.path.stat().st_size for item in plan.items for a in item.attachments)

    sent = len(report.sent)
    assert sent == args.letters and not report.failed and rerun.already == args.letters
    if handler is not None:
        assert handler.count == args.letters
    print(f"# bench/send.py, {dt.date.today()}, {platform.python_version()}, "
          f"{platform.machine()}, server {'own process' if args.server_process else 'thread'}")
    print(f"messages: {sent} (PDF attachments {size / sent / 1024:.0f} KiB each on average)")
    print(f"check (prepare): {t1 - t0:.2f} s")
    print(f"send: {t2 - t1:.2f} s = {sent / (t2 - t1):.1f} messages/s, "
          f"{(t2 - t1) / sent * 1000:.1f} ms per message")
    print(f"rerun (nothing to send): {t3 - t2:.2f} s")


if __name__ == "__main__":
    main()
