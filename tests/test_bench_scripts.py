"""The bench scripts still run: each with tiny arguments, as a subprocess, checking what it prints.

They are not imported by anything else, so a change of a function they call broke two of them
without a test noticing; these runs catch that (the figures themselves are not judged here).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _bench(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    return done.stdout


def test_profile_pdf_prints_every_stage_of_a_whole_letter():
    out = _bench("bench/profile_pdf.py", "--letters", "2")
    for stage in ("WeasyPrint: style + layout", "WeasyPrint: draw + write PDF", "total"):
        assert stage in out


def test_profile_compose_prints_every_stage_of_a_composed_letter():
    out = _bench("bench/profile_compose.py", "--letters", "4")
    for stage in ("own layers: stamped lines", "compose (pikepdf/qpdf)", "DOCX",
                  "archive copy (main process)", "A PDF rendered whole"):
        assert stage in out


def test_the_batch_bench_runs_a_small_repeated_roster():
    out = _bench("bench/batch.py", "--letters", "30", "--skip-naive")
    assert "default batch    : 30 letters" in out
    assert "PDFs composed" in out
