"""A real browser on a real server: Debian's Chromium driven by Playwright.

One server process (``casework serve``) on a committed SQLite database with the
test world, and one browser, for the whole test session. Each page visited is
checked by axe-core (WCAG 2.1 AA), weighed over the wire, and photographed
into ``docs/screenshots/`` for the user guide.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from casework.core.db import create_db_engine
from casework.core.migrations import upgrade
from tests.factories import PASSWORD, World, build_world
from tests.servers import CASEWORK, free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
FIRST_LOAD_LIMIT = 150 * 1024
LATER_PAGE_LIMIT = 30 * 1024
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


@dataclass
class LiveServer:
    url: str
    world: World
    process: subprocess.Popen[bytes]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("web")
    url = f"sqlite:///{folder / 'casework.db'}"
    engine = create_db_engine(url)
    with engine.begin() as connection:
        upgrade(connection)
    with Session(engine, expire_on_commit=False) as session:
        world = build_world(session)
        session.commit()
    engine.dispose()
    port = free_port()
    env = {
        **os.environ,
        "CASEWORK_DATABASE_URL": url,
        "CASEWORK_DATA_DIR": str(folder),
        "CASEWORK_ENV": "development",  # plain http on loopback: cookies without Secure
    }
    process = subprocess.Popen(
        [CASEWORK, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(folder / "server.log").open("wb"),
    )
    server = LiveServer(f"http://127.0.0.1:{port}", world, process)
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{server.url}/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None:
                raise RuntimeError((folder / "server.log").read_text())
            import time

            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@dataclass
class Visit:
    """A signed-in (or not) browser tab that checks every page it lands on."""

    page: Any
    base: str
    language: str
    shots: str
    wire_bytes: list[int] = field(default_factory=list)
    pages_seen: int = 0
    violations: list[str] = field(default_factory=list)

    def _count(self, event: dict[str, Any]) -> None:
        self.wire_bytes[-1] += int(event.get("encodedDataLength", 0))

    def start_page(self) -> None:
        self.wire_bytes.append(0)

    def goto(self, path: str) -> None:
        self.start_page()
        self.page.goto(self.base + path)
        self.settle()

    def submit(self, selector: str) -> None:
        self.start_page()
        with self.page.expect_navigation():
            self.page.click(selector)
        self.settle()

    def settle(self) -> None:
        self.page.wait_for_load_state("load")
        self.pages_seen += 1

    def check(self, shot: str | None = None) -> None:
        """axe-core finds nothing at WCAG 2.1 AA; the page weighs what it should."""
        result = self.page.evaluate(
            """async () => {
                const r = await axe.run(document, {runOnly: {type: 'tag',
                    values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
                return r.violations.map(v => v.id + ': ' + v.help + ' @ ' +
                    v.nodes.map(n => n.target.join(' ')).join(', '));
            }"""
        )
        where = self.page.url.replace(self.base, "")
        self.violations.extend(f"{where}: {v}" for v in result)
        assert not result, f"axe-core on {where}:\n" + "\n".join(result)
        assert self.page.locator("html").get_attribute("lang") == self.language
        weight = self.wire_bytes[-1] if self.wire_bytes else 0
        limit = FIRST_LOAD_LIMIT if len(self.wire_bytes) <= 1 else LATER_PAGE_LIMIT
        assert weight <= limit, f"{where} weighed {weight} bytes over the wire (limit {limit})"
        if shot:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(SCREENSHOTS / f"{shot}-{self.shots}.png"), full_page=True)

    def sign_in(self, username: str, password: str = PASSWORD) -> None:
        self.goto(f"/login?lang={self.language}")
        self.page.fill("#f-username", username)
        self.page.fill("#f-password", password)
        self.submit("main button[type=submit]")
        assert "/login" not in self.page.url, self.page.inner_text("main")

    def text(self) -> str:
        return str(self.page.inner_text("main"))


@pytest.fixture
def visit(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """``visit(language, viewport)`` opens a fresh browser context (no cookies)."""
    contexts = []

    def open_tab(language: str = "fr", viewport: dict[str, int] = DESKTOP) -> Visit:
        context = browser.new_context(viewport=viewport, locale=language)
        context.add_init_script(path=str(AXE))  # through CDP: the page's CSP stays intact
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        tab = Visit(page, live_server.url, language, f"{language}-{viewport['width']}")
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on("Network.loadingFinished", tab._count)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        tab.console_errors = errors  # type: ignore[attr-defined]
        return tab

    yield open_tab
    for context in contexts:
        context.close()


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def clean_screenshots() -> None:
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)


__all__ = ["DESKTOP", "PHONE", "LiveServer", "Visit", "json", "slug"]
