"""The coordinating process's memory does not grow with the roster's length.

Measured with tracemalloc in this process only (the renderers are worker processes), at two
sizes of the bundled roster repeated with distinct keys: what each further letter costs, in
bytes, and no time is measured. DOCX only, so that rendering is cheap; the coordinator's work
per letter (merge, validate, hand out, receive, write, register) is the same for a PDF.
"""

from __future__ import annotations

import gc
import importlib.util
import tracemalloc

import pytest

from conftest import ROOT, TEMPLATE
from oficios.pipeline import Job, generate

SMALL, LARGE = 200, 1700
# Bytes the coordinator may keep per letter. Measured on 2026-11-25: holding every merged
# letter, as oficios once did, kept 3.1 KB a letter before rendering; the roster read into
# dicts of strings kept ≈ 1.2 KB a row, and each file's path and SHA-256 in Result and a set
# of every recorded file ≈ 0.35 KB more by the last letter. Now ≈ 230 bytes before rendering
# (the roster packed, ≈ its own bytes a row, and the keys seen) and nothing measurable more
# by the last letter (a DOCX's path and hash in Result, ≈ 0.15 KB, against noise).
BEFORE_RENDERING = 400
WHILE_RENDERING = 150


def repeated_roster(folder, n: int):
    """The bundled roster repeated to n rows, the copies with new codes and names: the bench's
    own (bench/batch.py make_roster), so test and bench measure the same rosters."""
    spec = importlib.util.spec_from_file_location("bench_batch", ROOT / "bench" / "batch.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench.make_roster(n, folder)


class _Memory:
    """A progress report that notes the traced memory when rendering starts (everything the
    batch keeps from reading and validating the roster) and how much more it holds when the
    last letter has been rendered (what it keeps of every letter written)."""

    def start(self, total: int) -> None:
        self.total, self.done = total, 0
        self.at_start = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()

    def advance(self, count: int) -> None:
        self.done += count
        if self.done == self.total:
            gc.collect()
            self.while_rendering = tracemalloc.get_traced_memory()[0] - self.at_start


def _batch(tmp_path, n: int, traced: bool = True) -> _Memory:
    job = Job(template=TEMPLATE, roster=repeated_roster(tmp_path, n), output=tmp_path / f"out-{n}",
              formats=("docx",), workers=2)
    memory = _Memory()
    gc.collect()
    if traced:
        tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = generate(job, progress=memory)
        memory.at_start -= before
    finally:
        tracemalloc.stop()
    assert result.letters == n and len(result.files["docx"]) == n
    return memory


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    folder = tmp_path_factory.mktemp("memoria")
    # Untraced first, at the larger size: imports everything a batch needs, and lets the
    # interpreter's own tables grow once to what such a batch needs (Python's table of
    # interned strings, which every path's parts go through, grew by 3.8 MB in one step
    # during a measured run when earlier tests had filled it: not something kept per letter).
    _batch(tmp_path_factory.mktemp("calentar"), LARGE, traced=False)  # a batch of its own
    small, large = _batch(folder, SMALL), _batch(folder, LARGE)
    return small, large


def _per_letter(small: float, large: float) -> float:
    return (large - small) / (LARGE - SMALL)


def test_validating_the_roster_keeps_nothing_of_each_letter_but_its_row(measured):
    small, large = measured
    grows = _per_letter(small.at_start, large.at_start)
    assert grows < BEFORE_RENDERING, f"{grows:.0f} bytes a letter kept before rendering"


def test_rendering_holds_only_the_letters_in_flight_and_the_files_names(measured):
    small, large = measured
    grows = _per_letter(small.while_rendering, large.while_rendering)
    assert grows < WHILE_RENDERING, f"{grows:.0f} bytes a letter more by the last letter"


def test_the_result_still_gives_each_file_as_a_path_with_its_sha256(tmp_path):
    import hashlib
    from pathlib import Path

    result = generate(Job(template=TEMPLATE, roster=repeated_roster(tmp_path, 3),
                          output=tmp_path / "out", formats=("docx",), workers=1))
    files = result.files["docx"]
    assert len(files) == 3 and [path.name[:5] for path in files] == ["01101", "01107", "01401"]
    assert isinstance(files[-1], Path) and files[-1] == files[2] and files[:2] == [files[0], files[1]]
    for path in files:
        assert result.sha256[path] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert set(result.sha256) == set(files)
