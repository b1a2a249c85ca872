"""A new batch: template, roster upload and its problems, column map, preview, generation,
progress and downloads."""

from __future__ import annotations

import asyncio
import base64
import json
import shlex
import time
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, StreamingResponse
from starlette.background import BackgroundTask

from oficios.errors import OficiosError
from oficios.i18n import gettext as _
from oficios.i18n import language
from oficios.web import engine, uploads
from oficios.web.jobs import Busy, Run
from oficios.web.pages import render
from oficios.web.security import check_csrf, current_user

router = APIRouter(dependencies=[Depends(check_csrf)])
MAP_PREFIX = "col_"
DOWNLOADS = {"pdf.zip": "pdf", "docx.zip": "docx", "archivo.pdf": "archivo", "nomina.csv": "nomina"}


def _config(request: Request):
    return request.app.state.config


def _templates(request: Request) -> list[engine.TemplateInfo]:
    return engine.templates(_config(request).templates)


def _template(request: Request, slug: str) -> engine.TemplateInfo:
    found = next((t for t in _templates(request) if t.slug == slug and t.error is None), None)
    if found is None:
        raise HTTPException(404)
    return found


def _upload(request: Request, plantilla: str, nomina: str):
    """The server's settings, the chosen template and the stored roster (404 if either is
    not there)."""
    config = _config(request)
    template = _template(request, plantilla)
    roster = uploads.stored(config.uploads_folder(), nomina)
    if roster is None:
        raise HTTPException(404)
    return config, template, roster


def _column_map(params, template: engine.TemplateInfo) -> dict[str, str]:
    """The column map from a form or query: `col_<name>=<header>` for the template's names."""
    chosen = {}
    for name in template.columns:
        value = params.get(MAP_PREFIX + name)
        if isinstance(value, str) and value.strip():
            chosen[name] = value.strip()
    return chosen


def _review_url(slug: str, sha: str, shown: str, column_map: dict[str, str], **extra) -> str:
    query = {"plantilla": slug, "nomina": sha, "nombre": shown}
    query.update({MAP_PREFIX + k: v for k, v in column_map.items()})
    query.update(extra)
    return "/lotes/revisar?" + urlencode(query)


@router.get("/")
async def home(request: Request, user: str = Depends(current_user)):
    return RedirectResponse("/lotes/nuevo", status_code=303)


@router.get("/lotes/nuevo")
async def new_batch(request: Request, plantilla: str = "", user: str = Depends(current_user)):
    return _new_page(request, plantilla)


