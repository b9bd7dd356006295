"""A real browser (Debian's chromium through Playwright) against `koers serve`
on the small demo company; each test's console errors fail it, and
screenshots are kept under test-artifacts/browser/ (git-ignored)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from koers.demo_load import load_demo
from koers.store import Workspace

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
VIEWPORTS = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """`koers serve` on the small demo, in its own process, as a user starts it."""
    path = str(tmp_path_factory.mktemp("browser") / "demo.duckdb")
    load_demo(Workspace.open(path), "small", 42)
    port = free_port()
    log = open(tmp_path_factory.getbasetemp() / "serve.log", "w")  # noqa: SIM115 - closed after the process
    proc = subprocess.Popen([sys.executable, "-m", "koers.cli", "serve", "--workspace", path, "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(url + "/api/v1/kpis", timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(f"koers serve exited with {proc.returncode}") from None
                time.sleep(0.1)
        else:
            raise RuntimeError("koers serve did not answer within 20 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


class Tab:
    """A page in a fresh context that records console errors and failed requests."""

    def __init__(self, browser, base: str, viewport: str):
        self.base = base
        self.viewport = viewport
        self.context = browser.new_context(viewport=VIEWPORTS[viewport], accept_downloads=True)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url}"))

    def open(self, path: str):
        response = self.page.goto(self.base + path)
        assert response.status == 200, f"{path}: {response.status}"
        self.page.wait_for_load_state("load")
        self.charts_drawn()
        return self.page

    def charts_drawn(self) -> None:
        charts = self.page.locator(".plot[data-figure]")
        for i in range(charts.count()):
            charts.nth(i).locator(".main-svg").first.wait_for(state="attached", timeout=10_000)

    def screenshot(self, name: str) -> None:
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTEFACTS / f"{name}-{self.viewport}.png"), full_page=True)


@pytest.fixture(params=list(VIEWPORTS))
def tab(request, browser, server):
    t = Tab(browser, server, request.param)
    yield t
    t.context.close()
    assert t.errors == []


@pytest.fixture
def laptop(browser, server):
    t = Tab(browser, server, "laptop")
    yield t
    t.context.close()
    assert t.errors == []
