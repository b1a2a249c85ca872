"""The secretariat's web application: the whole job in the browser, in Spanish.

Laid out as the clerk's path through it:

    config.py    where templates, output, register and accounts are; the limits
    accounts.py  staff accounts (argon2 hashes) in their own SQLite file
    security.py  sessions, CSRF tokens, sign-in requirement, per-client rate limit
    uploads.py   untrusted roster files: size, type by content, zip bombs, stored names
    engine.py    the one module that calls the oficios engine
    jobs.py      batches running in the background, one per template, with progress
    pages.py     Jinja page rendering with the message catalog
    routes_*.py  the pages: sign-in, batches, register, public verification
    app.py       create_app(): the ASGI application the CLI serves and the tests drive
"""

from oficios.web.app import create_app
from oficios.web.config import WebConfig

__all__ = ["WebConfig", "create_app"]
