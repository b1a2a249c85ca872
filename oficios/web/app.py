"""create_app(): the ASGI application that `oficios serve` runs and the tests drive."""

from __future__ import annotations

import threading

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from oficios import i18n
from oficios.web.config import WebConfig
from oficios.web.security import (
    SESSION_COOKIE,
    BodyLimit,
    CsrfRefused,
    Language,
    NotSignedIn,
    RateLimit,
    RateLimited,
)

HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
     b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
]


def create_app(config: WebConfig | None = None) -> FastAPI:
    """The web application over `config`'s templates, output and register."""
    from starlette.middleware.sessions import SessionMiddleware

    from oficios.web import pages, routes_auth, routes_batches, routes_register, routes_verify
    from oficios.web.accounts import Accounts
    from oficios.web.jobs import Jobs

    config = config or WebConfig()
    language = config.language or i18n.language()
    app = FastAPI(title="oficios", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.config = config
    app.state.jobs = Jobs()
    app.state.pages = pages.templates()
    app.state.verify_limit = RateLimit("verificar", config.verify_per_minute)
    app.state.sign_in_limit = RateLimit("entrar", config.sign_in_per_minute)
    with Accounts(config.accounts_path()) as accounts:
        secret = accounts.secret()
    app.mount("/estatico", StaticFiles(directory=pages.TEMPLATES.parent / "static"), name="estatico")
    for module in (routes_auth, routes_batches, routes_register, routes_verify):
        app.include_router(module.router)
    _handlers(app)
    app.add_middleware(SessionMiddleware, secret_key=secret, session_cookie=SESSION_COOKIE,
                       max_age=config.session_seconds, same_site="strict",
                       https_only=config.secure_cookies)
    app.add_middleware(BodyLimit, limit=config.max_upload_bytes + 64 * 1024)
    app.add_middleware(_SecurityHeaders)
    app.add_middleware(Language, language=language)
    # The first preview would pay for loading WeasyPrint; pay it while nobody waits.
    from oficios.web.engine import warm_up

    threading.Thread(target=warm_up, daemon=True, name="precarga").start()
    return app


def _handlers(app: FastAPI) -> None:
    from urllib.parse import quote

    from fastapi.exceptions import RequestValidationError

    from oficios.web.pages import render

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn):
        target = "/entrar?siguiente=" + quote(exc.next_path, safe="/")
        if exc.expired:
            target += "&expirada=1"
        response = RedirectResponse(target, status_code=303)
        return response

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, exc: CsrfRefused):
        return render(request, "error.html", status=403, title=i18n.gettext("Form expired"),
                      message=i18n.gettext("The form was sent without its security token, or "
                                           "from an old page. Open the page again and resend it."))

    @app.exception_handler(RateLimited)
    async def rate_limited(request: Request, exc: RateLimited):
        message = i18n.gettext("Too many verifications from this computer. Wait {seconds} "
                               "seconds and try again.") if exc.what == "verificar" else \
            i18n.gettext("Too many sign-in attempts from this computer. Wait {seconds} seconds "
                         "and try again.")
        response = render(request, "error.html", status=429,
                          title=i18n.gettext("Too many requests"),
                          message=message.format(seconds=exc.retry_after))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        # A hand-edited address or a form sent incomplete: a page, not the framework's JSON.
        return render(request, "error.html", status=400, title=i18n.gettext("Invalid request"),
                      message=i18n.gettext("The address or the form sent is incomplete or not "
                                           "valid. Go back and try again."))

    @app.exception_handler(404)
    async def not_found(request: Request, exc):
        return render(request, "error.html", status=404, title=i18n.gettext("Page not found"),
                      message=i18n.gettext("There is nothing at this address."))


class _SecurityHeaders:
    """ASGI middleware: headers that keep pages out of frames and scripts to our own."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)
