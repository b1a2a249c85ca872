"""The message catalog: every text people read, Spanish by default, English on request.

Messages are written in English in the code (`_("Sign in")`) and translated by one gettext
catalog, `oficios/locale/<lang>/LC_MESSAGES/oficios.po`, managed with Babel's tools
(`make catalog`: pybabel extract + update). The .po files are read at run time and compiled
to a cached .mo beside them whenever the .po is newer, so there is no compile step to forget.
The language is Spanish unless `OFICIOS_LANG`, or else the POSIX locale variables
(`LC_ALL`, `LC_MESSAGES`, `LANG`), ask for English.
"""

from __future__ import annotations

import functools
import gettext as _gettext
import io
import os
from contextvars import ContextVar
from collections.abc import Mapping
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "oficios"
DEFAULT = "es"
LANGUAGES = ("es", "en")  # "en" is the language of the message ids: it needs no catalog
_VARIABLES = ("OFICIOS_LANG", "LC_ALL", "LC_MESSAGES", "LANG")
# Set by a server for the request it is answering; None: the environment decides.
current: ContextVar[str | None] = ContextVar("oficios_language", default=None)


def language(environ: Mapping[str, str] | None = None) -> str:
    """The language to speak: 'es' or 'en', from the environment (os.environ if None).

    With no `environ`, a language set in `current` (by the web server) wins.

    The first variable set to a real locale decides; "C" and "POSIX" say nothing, so a
    container's LANG=C.UTF-8 keeps the default, Spanish.
    """
    if environ is None and (chosen := current.get()) is not None:
        return chosen
    environ = os.environ if environ is None else environ
    for name in _VARIABLES:
        value = (environ.get(name) or "").strip()
        code = value.split(".")[0].split("@")[0].replace("-", "_").lower()
        if not code or code in ("c", "posix"):
            continue
        code = code.split("_")[0]
        return code if code in LANGUAGES else DEFAULT
    return DEFAULT


@functools.lru_cache(maxsize=None)
def translations(lang: str) -> _gettext.NullTranslations:
    """The catalog of a language; for English (the message ids) or an unknown one, none."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang == "en" or not po.is_file():
        return _gettext.NullTranslations()
    return _gettext.GNUTranslations(io.BytesIO(_compiled(po)))


def _compiled(po: Path) -> bytes:
    """The .po compiled to .mo bytes; kept beside it (oficios.mo, newer than the .po) when the
    folder can be written, because reading a .po with Babel costs every command ~0.2 s."""
    mo = po.with_suffix(".mo")
    try:
        if mo.stat().st_mtime_ns >= po.stat().st_mtime_ns:
            return mo.read_bytes()
    except OSError:
        pass
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        catalog = read_po(f, locale=po.parent.parent.name, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)  # fuzzy entries are left out, as msgfmt does
    data = buffer.getvalue()
    try:  # written whole under another name, then renamed: a reader never sees half of it
        part = mo.with_name(f".{mo.name}.{os.getpid()}.part")
        part.write_bytes(data)
        os.replace(part, mo)
    except OSError:  # a read-only installation: compile each time
        pass
    return data


def gettext(message: str, lang: str | None = None) -> str:
    """`message` in the language asked for (the environment's if None)."""
    return translations(lang or language()).gettext(message)


def ngettext(singular: str, plural: str, count: int, lang: str | None = None) -> str:
    """The singular or plural form for `count`, in the language asked for."""
    return translations(lang or language()).ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Marks `message` for the catalog where it cannot be translated yet (a help text written
    at import time); whoever shows it passes it through `gettext` then."""
    return message


_ = gettext
