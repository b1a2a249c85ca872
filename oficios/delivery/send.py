"""Sending a registered batch: check everything, then one e-mail per letter, recorded.

`prepare` reads the template, the roster and the register and builds every message's texts,
reporting every problem at once (addresses, placeholders, letters not generated, files
changed since they were registered) before anything is sent. `deliver` sends them over one
SMTP connection, recording each in the register before and after, so a rerun sends only
what the server has not accepted. `write_eml` writes them as files instead (--dry-run).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from oficios.delivery import ledger as ledger_module
from oficios.delivery.addresses import AddressProblem, normalize, normalize_cell
from oficios.delivery.correo import MailTemplate
from oficios.delivery.ledger import ACCEPTED, SENDING, Delivery, Ledger
from oficios.delivery.message import Attachment, ChangedAttachment, Outgoing, build, message_id
from oficios.delivery.smtp import Connection, DeliveryError, Dropped, Permanent, Settings, Transient
from oficios.errors import OficiosError, OutputError, RosterError, TemplateError, raise_all
from oficios.pipeline import Job, Progress

MIME = {"pdf": "application/pdf",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
MAX_BACKOFF = 300.0  # seconds: the longest wait between two attempts at one message


@dataclass(frozen=True)
class Plan:
    """A batch's e-mails, every one checked: the batch, the register, where drafts go."""

    batch: object  # register.Batch
    register: Path
    folder: Path
    items: tuple[Outgoing, ...]


@dataclass
class Report:
    """What a sending run did: sent now, accepted before, failed, left uncertain."""

    sent: list[Outgoing] = field(default_factory=list)
    already: int = 0
    failed: list[tuple[Outgoing, str]] = field(default_factory=list)
    uncertain: list[tuple[Outgoing, Delivery]] = field(default_factory=list)
    seconds: float = 0.0


def address_problems(template, roster) -> list[OficiosError]:
    """Every recipient whose e-mail address is missing or invalid, with row and column;
    [] when the template sends no e-mail (no [correo] table)."""
    if not MailTemplate.present(template):
        return []
    mail = MailTemplate(template)
    column = roster.headers.get(mail.column, mail.column)
    if mail.column not in roster.columns:
        return [RosterError(f"no hay columna '{mail.column}' con las direcciones de correo",
                            file=roster.path, row=1,
                            hint=f"agregue la columna, nómbrela con --map {mail.column}=COLUMNA, "
                                 "o cambie [correo] columna en oficio.toml")]
    if not any(r.values.get(mail.column, "").strip() for r in roster.recipients):
        return [RosterError(f"la columna de correo está vacía en las {len(roster)} filas",
                            file=roster.path, column=column,
                            hint="escriba la dirección de cada destinatario, p. ej. "
                                 "alcaldia@municipio.cl")]
    errors: list[OficiosError] = []
    for recipient in roster.recipients:
        try:
            normalize_cell(recipient.values.get(mail.column, ""))
        except AddressProblem as exc:
            errors.append(RosterError(str(exc), file=roster.path,
                                      row=recipient.row, column=column,
                                      hint="escriba una dirección como alcaldia@municipio.cl"))
    return errors


def mail_check(template, roster) -> list[str]:
    """What `oficios check` says about e-mail: [] when the template sends none or every
    recipient has a valid address; else a heading and one line per problem. Letters can still
    be generated; `oficios send` refuses until these are fixed."""
    if not MailTemplate.present(template):
        return []
    try:
        problems = address_problems(template, roster)
        mail = MailTemplate(template)
        problems += _variable_problems(mail, template, roster)
    except OficiosError as exc:
        problems = [exc]
    if not problems:
        return [f"Correo: los {len(roster)} destinatarios tienen una dirección válida."]
    plural = "s" if len(problems) > 1 else ""
    return [f"Correo: {len(problems)} problema{plural}; las cartas se pueden generar, pero "
            "oficios send no enviará nada hasta corregirlos:"] + [f"  - {p.format()}" for p in problems]


def prepare(job: Job, sender: str) -> Plan:
    """Every e-mail of the job's batch, checked and rendered; raises every problem at once."""
    from oficios import pipeline
    from oficios.merge import Merger
    from oficios.output import OutputLayout

    try:
        sender = normalize(sender)
    except AddressProblem as exc:
        raise DeliveryError(f"remitente: {exc}", hint="dé --sender con la dirección del remitente") \
            from None
    template, roster = pipeline.load(job)
    mail = MailTemplate(template)
    errors = _variable_problems(mail, template, roster) + address_problems(template, roster)
    raise_all(errors, f"{roster.path}: {{count}} problemas impiden enviar; no se envió nada")
    path = job.register_path()
    with _open_register(path) as db:
        batch = _issued_batch(db, template, path)
        letters = ledger_module.registered_letters(db, batch.id)
        known = ledger_module.states(db, batch.id)
    merger = Merger(template)
    items = []
    for recipient in roster.recipients:
        try:
            items.append(_outgoing(recipient, roster, template, mail, merger, batch, letters,
                                   known, sender))
        except OficiosError as exc:
            errors.append(exc)
    raise_all(errors, f"{roster.path}: {{count}} cartas no se pueden enviar; no se envió nada")
    layout = OutputLayout.for_template(job.output, template.slug)
    return Plan(batch, path, layout.folder, tuple(items))


