"""Times the default batch (bundled template and roster, PDF + DOCX) and prints figures.

Run: `make bench` or `.venv/bin/python bench/batch.py [--formats pdf,docx] [--only CUT,...]`.
A benchmark, not a test: it prints wall time, ms per letter and peak memory.
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from oficios.pipeline import Job, generate  # noqa: E402
from oficios.render_pdf import harfbuzz_subset_available  # noqa: E402


def peak_mb() -> float:
    """Peak resident memory of this process and its finished children, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--formats", default="pdf,docx")
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    formats = tuple(args.formats.split(","))
    only = tuple(args.only.split(",")) if args.only else None
    with tempfile.TemporaryDirectory() as out:
        job = Job(template=ROOT / "templates/mideplan-01-A-264",
                  roster=ROOT / "recipients/municipalidades.csv", output=Path(out),
                  formats=formats, only=only)
        started = time.perf_counter()
        result = generate(job)
        wall = time.perf_counter() - started
    print(f"machine: {platform.machine()}, {__import__('os').cpu_count()} cores, "
          f"Python {platform.python_version()}, harfbuzz-subset: {harfbuzz_subset_available()}")
    print(f"default batch: {result.letters} letters, formats {','.join(formats)}: "
          f"{wall:.1f} s wall, {1000 * wall / result.letters:.0f} ms/letter, "
          f"peak memory {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
