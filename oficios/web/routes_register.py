"""The register: batches, letters searchable, a letter's files and history, export."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from oficios.i18n import gettext as _
from oficios.web import engine, uploads
from oficios.web.pages import render
from oficios.web.security import check_csrf, current_user

router = APIRouter(dependencies=[Depends(check_csrf)])
PAGE = 200  # letters listed at once; the search narrows them


@router.get("/registro")
async def register_page(request: Request, q: str = "", user: str = Depends(current_user)):
    config = request.app.state.config
    register = config.register_path()
    batches = await asyncio.to_thread(engine.batches, register)
    found = await asyncio.to_thread(engine.letters, register, None, q) if q.strip() else []
    running = {run.batch_id for run in _runs(request)}
    resumable = {b.id for b in batches if b.estado == "incompleto" and b.id not in running
                 and uploads.stored(config.uploads_folder(), b.nomina_sha256) is not None}
    return render(request, "registro.html", title=_("Register"), batches=batches, q=q,
                  found=found[:PAGE], total=len(found), resumable=resumable)


def _runs(request: Request):
    jobs = request.app.state.jobs
    return [run for t in engine.templates(request.app.state.config.templates)
            if (run := jobs.get(t.slug)) is not None and run.running]


@router.get("/registro/lotes/{batch_id}")
async def batch_page(request: Request, batch_id: int, q: str = "",
                     user: str = Depends(current_user)):
    register = request.app.state.config.register_path()
    batch = await asyncio.to_thread(engine.batch, register, batch_id)
    if batch is None:
        raise HTTPException(404)
    letters = await asyncio.to_thread(engine.letters, register, batch_id, q)
    return render(request, "lote.html", title=_("Batch {id}").format(id=batch.id), batch=batch,
                  letters=letters, q=q)


@router.get("/registro/cartas/{code}")
async def letter_page(request: Request, code: str, user: str = Depends(current_user)):
    register = request.app.state.config.register_path()
    letter, versions, batches = await asyncio.to_thread(engine.letter_history, register, code)
    if letter is None:
        raise HTTPException(404)
    return render(request, "carta.html", title=_("Letter {code}").format(code=code),
                  letter=letter, versions=versions, batches=batches)


@router.get("/registro/exportar.csv")
async def export(request: Request, user: str = Depends(current_user)):
    register = request.app.state.config.register_path()
    text = await asyncio.to_thread(engine.export_csv, register)
    return Response(text.encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="registro-cartas.csv"'})
