"""Sessions, CSRF tokens, the sign-in requirement, the per-client rate limit, body limits.

Sessions are Starlette's signed cookies (itsdangerous), which expire after a time without
use. Every POST carries the session's CSRF token (a hidden form field) and is refused
without it. The verification page is public and rate-limited per client address.
"""

from __future__ import annotations

import collections
import secrets
import threading
import time

from fastapi import Request

SESSION_COOKIE = "oficios_sesion"
# Set at sign-in, removed at sign-out: a browser holding it without a session has seen its
# session expire (the session cookie itself is dropped by the browser when it runs out).
SIGNED_IN_BEFORE = "oficios_entro"
CSRF_FIELD = "csrf"


class NotSignedIn(Exception):
    """The page needs a signed-in clerk; `expired` when the session cookie had run out."""

    def __init__(self, next_path: str, expired: bool) -> None:
        super().__init__(next_path)
        self.next_path = next_path
        self.expired = expired


class CsrfRefused(Exception):
    """A POST without the session's CSRF token."""


class RateLimited(Exception):
    """Too many requests from one client; `retry_after` seconds to wait; `what` was asked
    ('verificar' or 'entrar')."""

    def __init__(self, retry_after: int, what: str) -> None:
        super().__init__(retry_after)
        self.retry_after, self.what = retry_after, what


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def check_csrf(request: Request) -> None:
    """Refuses a POST whose form lacks the session's token (a dependency of every router)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    expected = request.session.get("csrf")
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        raise CsrfRefused()


def current_user(request: Request) -> str:
    """The signed-in clerk's name (a dependency); NotSignedIn sends them to the sign-in page."""
    user = request.session.get("usuario")
    if not user:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise NotSignedIn(path, expired=SIGNED_IN_BEFORE in request.cookies)
    return user


def sign_in(request: Request, user: str) -> None:
    """A fresh session for the clerk (a new CSRF token too: no fixation)."""
    request.session.clear()
    request.session["usuario"] = user
    request.session["csrf"] = secrets.token_urlsafe(32)


class RateLimit:
    """At most `limit` requests per client in any `window` seconds (a sliding window)."""

    def __init__(self, what: str, limit: int, window: float = 60.0) -> None:
        self.what, self.limit, self.window = what, limit, window
        self._seen: dict[str, collections.deque] = {}
        self._lock = threading.Lock()

    def hit(self, client: str) -> None:
        """Counts a request; RateLimited if the client is over the limit."""
        now = time.monotonic()
        with self._lock:
            if len(self._seen) > 10_000:  # forget idle clients; bounds memory
                self._seen = {k: v for k, v in self._seen.items() if v and v[-1] > now - self.window}
            seen = self._seen.setdefault(client, collections.deque())
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            if len(seen) >= self.limit:
                raise RateLimited(max(1, int(seen[0] + self.window - now) + 1), self.what)
            seen.append(now)


def client_of(request: Request) -> str:
    """The client's address (the server listens on 127.0.0.1 or behind one proxy it trusts)."""
    return request.client.host if request.client else "?"


class BodyLimit:
    """ASGI middleware: refuses a request body over `limit` bytes with 413, before it is parsed."""

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            return await _too_large(scope, send)
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise _BodyTooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await _too_large(scope, send)


class _BodyTooLarge(Exception):
    pass


async def _too_large(scope, send) -> None:
    from oficios.i18n import gettext as _
    from oficios.i18n import language

    body = ("<!doctype html><html lang=\"{lang}\"><meta charset=\"utf-8\"><title>{t}</title>"
            "<p>{m}</p><p><a href=\"/\">{b}</a></p></html>").format(
        lang=language(), t=_("File too large"), m=_("The file sent is larger than this server accepts."),
        b=_("Back")).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/html; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class Language:
    """ASGI middleware: the server's language for everything said while answering a request."""

    def __init__(self, app, language: str) -> None:
        self.app, self.language = app, language

    async def __call__(self, scope, receive, send):
        from oficios.i18n import current

        token = current.set(self.language)
        try:
            await self.app(scope, receive, send)
        finally:
            current.reset(token)
