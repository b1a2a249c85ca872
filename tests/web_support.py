"""Helpers for the web application's tests: an app over temporary folders, a signed-in
client, the CSRF token of a page, and rosters written the way clerks' files come."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SLUG = "mideplan-01-A-264"
USER, PASSWORD = "ana", "una clave bastante larga"
HEADER = "cut;municipalidad;comunas;provincia;cut_provincia;region;cut_region;alcalde;genero"


def config(tmp_path: Path, **changes):
    from oficios.web import WebConfig

    settings = dict(templates=ROOT / "templates", output=tmp_path / "salida", language="es",
                    workers=2)
    return WebConfig(**(settings | changes))


def make_app(tmp_path: Path, **changes):
    """An app over a temporary output folder with the account USER."""
    from oficios.web import create_app
    from oficios.web.accounts import Accounts

    cfg = config(tmp_path, **changes)
    with Accounts(cfg.accounts_path()) as accounts:
        accounts.add(USER, PASSWORD)
    return create_app(cfg)


def csrf_of(html: str) -> str:
    """The CSRF token in a page's forms."""
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def signed_in(app, user: str = USER, password: str = PASSWORD):
    """A TestClient with a clerk signed in."""
    from fastapi.testclient import TestClient

    client = TestClient(app)
    page = client.get("/entrar")
    response = client.post("/entrar", data={"usuario": user, "clave": password,
                                            "siguiente": "/lotes/nuevo", "csrf": csrf_of(page.text)})
    assert response.status_code == 200 and "/lotes/nuevo" in str(response.url)
    return client


def upload(client, path_or_bytes, name: str = "nomina.csv"):
    """Uploads a roster for the bundled template; the response after redirects."""
    page = client.get("/lotes/nuevo")
    data = path_or_bytes.read_bytes() if isinstance(path_or_bytes, Path) else path_or_bytes
    return client.post("/lotes/nuevo", data={"plantilla": SLUG, "csrf": csrf_of(page.text)},
                       files={"nomina": (name, data)})


def municipalities(count: int | None = None) -> list[list[str]]:
    """Rows of the bundled roster (without optional e-mail and address), all or the first `count`."""
    import csv

    with (ROOT / "recipients" / "municipalidades.csv").open(encoding="utf-8") as f:
        rows = [[r["cut"], r["municipalidad"], r["comunas"], r["provincia"], r["cut_provincia"],
                 r["region"], r["cut_region"], "", ""] for r in csv.DictReader(f)]
    return rows if count is None else rows[:count]


def spanish_excel_csv(rows: list[list[str]]) -> bytes:
    """A roster as Spanish-language Excel saves it: semicolons, Windows-1252, CRLF, and the
    leading zero of CUT codes eaten."""
    lines = [HEADER] + [";".join([r[0].lstrip("0")] + r[1:]) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def text_of(html: str) -> str:
    """A page's text, tags removed and spaces collapsed (entities left as they are)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
