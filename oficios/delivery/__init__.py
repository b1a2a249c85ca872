"""Delivery of registered letters by e-mail, recorded in the register.

    correo.py     the template's [correo] table and correo.md -> subject, text and HTML
    addresses.py  e-mail addresses checked (the only module that imports email-validator)
    message.py    one letter's e-mail as MIME, its Message-ID (the only one importing `email`)
    smtp.py       the SMTP connection (the only module that imports smtplib)
    ledger.py     the register's `entregas` table: pendiente -> enviando -> aceptado/fallido
    prepare.py    every e-mail of a batch checked and rendered before anything is sent
    send.py       deliver (send over one connection, record, retry), write_eml (drafts)
"""

from oficios.delivery.ledger import (ACCEPTED, FAILED, PENDING, SENDING, Delivery, delivery_line,
                                     state_text, states)
from oficios.delivery.prepare import Plan, address_problems, mail_check, prepare, status
from oficios.delivery.send import Report, confirm_delivered, deliver, write_eml
from oficios.delivery.smtp import PASSWORD_VARIABLE, DeliveryError, Settings

__all__ = ["ACCEPTED", "FAILED", "PENDING", "SENDING", "PASSWORD_VARIABLE", "Delivery",
           "DeliveryError", "Plan", "Report", "Settings", "address_problems", "confirm_delivered",
           "deliver", "delivery_line", "mail_check", "prepare", "state_text", "states", "status",
           "write_eml"]