def status(job: Job) -> tuple[object, list[tuple[str, Delivery | None]]]:
    """The batch the job's e-mails belong to, and each roster recipient's key with its
    delivery (None when nothing was sent yet); reads the register only."""
    from oficios import pipeline

    template, roster = pipeline.load(job)
    path = job.register_path()
    with _open_register(path) as db:
        batch = _issued_batch(db, template, path)
        known = ledger_module.states(db, batch.id)
    keys = [r[template.key_column] for r in roster.recipients]
    return batch, [(key, known.get(key)) for key in keys]


def _open_register(path: Path):
    from oficios.register import Register, RegisterError

    if not path.is_file():
        raise RegisterError("no hay registro aquí", file=path,
                            hint="genere el lote primero (oficios generate), o dé --register")
    return Register(path, readonly=True)


def _issued_batch(db, template, path: Path):
    """The latest version of the template's oficio in the register: the one that counts."""
    from oficios.register import RegisterError

    oficio = template.text("oficio", "numero")
    batches = [b for b in db.batch(oficio) if b.oficio == oficio]
    if not batches:
        raise RegisterError(f"el registro no tiene el oficio '{oficio}'", file=path,
                            hint="genere el lote primero con oficios generate")
    return batches[-1]


def _variable_problems(mail: MailTemplate, template, roster) -> list[OficiosError]:
    available = set(roster.columns) | set(template.optional_columns)
    return [TemplateError(f"el correo usa '{{{{ {name} }}}}' pero la nómina {roster.path} no "
                          f"tiene la columna '{name}'", file=mail.body_file,
                          hint="corrija el marcador o agregue la columna a la nómina")
            for name in sorted(mail.required_variables() - available)]


def _outgoing(recipient, roster, template, mail: MailTemplate, merger, batch, letters, known,
              sender: str) -> Outgoing:
    key = recipient[template.key_column]
    registered = letters.get(key)
    if registered is None:
        raise RosterError(f"el lote {batch.oficio} (versión {batch.version}) no tiene carta "
                          f"para {template.key_column} {key}", file=roster.path, row=recipient.row,
                          column=roster.headers.get(template.key_column, template.key_column),
                          hint="genere esa carta primero (oficios generate --only ...)")
    files = [("pdf", registered.pdf, registered.pdf_sha256)]
    if mail.attach_docx:
        files.append(("docx", registered.docx, registered.docx_sha256))
    attachments = tuple(_attachment(fmt, p, h, recipient.row) for fmt, p, h in files)
    # The letter's own texts, rendered as merge.py does; its body is not needed here.
    context = merger.context(recipient, roster.path)
    for name in ("numero", "materia", "antecedente"):
        context[name] = template.compiled[f"[oficio] {name}"].render(context).strip()
    name = recipient.values.get(template.name_column, "")
    context.update(codigo_verificacion=registered.code, destinatario=name)
    rendered = mail.render(context, recipient.row)
    previous = known.get(key)
    return Outgoing(
        letter_id=registered.id, key=key, name=name, row=recipient.row,
        code=registered.code, oficio=batch.oficio, version=batch.version, sender=sender,
        to=normalize_cell(recipient.values.get(mail.column, "")), cc=mail.cc,
        reply_to=mail.reply_to, subject=rendered.subject, text=rendered.text, html=rendered.html,
        attachments=attachments,
        # Once recorded, a letter's Message-ID never changes (even if the sender does).
        message_id=previous.message_id if previous else message_id(
            batch.oficio, batch.version, key, registered.code, sender))


def _attachment(fmt: str, path: str | None, sha256: str | None, row: int) -> Attachment:
    from oficios.output import sha256_file

    if not path:
        raise OutputError(f"la carta de la fila {row} no tiene {fmt.upper()} registrado",
                          hint=f"genere el lote con --format pdf,docx para adjuntar el {fmt.upper()}")
    file = Path(path)
    if not file.is_file():
        raise OutputError("el archivo registrado de la carta no está", file=file,
                          hint="restáurelo o vuelva a generar el lote")
    if sha256_file(file) != sha256:
        raise OutputError("el archivo cambió desde que se registró; no se envía", file=file,
                          hint="adjunte solo lo emitido: restáurelo o vuelva a generar el lote")
    return Attachment(file, sha256, MIME[fmt])


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


def _send_one(connection: Connection, ledger: Ledger, item: Outgoing, attempts: int,
              backoff: float, resend_uncertain: bool, sleep) -> str | None:
    """Sends one e-mail with retries; None when accepted, else the reply it failed with."""
    try:
        data = build(item)
    except ChangedAttachment as exc:
        raise DeliveryError("el archivo cambió mientras se enviaba el lote; no se envía",
                            file=exc.path, hint="vuelva a ejecutar oficios send") from None
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
                    f"se perdió la conexión con el servidor SMTP y no se pudo recuperar tras "
                    f"{attempts} intentos: {exc}",
                    hint="lo aceptado quedó registrado; vuelva a ejecutar oficios send más "
                         "tarde y se enviará solo lo que falta") from None
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
        raise OutputError(f"no se puede crear el archivo de bloqueo: {exc.strerror}",
                          file=lock_path) from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DeliveryError("otro proceso está enviando correos de este registro",
                                file=register, hint="espere a que termine") from None
        yield
    finally:
        handle.close()
