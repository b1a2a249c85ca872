"""Signing in and out."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from oficios.i18n import gettext as _
from oficios.web.pages import render
from oficios.web.security import SIGNED_IN_BEFORE, check_csrf, client_of, sign_in

router = APIRouter(dependencies=[Depends(check_csrf)])


def _safe_next(target: str | None) -> str:
    """Only a path of this site: never another site ('//x', 'http://x')."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/entrar")
async def sign_in_page(request: Request, siguiente: str = "/", expirada: int = 0):
    message = _("Your session expired. Sign in again.") if expirada else None
    return render(request, "entrar.html", title=_("Sign in"), next=_safe_next(siguiente),
                  message=message, username="")


@router.post("/entrar")
async def sign_in_form(request: Request, usuario: str = Form(""), clave: str = Form(""),
                       siguiente: str = Form("/")):
    from oficios.web.accounts import Accounts

    request.app.state.sign_in_limit.hit(client_of(request))

    def check() -> str | None:
        with Accounts(request.app.state.config.accounts_path()) as accounts:
            return accounts.check(usuario, clave)

    user = await asyncio.to_thread(check)  # argon2 takes a while: not on the event loop
    if user is None:
        return render(request, "entrar.html", status=401, title=_("Sign in"),
                      next=_safe_next(siguiente), username=usuario,
                      message=_("The user name or the password is not right."))
    sign_in(request, user)
    response = RedirectResponse(_safe_next(siguiente), status_code=303)
    response.set_cookie(SIGNED_IN_BEFORE, "1", max_age=90 * 24 * 3600, httponly=True,
                        samesite="strict", secure=request.app.state.config.secure_cookies)
    return response


@router.post("/salir")
async def sign_out(request: Request):
    request.session.clear()
    response = RedirectResponse("/entrar", status_code=303)
    response.delete_cookie(SIGNED_IN_BEFORE)
    return response
