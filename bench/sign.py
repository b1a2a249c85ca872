"""Times signing: what `generate --sign` adds to a batch, with a PKCS#12 key and a SoftHSM2 token.

Run: `.venv/bin/python bench/sign.py [--repeat N] [--skip-batches]`.

1. Signing alone, one process: the 345 letters are rendered once, then each PDF is signed
   (visible box at the signature block, PAdES B-B) with a PKCS#12 key and with a SoftHSM2
   token; wall and CPU ms per letter (CPU time is the fair figure on a shared machine).
2. The whole batch as users run it (`oficios generate`, every core, PDF + DOCX + archive copy
   + register) unsigned, `--sign` with PKCS#12 and `--sign` with the token: added seconds.
   Each batch is run `--repeat` times (default 1); the fastest run is reported.

The test PKI (RSA-2048 signer) and the token are made in a temporary folder, as the tests do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import pki  # noqa: E402  (tests/pki.py: the test PKI and SoftHSM2 token)
from oficios.pipeline import Job, generate, letters  # noqa: E402
from oficios.signing import SignerSpec  # noqa: E402

TEMPLATE = ROOT / "templates" / "mideplan-01-A-264"
ROSTER = ROOT / "recipients" / "municipalidades.csv"


def _specs(ca: pki.Pki) -> dict[str, SignerSpec]:
    return {"PKCS#12": SignerSpec(pkcs12=ca.p12, secret=pki.PASSWORD),
            "SoftHSM2": SignerSpec(pkcs11_module=pki.SOFTHSM_MODULE, pkcs11_token="oficios",
                                   pkcs11_key="firma", secret=pki.PIN)}


def sign_only(specs: dict[str, SignerSpec]) -> dict[str, tuple[int, float, float]]:
    """(letters, wall seconds, CPU seconds) to sign every rendered letter, one process, per
    key source. SoftHSM2 signs inside this process, so its work is in the CPU time too."""
    from oficios.render_pdf import PdfRenderer

    merged = letters(Job(template=TEMPLATE, roster=ROSTER))
    renderer = PdfRenderer(TEMPLATE)
    pdfs = [(renderer.render(letter), letter.firma) for letter in merged]
    results = {}
    for name, spec in specs.items():
        with spec.load() as signer:
            signer.sign(*pdfs[0])  # the font and the key are loaded once, before timing
            started, cpu = time.perf_counter(), time.process_time()
            for data, firma in pdfs:
                signer.sign(data, firma)
            results[name] = (len(pdfs), time.perf_counter() - started, time.process_time() - cpu)
    return results


def batches(specs: dict[str, SignerSpec], repeat: int, workdir: Path) -> dict[str, float]:
    """Seconds of the fastest full `generate` run, unsigned and per key source."""
    runs = {"unsigned": None, **specs}
    seconds = {}
    for name, spec in runs.items():
        best = None
        for attempt in range(repeat):
            out = workdir / f"out-{len(seconds)}-{attempt}"
            result = generate(Job(template=TEMPLATE, roster=ROSTER, output=out, signer=spec))
            best = result.seconds if best is None else min(best, result.seconds)
        seconds[name] = best
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each full batch")
    parser.add_argument("--skip-batches", action="store_true",
                        help="time signing alone, not the three full batches")
    args = parser.parse_args()
    ca, _conf = pki.shared()  # sets SOFTHSM2_CONF before any worker process starts
    specs = _specs(ca)
    with tempfile.TemporaryDirectory(prefix="oficios-bench-sign-") as tmp:
        alone = sign_only(specs)
        full = {} if args.skip_batches else batches(specs, args.repeat, Path(tmp))
    cores = len(os.sched_getaffinity(0))
    load = os.getloadavg()[0]
    print(f"# bench/sign.py, {dt.date.today()}, {platform.python_version()}, {cores} cores, "
          f"load average {load:.1f} at the end (above {cores}, wall times are inflated)")
    print("signing alone, one process (visible box, PAdES B-B, RSA-2048):")
    for name, (count, seconds, cpu) in alone.items():
        print(f"  {name:9} {count} letters: wall {seconds:6.2f} s = {1000 * seconds / count:5.1f} ms a "
              f"letter; CPU {cpu:6.2f} s = {1000 * cpu / count:5.1f} ms a letter")
    if not full:
        return
    print(f"oficios generate, {cores} workers, PDF + DOCX + archive copy + register (best of "
          f"{args.repeat}):")
    base = full["unsigned"]
    for name, seconds in full.items():
        added = "" if name == "unsigned" else (
            f"  +{seconds - base:5.1f} s = +{1000 * (seconds - base) / 345:5.1f} ms a letter")
        print(f"  {name:9} {seconds:6.1f} s{added}")


if __name__ == "__main__":
    main()
