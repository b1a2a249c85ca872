"""The public verification page: upload a letter or type its code; no sign-in, rate-limited."""

from __future__ import annotations

import asyncio
import re
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Request, UploadFile

from oficios.errors import OficiosError
from oficios.i18n import gettext as _
from oficios.web import engine
from oficios.web.pages import render
from oficios.web.security import check_csrf, client_of
from oficios.web.uploads import read_limited

router = APIRouter(dependencies=[Depends(check_csrf)])
CODE = re.compile(r"^[A-Z2-7]{4}-?[A-Z2-7]{4}-?[A-Z2-7]{2}$")
SUFFIXES = {b"%PDF": ".pdf", b"PK\x03\x04": ".docx"}


@router.get("/verificar")
async def verify_page(request: Request, codigo: str = ""):
    if not codigo.strip():
        return render(request, "verificar.html", title=_("Verify a letter"), verdict=None,
                      code="", problem=None)
    request.app.state.verify_limit.hit(client_of(request))
    code = codigo.strip().upper().replace(" ", "")
    if not CODE.match(code):
        return render(request, "verificar.html", status=400, title=_("Verify a letter"),
                      verdict=None, code=codigo,
                      problem=_("A verification code looks like K7QX-2M4P-9D: ten letters "
                                "and digits. Check what you typed."))
    if "-" not in code:
        code = f"{code[:4]}-{code[4:8]}-{code[8:]}"
    return await _answer(request, lambda register: engine.verify_code(code, register), code)


@router.post("/verificar")
async def verify_upload(request: Request, archivo: Annotated[UploadFile | None, File()] = None):
    request.app.state.verify_limit.hit(client_of(request))
    config = request.app.state.config
    try:
        if archivo is None or not archivo.filename:
            raise OficiosError(_("choose the PDF or DOCX file to verify"))
        data = await read_limited(archivo, config.max_upload_bytes)
    except OficiosError as exc:
        return render(request, "verificar.html", status=400, title=_("Verify a letter"),
                      verdict=None, code="", problem=exc.message)
    suffix = next((s for magic, s in SUFFIXES.items() if data.startswith(magic)), ".bin")

    def check(register: Path):
        # The sent name is never used: the file is checked under a name of ours.
        with tempfile.TemporaryDirectory(prefix="oficios-verificar-") as folder:
            path = Path(folder) / f"carta{suffix}"
            path.write_bytes(data)
            return engine.verify_file(path, register)

    return await _answer(request, check, "")


async def _answer(request: Request, ask, code: str):
    register = request.app.state.config.register_path()
    if not register.is_file():
        verdict, problem = None, _("This server has not issued any letter yet.")
    else:
        try:
            verdict, problem = await asyncio.to_thread(ask, register), None
        except OficiosError:
            verdict, problem = None, _("The register cannot be read now. Try again later.")
    return render(request, "verificar.html", title=_("Verify a letter"), verdict=verdict,
                  code=code, problem=problem)
