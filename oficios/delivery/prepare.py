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
from oficios.i18n import gettext as _, ngettext
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
        return [RosterError(_("there is no column '{column}' with the e-mail addresses").format(
                                column=mail.column), file=roster.path, row=1,
                            hint=_("add the column, name it with --map {column}=COLUMN, "
                                   "or change [correo] columna in oficio.toml").format(
                                column=mail.column))]
    if not any(r.values.get(mail.column, "").strip() for r in roster.recipients):
        return [RosterError(_("the e-mail column is empty in all {count} rows").format(
                                count=len(roster)), file=roster.path, column=column,
                            hint=_("write each recipient's address, e.g. "
                                   "alcaldia@municipio.cl"))]
    errors: list[OficiosError] = []
    for recipient in roster.recipients:
        try:
            normalize_cell(recipient.values.get(mail.column, ""))
        except AddressProblem as exc:
            errors.append(RosterError(str(exc), file=roster.path,
                                      row=recipient.row, column=column,
                                      hint=_("write an address such as alcaldia@municipio.cl")))
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
        return [_("E-mail: all {count} recipients have a valid address.").format(
            count=len(roster))]
    return [ngettext("E-mail: {count} problem; the letters can be generated, but oficios send "
                     "will send nothing until it is fixed:",
                     "E-mail: {count} problems; the letters can be generated, but oficios send "
                     "will send nothing until they are fixed:", len(problems)).format(
        count=len(problems))] + [f"  - {p.format()}" for p in problems]


def prepare(job: Job, sender: str) -> Plan:
    """Every e-mail of the job's batch, checked and rendered; raises every problem at once."""
    from oficios import pipeline
    from oficios.merge import Merger
    from oficios.output import OutputLayout

    try:
        sender = normalize(sender)
    except AddressProblem as exc:
        raise DeliveryError(_("sender: {reason}").format(reason=exc),
                            hint=_("give --sender with the sender's address")) from None
    template, roster = pipeline.load(job)
    mail = MailTemplate(template)
    errors = _variable_problems(mail, template, roster) + address_problems(template, roster)
    raise_all(errors, _("{path}: {count} problems prevent sending; nothing was sent").format(
        path=roster.path, count="{count}"))
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
    raise_all(errors, _("{path}: {count} letters cannot be sent; nothing was sent").format(
        path=roster.path, count="{count}"))
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
        raise RegisterError(_("there is no register here"), file=path,
                            hint=_("generate the batch first (oficios generate), or give "
                                   "--register"))
    return Register(path, readonly=True)


def _issued_batch(db, template, path: Path):
    """The latest version of the template's oficio in the register: the one that counts."""
    from oficios.register import RegisterError

    oficio = template.text("oficio", "numero")
    batches = [b for b in db.batch(oficio) if b.oficio == oficio]
    if not batches:
        raise RegisterError(_("the register does not have the oficio '{oficio}'").format(
                                oficio=oficio), file=path,
                            hint=_("generate the batch first with oficios generate"))
    return batches[-1]


def _variable_problems(mail: MailTemplate, template, roster) -> list[OficiosError]:
    available = set(roster.columns) | set(template.optional_columns)
    return [TemplateError(_("the e-mail uses '{placeholder}' but the roster {roster} has no "
                            "column '{name}'").format(placeholder=f"{{{{ {name} }}}}",
                                                      roster=roster.path, name=name),
                          file=mail.body_file,
                          hint=_("correct the placeholder or add the column to the roster"))
            for name in sorted(mail.required_variables() - available)]


def _outgoing(recipient, roster, template, mail: MailTemplate, merger, batch, letters, known,
              sender: str) -> Outgoing:
    key = recipient[template.key_column]
    registered = letters.get(key)
    if registered is None:
        raise RosterError(_("the batch {oficio} (version {version}) has no letter for {column} "
                            "{key}").format(oficio=batch.oficio, version=batch.version,
                                            column=template.key_column, key=key),
                          file=roster.path, row=recipient.row,
                          column=roster.headers.get(template.key_column, template.key_column),
                          hint=_("generate that letter first (oficios generate --only ...)"))
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
        raise OutputError(_("the letter of row {row} has no registered {format}").format(
                              row=row, format=fmt.upper()),
                          hint=_("generate the batch with --format pdf,docx to attach the "
                                 "{format}").format(format=fmt.upper()))
    file = Path(path)
    if not file.is_file():
        raise OutputError(_("the letter's registered file is not there"), file=file,
                          hint=_("restore it or generate the batch again"))
    if sha256_file(file) != sha256:
        raise OutputError(_("the file changed since it was registered; it is not sent"), file=file,
                          hint=_("attach only what was issued: restore it or generate the batch "
                                 "again"))
    return Attachment(file, sha256, MIME[fmt])
