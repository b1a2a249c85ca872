"""What the CLI shows while it works: progress, warnings and the summary (rich lives here)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from oficios.pipeline import Progress, Result


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def warn_if_slow_pdf(formats: tuple[str, ...], quiet: bool) -> None:
    """Says plainly when WeasyPrint will subset fonts without HarfBuzz (much slower)."""
    if "pdf" not in formats:
        return
    from oficios.render_pdf import harfbuzz_subset_available

    if not harfbuzz_subset_available():
        _console(stderr=True).print(
            "[yellow]warning:[/] libharfbuzz-subset0 is not installed: PDFs will be about "
            "2.5x slower to write. Install it (Debian/Ubuntu: apt-get install "
            "libharfbuzz-subset0) or run `make run`, which installs it when it can.")


class _Silent:
    def start(self, total: int) -> None:
        pass

    def advance(self, count: int) -> None:
        pass


class _Bar:
    """A rich progress bar: letters done, letters per second and time left."""

    def __init__(self, bar) -> None:
        self.bar = bar
        self.task = None

    def start(self, total: int) -> None:
        self.task = self.bar.add_task("letters", total=total)

    def advance(self, count: int) -> None:
        self.bar.update(self.task, advance=count)


@contextlib.contextmanager
def progress(quiet: bool) -> Iterator[Progress]:
    """A progress reporter for `pipeline.generate`; silent when quiet or not on a terminal."""
    if quiet or not sys.stderr.isatty():
        yield _Silent()
        return
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress as RichProgress,
                               ProgressColumn, TextColumn, TimeRemainingColumn)
    from rich.text import Text

    class Speed(ProgressColumn):
        def render(self, task) -> Text:
            return Text(f"{task.speed or 0:5.1f} letters/s")

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), Speed(),
               TimeRemainingColumn())
    with RichProgress(*columns, console=_console(stderr=True), transient=True) as bar:
        yield _Bar(bar)


def summary(result: Result, quiet: bool) -> None:
    """Letters, files, time and where they are."""
    if quiet:
        return
    counts = ", ".join(f"{len(paths)} {fmt.upper()}" for fmt, paths in result.files.items())
    console = _console()
    console.print(f"{result.letters} letters ({counts}) in {result.seconds:.1f} s "
                  f"-> {result.folder}", soft_wrap=True)
    how = result.composition
    if how is not None and how.compose:
        console.print(f"PDFs composed: each letter's heading and margins over the layout of its "
                      f"shape, shared by letters with the same body ({how.shared} body)"
                      if how.shared == 1 else
                      f"PDFs composed: each letter's heading and margins over the layout of its "
                      f"shape, shared by letters with the same body ({how.shared} bodies)",
                      soft_wrap=True)
    elif how is not None and result.letters > 1:
        console.print(f"PDFs rendered whole, one by one: {how.reason}", soft_wrap=True)
    if result.combined:
        console.print(f"all letters and the nómina in one PDF/A, for printing and the archive: "
                      f"{result.combined}", soft_wrap=True)
    if result.batch is not None:
        b = result.batch
        console.print(f"registered: {b.oficio}, version {b.version}, batch {b.id} "
                      f"({b.estado}, {b.cartas} letters) in {result.register}", soft_wrap=True)
