"""What the CLI shows while it works: progress, warnings and the summary (rich lives here)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from oficios.i18n import N_, gettext as _, ngettext
from oficios.pipeline import Progress, Result


# A batch's state as the register stores it (Spanish words), and as a person reads it.
STATES = {"completo": N_("complete"), "incompleto": N_("incomplete")}


def state(estado: str) -> str:
    """A batch's register state in the user's language (unknown states as stored)."""
    return _(STATES[estado]) if estado in STATES else estado


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
            "[yellow]" + _("warning:") + "[/] " +
            _("libharfbuzz-subset0 is not installed: PDFs will be about 2.5x slower to write. "
              "Install it (Debian/Ubuntu: apt-get install libharfbuzz-subset0) or run "
              "`make run`, which installs it when it can."), markup=True)


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
        self.task = self.bar.add_task(_("letters"), total=total)

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
            return Text(_("{speed} letters/s").format(speed=f"{task.speed or 0:5.1f}"))

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
    console.print(ngettext("{count} letter ({files}) in {seconds} s -> {folder}",
                           "{count} letters ({files}) in {seconds} s -> {folder}",
                           result.letters).format(count=result.letters, files=counts,
                                                  seconds=f"{result.seconds:.1f}",
                                                  folder=result.folder),
                  soft_wrap=True, markup=False)
    how = result.composition
    if how is not None and how.compose:
        console.print(ngettext("PDFs composed: each letter's heading and margins over the layout "
                               "of its shape, shared by letters with the same body ({count} body)",
                               "PDFs composed: each letter's heading and margins over the layout "
                               "of its shape, shared by letters with the same body ({count} "
                               "bodies)", how.shared).format(count=how.shared),
                      soft_wrap=True, markup=False)
    elif how is not None and result.letters > 1:
        console.print(_("PDFs rendered whole, one by one: {reason}").format(reason=how.reason),
                      soft_wrap=True, markup=False)
    if result.combined:
        console.print(_("all letters and the nómina in one PDF/A, for printing and the archive: "
                        "{path}").format(path=result.combined), soft_wrap=True, markup=False)
    if result.batch is not None:
        b = result.batch
        console.print(ngettext("registered: {oficio}, version {version}, batch {id} ({state}, "
                               "{count} letter) in {register}",
                               "registered: {oficio}, version {version}, batch {id} ({state}, "
                               "{count} letters) in {register}", b.cartas).format(
            oficio=b.oficio, version=b.version, id=b.id, state=state(b.estado), count=b.cartas,
            register=result.register), soft_wrap=True, markup=False)
