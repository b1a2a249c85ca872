"""Browser tests: the server started on 127.0.0.1 (uvicorn in a thread) and Debian's
Chromium driven by Playwright."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
AXE = Path(__file__).resolve().parent / "axe" / "axe.min.js"

if not Path(CHROMIUM).is_file():  # make system-deps installs it
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The web application served by uvicorn in a thread, on a free port of 127.0.0.1."""

    def __init__(self, app) -> None:
        import uvicorn

        self.app = app
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="off", timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True, name="uvicorn")

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def serve(tmp_path):
    """Starts servers over apps made by the test; stops them at the end."""
    started = []

    def start(app) -> Server:
        server = Server(app).__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        for slug in list(server.app.state.jobs._runs):
            server.app.state.jobs.wait(slug, timeout=300)
        server.__exit__()


@pytest.fixture(scope="package")
def browser():
    # Package scope: Playwright's synchronous API keeps an event loop running in the main
    # thread while it lives; it must be gone before the tests after this folder run.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser):
    context = browser.new_context(locale="es-CL", viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    yield context
    context.close()


def sign_in(page, base: str, user: str, password: str) -> None:
    """Signs in through the form, as a clerk does."""
    page.goto(f"{base}/entrar")
    page.get_by_label("Usuario").fill(user)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(f"{base}/lotes/nuevo")


def check_accessibility(page) -> list[dict]:
    """axe-core's serious and critical violations on the page (empty when there are none)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def screenshot(page, name: str) -> None:
    """Saves a full-page screenshot to $OFICIOS_SCREENSHOTS/<name>.png, when that is set."""
    folder = os.environ.get("OFICIOS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def describe(violations: list[dict]) -> str:
    return json.dumps(violations, ensure_ascii=False, indent=1)
