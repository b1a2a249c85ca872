"""Delivery of registered letters by e-mail, recorded in the register.

    correo.py     the template's [correo] table and correo.md -> subject, text and HTML
    addresses.py  e-mail addresses checked (the only module that imports email-validator)
    message.py    one letter's e-mail as MIME, its Message-ID (the only one importing `email`)
    smtp.py       the SMTP connection (the only module that imports smtplib)
    ledger.py     the register's `entregas` table: pendiente -> enviando -> aceptado/fallido
    send.py       prepare (check everything first), deliver (send, record), write_eml (drafts)
"""

from oficios.delivery.ledger import (ACCEPTED, FAILED, PENDING, SENDING, Delivery, delivery_line,
                                     states)
from oficios.delivery.send import (Plan, Report, address_problems, deliver, mail_check, prepare,
                                   status, write_eml)
from oficios.delivery.smtp import PASSWORD_VARIABLE, DeliveryError, Settings

__all__ = ["ACCEPTED", "FAILED", "PENDING", "SENDING", "PASSWORD_VARIABLE", "Delivery", "delivery_line",
           "DeliveryError", "Plan", "Report", "Settings", "address_problems", "deliver", "mail_check",
           "prepare", "states", "status", "write_eml"]
