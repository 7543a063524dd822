"""/docs and /redoc work in a field office without internet: every asset comes from us."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from casework.main import create_app
from tests.servers import CASEWORK, free_port


class Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("src", "href", "spec-url", "data-openapi-url"):
            if values.get(name):
                self.urls.append(str(values[name]))
        self._in_script = tag == "script" and "src" not in values

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app())


@pytest.mark.parametrize(
    ("page", "needs"),
    [("/docs", ["swagger-ui-bundle.js", "swagger-ui.css"]), ("/redoc", ["redoc.standalone.js"])],
)
def test_documentation_pages_load_only_same_origin_assets(
    client: TestClient, page: str, needs: list[str]
) -> None:
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assets = Assets()
    assets.feed(response.text)
    assert assets.inline_scripts == 0
    assert assets.urls
    for url in assets.urls:
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
    assert not re.search(r"https?://", response.text)
    for name in needs:
        assert any(url.endswith(name) for url in assets.urls), name
    for url in assets.urls:
        fetched = client.get(url)
        assert fetched.status_code == 200, url
        assert len(fetched.content) > 100 or url.endswith(".json"), url
    # The browser is told the same: this origin only, no CDN, no inline script.
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "http" not in policy
    assert "script-src" not in policy  # scripts fall under default-src 'self'
    assert "*" not in policy


def test_swagger_ui_points_at_our_openapi_document(client: TestClient) -> None:
    page = client.get("/docs").text
    assert 'data-openapi-url="/openapi.json"' in page
    script = client.get("/docs/casework/swagger-init.js")
    assert script.status_code == 200
    assert "SwaggerUIBundle(" in script.text
    assert "javascript" in script.headers["content-type"]


def test_assets_are_served_with_their_types(client: TestClient) -> None:
    css = client.get("/docs/vendor/swagger-ui.css")
    assert css.headers["content-type"].startswith("text/css")
    js = client.get("/docs/vendor/swagger-ui-bundle.js")
    assert "javascript" in js.headers["content-type"]
    assert client.get("/docs/vendor/nothing-here.js").status_code == 404


def test_the_documentation_routes_are_not_operations(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith(("/docs", "/redoc"))]


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="needs a Chromium browser")
def test_a_browser_with_no_other_host_renders_both_pages(tmp_path: Path) -> None:
    """A real browser that can resolve no host but this one: the pages still render."""
    env = {
        **os.environ,
        "CASEWORK_DATA_DIR": str(tmp_path),
        "CASEWORK_SCHEDULER_INTERVAL_SECONDS": "0",
    }
    env.pop("CASEWORK_DATABASE_URL", None)
    subprocess.run([CASEWORK, "migrate"], env=env, check=True, capture_output=True, timeout=120)
    port = free_port()
    server = subprocess.Popen(
        [CASEWORK, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "casework serve did not become ready"
            time.sleep(0.2)
        rendered = {}
        for page in ("docs", "redoc"):
            result = subprocess.run(
                [
                    str(CHROMIUM),
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    f"--user-data-dir={tmp_path / 'browser'}",
                    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                    "--virtual-time-budget=15000",
                    "--dump-dom",
                    f"http://127.0.0.1:{port}/{page}",
                ],
                capture_output=True,
                text=True,
                timeout=120,
            )
            rendered[page] = result.stdout
    finally:
        server.terminate()
        server.wait(timeout=30)
    # Swagger UI drew one block per operation; ReDoc drew the operations' paths.
    assert rendered["docs"].count("opblock-summary-path") > 50
    assert "/api/v1/incidents" in rendered["redoc"]
