"""Interactive API documentation (/docs, /redoc) that works without internet.

Field offices often have no connection. FastAPI's default pages load Swagger UI and
ReDoc from a CDN and stay blank offline; these pages load the same assets from the
``fastapi-offline`` package (Swagger UI, Apache-2.0; ReDoc, MIT) and a small start
script of ours, all from this server. No inline script: the pages carry a strict
Content-Security-Policy that allows this origin only.
"""

from __future__ import annotations

from html import escape
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

VENDOR_URL = "/docs/vendor"
OWN_URL = "/docs/casework"
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def _package_dir(package: str, folder: str) -> str:
    return str(Path(str(resources.files(package) / folder)))


def install_docs(app: FastAPI) -> None:
    """Serve /docs and /redoc with their assets; the app is built with docs_url=None."""
    app.mount(
        VENDOR_URL,
        StaticFiles(directory=_package_dir("fastapi_offline", "static")),
        name="docs-vendor",
    )
    app.mount(OWN_URL, StaticFiles(directory=_package_dir("casework", "static")), name="docs-own")
    title = escape(app.title)

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = escape(request.scope.get("root_path", ""))
        openapi = f"{root}{escape(app.openapi_url or '/openapi.json')}"
        page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}: API documentation</title>
<link rel="icon" href="{root}{VENDOR_URL}/favicon.png">
<link rel="stylesheet" href="{root}{VENDOR_URL}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi}"></div>
<script src="{root}{VENDOR_URL}/swagger-ui-bundle.js"></script>
<script src="{root}{OWN_URL}/swagger-init.js"></script>
</body>
</html>
"""
        return HTMLResponse(page, headers={"Content-Security-Policy": DOCS_CSP})

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = escape(request.scope.get("root_path", ""))
        openapi = f"{root}{escape(app.openapi_url or '/openapi.json')}"
        page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}: API reference</title>
<link rel="icon" href="{root}{VENDOR_URL}/favicon.png">
</head>
<body>
<redoc spec-url="{openapi}"></redoc>
<script src="{root}{VENDOR_URL}/redoc.standalone.js"></script>
</body>
</html>
"""
        return HTMLResponse(page, headers={"Content-Security-Policy": DOCS_CSP})
