"""The web interface for people: server-rendered pages in the same application.

Pages live outside ``/api/v1`` and call the same services and permission rules
as the API. See ``core`` for sessions, CSRF, errors as pages and headers.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import Response

from casework.web import (
    admin_pages,
    auth_pages,
    case_pages,
    incident_pages,
    person_pages,
    referral_pages,
    report_pages,
    work_pages,
)
from casework.web.core import STATIC_MAX_AGE, static_files

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
    admin_pages.router,
    report_pages.router,
)


def install(app: FastAPI) -> None:
    app.include_router(static_router)
    for router in PAGES:
        app.include_router(router)
