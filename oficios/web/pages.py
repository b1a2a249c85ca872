"""Pages: the Jinja environment (autoescaped, with the message catalog) and page rendering."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

from oficios import i18n
from oficios.web.security import csrf_token

TEMPLATES = Path(__file__).resolve().parent / "templates"


def templates() -> Jinja2Templates:
    """The page templates: every value autoescaped; `_()` and `ngettext()` from the catalog."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             autoescape=jinja2.select_autoescape(default=True),
                             extensions=["jinja2.ext.i18n"], undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_callables(lambda m: i18n.gettext(m),
                                  lambda s, p, n: i18n.ngettext(s, p, n), newstyle=True)
    env.policies["ext.i18n.trimmed"] = True  # as babel.cfg extracts them
    env.filters["miles"] = thousands
    return Jinja2Templates(env=env, context_processors=[_common])


def _common(request: Request) -> dict:
    return {"user": request.session.get("usuario"), "csrf": csrf_token(request),
            "lang": i18n.language(), "path": request.url.path}


def thousands(value: int | float) -> str:
    """A number as Spanish writes it: 1.234 (a dot between thousands); English: 1,234."""
    text = f"{value:,}"
    return text.replace(",", ".") if i18n.language() == "es" else text


def render(request: Request, name: str, status: int = 200, **context):
    """The page `name` with `context`."""
    return request.app.state.pages.TemplateResponse(request, name, context, status_code=status)