def _new_page(request: Request, chosen: str, status: int = 200, problem=None):
    templates = _templates(request)
    runs = {t.slug: request.app.state.jobs.get(t.slug) for t in templates}
    return render(request, "nuevo.html", status=status, title=_("New batch"), templates=templates,
                  chosen=chosen or (templates[0].slug if templates else ""), runs=runs,
                  problem=problem, max_mb=_config(request).max_upload_bytes // (1024 * 1024))


@router.post("/lotes/nuevo")
async def upload_roster(request: Request, plantilla: str = Form(""),
                        nomina: Annotated[UploadFile | None, File()] = None,
                        user: str = Depends(current_user)):
    template = _template(request, plantilla)
    config = _config(request)
    try:
        if nomina is None or not nomina.filename:
            raise OficiosError(_("choose the roster file to upload"))
        data = await uploads.read_limited(nomina, config.max_upload_bytes)
        stored = await asyncio.to_thread(
            uploads.store, data, nomina.filename, config.uploads_folder(),
            max_unzipped=config.max_unzipped_bytes, max_rows=config.max_rows)
    except OficiosError as exc:
        return _new_page(request, template.slug, status=400, problem=engine.problems_of(exc)[0])
    return RedirectResponse(_review_url(template.slug, stored.sha256, stored.shown_name, {}),
                            status_code=303)


@router.get("/lotes/revisar")
async def review(request: Request, plantilla: str, nomina: str, nombre: str = "", ver: str = "",
                 user: str = Depends(current_user)):
    config, template, roster = _upload(request, plantilla, nomina)
    column_map = _column_map(request.query_params, template)
    checked = await asyncio.to_thread(engine.check, template, roster, column_map)
    if len(checked.recipients) > config.max_rows:
        checked = engine.Checked(problems=[engine.Problem(
            _("the roster has {count} recipients; at most {limit} are accepted at a time").format(
                count=len(checked.recipients), limit=config.max_rows))],
            headers=checked.headers, columns=checked.columns)
    elif checked.recipients and not ver:
        engine.prepare_preview(template, roster, config.output)
    pages, seconds, preview_problem = [], None, None
    keys = {k for k, _name in checked.recipients}
    if ver and ver in keys:
        started = time.perf_counter()
        try:
            images = await asyncio.to_thread(engine.preview, template, roster, column_map, ver,
                                             config.output)
            pages = [base64.b64encode(image).decode() for image in images]
        except OficiosError as exc:
            preview_problem = engine.problems_of(exc)[0]
        seconds = time.perf_counter() - started
    run = request.app.state.jobs.get(template.slug)
    if seconds is not None:
        from babel.numbers import format_decimal

        seconds = format_decimal(seconds, format="0.00", locale=language())
    return render(request, "revisar.html", title=_("Review the roster"), template=template,
                  sha=nomina, shown=uploads.shown_name(nombre), checked=checked,
                  column_map=column_map, map_prefix=MAP_PREFIX, chosen_key=ver, pages=pages,
                  seconds=seconds, preview_problem=preview_problem,
                  running=run if run is not None and run.running else None)


@router.post("/lotes/generar")
async def start_batch(request: Request, plantilla: str = Form(...), nomina: str = Form(...),
                      nombre: str = Form(""), reemision: str = Form(""), motivo: str = Form(""),
                      user: str = Depends(current_user)):
    config, template, roster = _upload(request, plantilla, nomina)
    column_map = _column_map(await request.form(), template)
    refusal = await asyncio.to_thread(_reissue_refusal, config, template, nomina, bool(reemision),
                                      motivo)
    if refusal:
        return render(request, "error.html", status=409, title=_("Not generated"),
                      message=refusal, link=_review_url(template.slug, nomina,
                                                        uploads.shown_name(nombre), column_map),
                      link_text=_("Back to the roster"))
    command = ["oficios", "web", "--usuario", user, "--nomina", uploads.shown_name(nombre)]
    for name, header in column_map.items():
        command += ["--map", f"{name}={header}"]
    return _start(request, template, roster, column_map, user, shlex.join(command),
                  reissue=bool(reemision), reason=motivo)


def _reissue_refusal(config, template, sha: str, reissue: bool, reason: str) -> str | None:
    """Why the register would refuse this batch, said for the page; None if it would not.

    Asked before starting, so the clerk reads what to tick, not the command line's options.
    """
    latest = engine.latest_batch(config.register_path(), template.numero)
    if reissue and not reason.strip():
        return _("A re-issue needs its reason: write why the oficio is issued again.")
    if reissue and latest is None:
        return _("This oficio has not been issued yet: untick the re-issue.")
    if not reissue and latest is not None and \
            (latest.plantilla_sha256, latest.nomina_sha256) != (engine.template_sha256(template), sha):
        return _("This oficio was already issued (version {version}, {when}) with another "
                 "template or roster. To issue it again, tick «This is a re-issue with new "
                 "content» and write the reason; or give the new letter its own number.").format(
            version=latest.version, when=latest.generado_en.replace("T", " ")[:16])
    return None


def _start(request: Request, template, roster, column_map, user, command, reissue=False, reason=""):
    config = _config(request)
    batch_job = engine.job(template, roster, column_map, output=config.output,
                           register=config.register_path(), workers=config.workers,
                           command=command, reissue=reissue, reason=reason)
    try:
        request.app.state.jobs.start(template.slug, user,
                                     lambda run: engine.generate(batch_job, run))
    except Busy as busy:
        return render(request, "error.html", status=409, title=_("A batch is running"),
                      message=_("A batch of this oficio is already being generated (started by "
                                "{user}). Wait for it to finish.").format(user=busy.run.user),
                      link=f"/lotes/en-curso/{template.slug}", link_text=_("See its progress"))
    return RedirectResponse(f"/lotes/en-curso/{template.slug}", status_code=303)


@router.get("/lotes/en-curso/{slug}")
async def progress_page(request: Request, slug: str, user: str = Depends(current_user)):
    template = _template(request, slug)
    run = request.app.state.jobs.get(slug)
    if run is None:
        return RedirectResponse("/registro", status_code=303)
    state = run.snapshot()
    title = {"completo": _("Batch generated"), "error": _("The batch stopped")}.get(
        state["estado"], _("Generating"))
    return render(request, "progreso.html", title=title, template=template, run=run,
                  state=state, text=progress_text(state))


@router.get("/lotes/en-curso/{slug}/eventos")
async def progress_events(request: Request, slug: str, user: str = Depends(current_user)):
    run = request.app.state.jobs.get(slug)
    if run is None:
        raise HTTPException(404)
    return StreamingResponse(_events(request, run), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


async def _events(request: Request, run: Run):
    last = None
    while True:
        state = run.snapshot()
        state["texto"] = progress_text(state)
        message = json.dumps(state, ensure_ascii=False)
        if message != last:
            yield f"data: {message}\n\n"
            last = message
        if state["estado"] in ("completo", "error") or await request.is_disconnected():
            return
        await asyncio.sleep(0.25)


def progress_text(state: dict) -> str:
    """'120 of 345 letters · 21.5 letters/s · 11 s left', in the page's language."""
    from babel.numbers import format_decimal

    lang = language()
    if state["estado"] == "preparando":
        return _("Checking the roster and starting the workers…")
    text = _("{done} of {total} letters").format(
        done=format_decimal(state["hechas"], locale=lang),
        total=format_decimal(state["total"], locale=lang))
    if state["por_segundo"]:
        text += " · " + _("{rate} letters/s").format(
            rate=format_decimal(state["por_segundo"], format="#,##0.0", locale=lang))
    left = state["restante"]
    if state["estado"] == "generando" and left is not None:
        text += " · " + (_("{seconds} s left").format(seconds=left) if left < 90 else
                         _("{minutes} min left").format(minutes=round(left / 60)))
    if state["estado"] == "completo":
        text += " · " + _("done in {seconds} s").format(
            seconds=format_decimal(state["segundos"], format="#,##0.0", locale=lang))
    return text


@router.get("/lotes/{batch_id}/{what}")
async def download(request: Request, batch_id: int, what: str, user: str = Depends(current_user)):
    register = _config(request).register_path()
    kind = DOWNLOADS.get(what)
    found = engine.batch(register, batch_id) if kind else None
    if found is None:
        raise HTTPException(404)
    stem = f"{_slug(found.oficio)}-v{found.version}"
    if kind in ("pdf", "docx"):
        files = await asyncio.to_thread(engine.batch_files, register, batch_id, kind)
        if not files:
            raise HTTPException(404)
        zipped = await asyncio.to_thread(_zip, files)
        return FileResponse(zipped, media_type="application/zip", filename=f"{stem}-{kind}.zip",
                            background=BackgroundTask(zipped.unlink, missing_ok=True))
    path = engine.batch_record(register, batch_id, kind)
    if path is None:
        return render(request, "error.html", status=404, title=_("Not available"),
                      message=_("This batch's archive copy and nómina were replaced by a later "
                                "version of the oficio, or are no longer in the output folder."))
    media = "application/pdf" if kind == "archivo" else "text/csv; charset=utf-8"
    return FileResponse(path, media_type=media, filename=f"{stem}-{path.name}")


def _slug(text: str) -> str:
    from oficios.slugs import ascii_slug

    return ascii_slug(text) or "oficio"


def _zip(files):
    import tempfile
    import zipfile
    from pathlib import Path

    handle = tempfile.NamedTemporaryFile(prefix="oficios-", suffix=".zip", delete=False)
    with handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as archive:
        for path in files:  # PDFs and DOCX are compressed already
            archive.write(path, arcname=path.name)
    return Path(handle.name)


@router.post("/lotes/{batch_id}/reanudar")
async def resume(request: Request, batch_id: int, user: str = Depends(current_user)):
    config = _config(request)
    found = engine.batch(config.register_path(), batch_id)
    if found is None:
        raise HTTPException(404)
    template = next((t for t in _templates(request) if t.error is None and
                     engine.template_sha256(t) == found.plantilla_sha256), None)
    roster = uploads.stored(config.uploads_folder(), found.nomina_sha256)
    if template is None or roster is None:
        return render(request, "error.html", status=409, title=_("Cannot resume"),
                      message=_("The template or the roster this batch was made from is no longer "
                                "on the server, unchanged. Start a new batch."))
    column_map = _map_in_command(found.comando)
    # Same template and roster: the register continues this batch (no re-issue).
    return _start(request, template, roster, column_map, user, found.comando)


def _map_in_command(command: str) -> dict[str, str]:
    """The --map pairs of a recorded command."""
    try:
        words = shlex.split(command)
    except ValueError:
        return {}
    pairs = {}
    for flag, value in zip(words, words[1:], strict=False):
        if flag == "--map" and "=" in value:
            name, _sep, header = value.partition("=")
            pairs[name] = header
    return pairs
