"""Batches running in the background: one at a time per template, with live progress.

A batch runs in a thread of the server (the engine's worker processes do the rendering) and
reports to a Run, which the progress page reads, so reloading the page loses nothing. If the
server stops mid-batch, the register keeps the batch 'incompleto'; the register page offers
to resume it, which runs the same template and roster again and completes the same batch.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from oficios.errors import OficiosError


class Busy(Exception):
    """A batch of this template is already running."""

    def __init__(self, run: Run) -> None:
        super().__init__(run.slug)
        self.run = run


@dataclass
class Run:
    """One batch as it runs: who started it, how far it is, how it ended.

    `state` is 'preparando' (validating, starting workers), 'generando', 'completo' or
    'error'; `error` is the message when it failed; `batch_id` the register's batch.
    """

    slug: str
    user: str
    total: int = 0
    done: int = 0
    state: str = "preparando"
    error: str | None = None
    batch_id: int | None = None
    created: float = field(default_factory=time.monotonic)
    started: float | None = None
    finished: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # The engine's Progress protocol.
    def start(self, total: int) -> None:
        with self.lock:
            self.total, self.state, self.started = total, "generando", time.monotonic()

    def advance(self, count: int) -> None:
        with self.lock:
            self.done += count

    @property
    def running(self) -> bool:
        return self.state in ("preparando", "generando")

    def snapshot(self) -> dict:
        """The numbers the progress bar shows: letters done, letters/s, seconds left."""
        with self.lock:
            now = self.finished or time.monotonic()
            elapsed = (now - self.started) if self.started else 0.0
            rate = self.done / elapsed if elapsed > 0 and self.done else 0.0
            left = (self.total - self.done) / rate if rate else None
            return {"estado": self.state, "hechas": self.done, "total": self.total,
                    "por_segundo": round(rate, 1),
                    "restante": None if left is None else round(left),
                    "segundos": round(elapsed, 1), "lote": self.batch_id, "error": self.error}


class Jobs:
    """The server's batches by template slug; refuses a second one for a running template."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[str, Run] = {}

    def get(self, slug: str) -> Run | None:
        """The running or last batch of a template since the server started, or None."""
        with self._lock:
            return self._runs.get(slug)

    def start(self, slug: str, user: str, work: Callable[[Run], int | None]) -> Run:
        """Starts `work(run)` in a thread; raises Busy if this template's batch is running."""
        with self._lock:
            current = self._runs.get(slug)
            if current is not None and current.running:
                raise Busy(current)
            run = self._runs[slug] = Run(slug, user)
        thread = threading.Thread(target=self._work, args=(run, work), daemon=True,
                                  name=f"lote-{slug}")
        thread.start()
        return run

    @staticmethod
    def _work(run: Run, work: Callable[[Run], int | None]) -> None:
        try:
            batch_id = work(run)
            with run.lock:
                run.batch_id, run.state = batch_id, "completo"
        except OficiosError as exc:
            with run.lock:
                run.state, run.error = "error", exc.format()
        except Exception as exc:  # a bug of ours: the page says so instead of hanging
            with run.lock:
                run.state, run.error = "error", f"{type(exc).__name__}: {exc}"
        finally:
            with run.lock:
                run.finished = time.monotonic()

    def wait(self, slug: str, timeout: float = 600.0) -> Run | None:
        """Waits for a template's batch to end (tests and shutdown); the run, or None."""
        deadline = time.monotonic() + timeout
        while (run := self.get(slug)) is not None and run.running and time.monotonic() < deadline:
            time.sleep(0.05)
        return run
