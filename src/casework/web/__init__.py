"""The web interface for people: server-rendered pages in the same application.

Pages live outside ``/api/v1`` and call the same services and permission rules
as the API. See ``core`` for sessions, CSRF, errors as pages and headers.
"""

from __future__ import annotations

import inspect

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from casework.web import (
    admin_pages,
    auth_pages,
    case_pages,
    incident_pages,
    person_pages,
    problems,
    referral_pages,
    report_pages,
    setup_pages,
    task_pages,
    transfer_pages,
    work_pages,
)
from casework.web.core import STATIC_MAX_AGE, error_page, static_files

static_router = APIRouter(include_in_schema=False)


@static_router.get("/static/{digest}/{name}")
def static(digest: str, name: str) -> Response:
    """The package's static files, cached for a year under a content-derived URL."""
    found = static_files().get(name)
    if found is None:
        return Response(status_code=404, media_type="text/plain")
    fresh = digest == found.digest
    return Response(
        found.body,
        media_type=found.media_type,
        headers={
            "Cache-Control": f"public, max-age={STATIC_MAX_AGE}, immutable"
            if fresh
            else "no-cache",
            "ETag": f'"{found.digest}"',
        },
    )


PAGES = (
    auth_pages.router,
    work_pages.router,
    incident_pages.router,
    person_pages.router,
    referral_pages.router,
    case_pages.router,
    task_pages.router,
    transfer_pages.router,
    admin_pages.router,
    report_pages.router,
    setup_pages.router,
)


NOT_PAGES = ("/api/", "/docs", "/redoc", "/openapi.json", "/metrics", "/health", "/ready")


def install(app: FastAPI) -> None:
    app.include_router(static_router)
    for router in PAGES:
        app.include_router(router)
    _answer_unknown_pages_with_a_page(app)
    problems.install(app)  # the API's problems in French under Accept-Language: fr


def _answer_unknown_pages_with_a_page(app: FastAPI) -> None:
    """A browser asking for a path that is no page gets the 404 page; API clients keep
    their problem+json."""
    problem_handler = app.exception_handlers[StarletteHTTPException]

    async def handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        is_page = not request.url.path.startswith(NOT_PAGES)
        if exc.status_code == 404 and is_page and "text/html" in request.headers.get("accept", ""):
            return error_page(request, 404)
        answer = problem_handler(request, exc)
        return await answer if inspect.isawaitable(answer) else answer

    app.add_exception_handler(StarletteHTTPException, handler)
