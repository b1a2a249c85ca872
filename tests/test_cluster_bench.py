"""bench/cluster.py keeps working: run with tiny sizes, it starts its own cluster and reports."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT


@pytest.mark.slow
def test_the_cluster_bench_runs_with_tiny_sizes_and_reports_every_line():
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "cluster.py"), "--letters", "3",
                           "--coordinator", "2", "--format", "pdf"],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("# ") and "formats pdf" in lines[0]
    assert sum(line.startswith("coordinator alone,") for line in lines) == 2
    for executor in ("local", "cluster"):
        [line] = [line for line in lines if line.startswith(executor)]
        assert "3 letters:" in line and "coordinator: peak" in line, line
    # The progress lines (stderr) say how much memory the coordinator held as it rendered.
    assert "3 letters validated, rendering starts; coordinator RSS" in done.stderr
    assert "3/3 letters" in done.stderr
