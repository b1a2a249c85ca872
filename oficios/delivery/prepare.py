"""Before sending: every e-mail of a registered batch, checked and rendered.

`prepare` reads the template, the roster and the register and builds every message's texts,
reporting every problem at once (addresses, placeholders, letters not generated, files
changed since they were registered) before anything is sent; send.py sends what it returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from oficios.delivery import ledger as ledger_module
from oficios.delivery.addresses import AddressProblem, normalize, normalize_cell
from oficios.delivery.correo import MailTemplate
from oficios.delivery.ledger import Delivery
from oficios.delivery.message import Attachment, Outgoing, message_id
from oficios.delivery.smtp import DeliveryError
from oficios.errors import OficiosError, OutputError, RosterError, TemplateError, raise_all
from oficios.pipeline import Job

MIME = {"pdf": "application/pdf",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


@dataclass(frozen=True)
class Plan:
    """A batch's e-mails, every one checked: the batch, the register, where drafts go."""

    batch: object  # register.Batch
    register: Path
    folder: Path
    items: tuple[Outgoing, ...]


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
