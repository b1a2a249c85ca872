"""Sending a prepared batch: one e-mail per letter over one SMTP connection, recorded.

Each message is recorded in the register before and after it leaves (ledger.py), so a rerun
sends only what the server has not accepted. `write_eml` writes the messages as files
instead (--dry-run).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from oficios.delivery.ledger import ACCEPTED, SENDING, Delivery, Ledger
from oficios.delivery.message import ChangedAttachment, Outgoing, build
from oficios.delivery.prepare import Plan
from oficios.delivery.smtp import Connection, DeliveryError, Dropped, Permanent, Settings, Transient
from oficios.errors import OutputError
from oficios.i18n import gettext as _, ngettext
from oficios.pipeline import Progress

MAX_BACKOFF = 300.0  # seconds: the longest wait between two attempts at one message


@dataclass
class Report:
    """What a sending run did: sent now, accepted before, failed, left uncertain."""

    sent: list[Outgoing] = field(default_factory=list)
    already: int = 0
    failed: list[tuple[Outgoing, str]] = field(default_factory=list)
    uncertain: list[tuple[Outgoing, Delivery]] = field(default_factory=list)
    seconds: float = 0.0


def eml_path(plan: Plan, item: Outgoing) -> Path:
    """Where --dry-run writes a letter's e-mail: <output>/<oficio>/correo/<key>-<slug>.eml."""
    from oficios.slugs import ascii_slug, key_slug, safe_name

    return plan.folder / "correo" / f"{safe_name(f'{key_slug(item.key)}-{ascii_slug(item.name)}')}.eml"


def write_eml(plan: Plan) -> list[Path]:
    """Writes every e-mail of the plan as an .eml file for review; sends and records nothing."""
    from oficios.output import write_atomic

    return [write_atomic(eml_path(plan, item), build(item)) for item in plan.items]


def deliver(plan: Plan, settings: Settings, *, rate: float | None = None, attempts: int = 5,
            backoff: float = 2.0, resend_uncertain: bool = False,
            progress: Progress | None = None,
            sleep: Callable[[float], None] = time.sleep) -> Report:
    """Sends every e-mail of the plan not yet accepted; returns what happened.

    `rate` None sends as fast as the server takes them, else at most that many messages per
    second. A 4xx reply or a lost connection is retried up to `attempts` times, waiting
    `backoff` seconds, then twice as long each time; a 5xx reply fails that letter. Letters
    left 'enviando' by a stopped run are reported as uncertain and not sent again, unless
    `resend_uncertain` (same Message-ID). Raises DeliveryError when the server cannot be
    used at all (unreachable, login refused); what was accepted until then stays recorded.
    """
    from oficios.register import Register

    started = time.perf_counter()
    report = Report()
    with _sending_lock(plan.register), Register(plan.register) as db:
        ledger = Ledger(db)
        ledger.ensure((o.letter_id, o.version, ", ".join(o.to), o.message_id) for o in plan.items)
        current = ledger.deliveries(plan.batch.id)
        todo = []
        for item in plan.items:
            state = current[item.key].state
            if state == ACCEPTED:
                report.already += 1
            elif state == SENDING and not resend_uncertain:
                report.uncertain.append((item, current[item.key]))
            else:
                todo.append(item)
        if progress:
            progress.start(len(todo))
        pace = _Pace(rate, sleep)
        with Connection(settings) as connection:
            for item in todo:
                pace.wait()
                reply = _send_one(connection, ledger, item, attempts, backoff, resend_uncertain,
                                  sleep)
                if reply is None:
                    report.sent.append(item)
                else:
                    report.failed.append((item, reply))
                if progress:
                    progress.advance(1)
    report.seconds = time.perf_counter() - started
    return report


def confirm_delivered(plan: Plan, keys: list[str]) -> list[str]:
    """Marks as accepted the uncertain e-mails of these letters, found delivered by their
    Message-ID; returns the keys confirmed. DeliveryError for a key that is not uncertain."""
    from oficios.register import Register, now

    by_key = {item.key: item for item in plan.items}
    unknown = [k for k in keys if k not in by_key]
    if unknown:
        raise DeliveryError(_("there is no letter to send with key {keys}").format(
                                keys=", ".join(unknown)),
                            hint=_("use keys of the roster (and of --only, if you gave it)"))
    with _sending_lock(plan.register), Register(plan.register) as db:
        ledger = Ledger(db)
        current = ledger.deliveries(plan.batch.id)
        wrong = [k for k in keys if k not in current or current[k].state != SENDING]
        if wrong:
            raise DeliveryError(
                _("not uncertain ('enviando'): {keys}").format(keys=", ".join(wrong)),
                file=plan.register,
                hint=_("only an e-mail that a stopped sending run left 'enviando' is confirmed "
                       "by hand"))
        for key in keys:
            ledger.confirm(by_key[key].letter_id, f"confirmado a mano {now()}: "
                                                  f"{by_key[key].message_id} fue entregado")
    return list(keys)


def _send_one(connection: Connection, ledger: Ledger, item: Outgoing, attempts: int,
              backoff: float, resend_uncertain: bool, sleep) -> str | None:
    """Sends one e-mail with retries; None when accepted, else the reply it failed with."""
    try:
        data = build(item)
    except ChangedAttachment as exc:
        raise DeliveryError(_("the file changed while the batch was being sent; it is not sent"),
                            file=exc.path, hint=_("run oficios send again")) from None
    for attempt in range(1, attempts + 1):
        last = attempt == attempts
        try:
            connection.envelope(item.sender, item.recipients)
            if not ledger.sending(item.letter_id, resend_uncertain):
                connection.reset()
                return None  # accepted meanwhile: nothing to do
            reply = connection.data(data)
        except Permanent as exc:
            ledger.attempt_failed(item.letter_id, str(exc), final=True)
            return str(exc)
        except Transient as exc:
            ledger.attempt_failed(item.letter_id, str(exc), final=last)
            if last:
                return str(exc)
        except Dropped as exc:
            ledger.attempt_failed(item.letter_id, f"conexión perdida: {exc}", final=False)
            if last:
                raise DeliveryError(
                    ngettext("the connection to the SMTP server was lost and could not be "
                             "recovered after {attempts} attempt: {reason}",
                             "the connection to the SMTP server was lost and could not be "
                             "recovered after {attempts} attempts: {reason}",
                             attempts).format(attempts=attempts, reason=exc),
                    hint=_("what was accepted stays registered; run oficios send again later "
                           "and only what is missing will be sent")) from None
        else:
            ledger.accepted(item.letter_id, reply)
            return None
        sleep(min(backoff * 2 ** (attempt - 1), MAX_BACKOFF))
    raise AssertionError("unreachable")


class _Pace:
    """Keeps at least 1/rate seconds between the starts of two messages."""

    def __init__(self, rate: float | None, sleep) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self.sleep = sleep
        self.next = 0.0

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if now < self.next:
            self.sleep(self.next - now)
            now = self.next
        self.next = now + self.interval


@contextlib.contextmanager
def _sending_lock(register: Path) -> Iterator[None]:
    """One sending process per register at a time (an advisory lock beside it)."""
    import fcntl

    lock_path = register.with_name(register.name + ".envio.lock")
    try:
        handle = open(lock_path, "a+b")  # noqa: SIM115 - held for the whole run
    except OSError as exc:
        raise OutputError(_("the lock file cannot be created: {reason}").format(reason=exc.strerror),
                          file=lock_path) from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DeliveryError(_("another process is sending e-mails of this register"),
                                file=register, hint=_("wait until it finishes")) from None
        yield
    finally:
        handle.close()
