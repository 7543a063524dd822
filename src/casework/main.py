"""The FastAPI application."""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from casework import __version__, openapi
from casework.actors.router import router as actors_router
from casework.attachments.router import router as attachments_router
from casework.audit import service as audit_service
from casework.audit.router import router as audit_router
from casework.auth.principal import metrics_reader
from casework.auth.router import router as auth_router
from casework.consent.router import router as consent_router
from casework.core.config import Settings, environment_warning, get_settings
from casework.core.conventions import check_conventions
from casework.core.db import SessionDep, new_session
from casework.core.docs import install_docs
from casework.core.errors import (
    Problem,
    ServiceUnavailable,
    install_error_handlers,
    problem_response,
    problem_responses,
)
from casework.core.middleware import (
    BodySizeLimitMiddleware,
    LocationMiddleware,
    RequestContextMiddleware,
)
from casework.core.migrations import is_at_head
from casework.core.nul import RejectNulMiddleware
from casework.core.observability import configure_logging, metrics_payload
from casework.core.routing import OneHopRoute
from casework.counselling.router import router as counselling_router
from casework.idempotency.middleware import IdempotencyMiddleware
from casework.incidents.router import router as incidents_router
from casework.integrations.router import router as kobo_router
from casework.notifications import scheduler
from casework.notifications.router import router as notifications_router
from casework.persons.router import router as persons_router
from casework.reference.router import router as reference_router
from casework.referrals.router import router as referrals_router
from casework.repatriation.router import router as repatriation_router
from casework.reports.router import router as reports_router
from casework.sgbv.router import router as sgbv_router
from casework.tasks.router import router as tasks_router
from casework.transfers.router import router as transfers_router
from casework.web import install as install_web
from casework.work.router import router as work_router

logger = logging.getLogger("casework")
# Room for the form fields and part headers around an attachment of the maximum size.
MULTIPART_ALLOWANCE = 64 * 1024


class HealthStatus(BaseModel):
    status: Literal["ok", "ready"]
    warning: str | None = Field(
        default=None, description="Said when nobody chose CASEWORK_ENV (development mode)"
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging()
    audit_service.install()
    app = FastAPI(
        title="casework",
        version=__version__,
        description="Protection-monitoring case management: incidents, referrals, SGBV cases, "
        "counselling and repatriation, with role-based access. Errors are RFC 9457 "
        "problem+json; conventions for client authors are in docs/http.md.",
        contact={"name": "casework maintainers"},
        license_info={"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        # Readable ids (createIncident) also name the generated body schemas (Body_login).
        generate_unique_id_function=lambda route: openapi.camel(route.name),
        # The query, Accept and Content-Type rules of every API operation (core/conventions).
        dependencies=[Depends(check_conventions)],
        servers=[
            {"url": "/", "description": "This server (local or production)", "x-internal": False}
        ],
        # /docs and /redoc are served from the package, without a CDN (core/docs.py).
        docs_url=None,
        redoc_url=None,
        lifespan=scheduler.lifespan,
    )
    app.router.route_class = OneHopRoute  # the probes and /metrics below
    openapi.install(app)
    install_docs(app)
    install_error_handlers(app)

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> JSONResponse:
        # Another request changed the row between our read and our write.
        return problem_response(
            412,
            "The record was changed by someone else meanwhile; read it again.",
            slug="stale-version",
            title="Precondition failed",
        )

    # Added innermost first: request id and headers wrap everything, including 413s;
    # the body limit applies before an Idempotency-Key request body is buffered.
    # Tests replace app.state.session_provider to join their transaction.
    app.state.session_provider = new_session
    app.add_middleware(LocationMiddleware, routes=lambda: app.routes)
    app.add_middleware(IdempotencyMiddleware, provide_session=lambda: app.state.session_provider())
    app.add_middleware(RejectNulMiddleware)
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_body_bytes=settings.max_body_bytes,
        # Uploads stream to encrypted storage; the route counts the file's own bytes.
        larger={
            ("POST", "/api/v1/attachments"): settings.attachment_max_bytes + MULTIPART_ALLOWANCE,
            # The web form's upload (casework.web.person_pages).
            ("POST", "/attachments"): settings.attachment_max_bytes + MULTIPART_ALLOWANCE,
        },
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "Idempotency-Key"],
            expose_headers=[
                "ETag",
                "Location",
                "X-Request-ID",
                "Retry-After",
                "Idempotency-Replayed",
            ],
        )
    app.add_middleware(RequestContextMiddleware, trusted_proxies=settings.trusted_proxies)

    # First: a request is matched against the routes in order, so the probes that
    # orchestrators send every few seconds do not walk every API route first.
    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics: request counts and latencies by route template",
        description="Never public: an administrator's token or CASEWORK_METRICS_TOKEN "
        "(or the separate listener of CASEWORK_METRICS_ADDRESS).",
        response_class=PlainTextResponse,
        responses=problem_responses(401, 403),
        dependencies=[Depends(metrics_reader)],
    )
    def metrics() -> Response:
        payload, media_type = metrics_payload()
        return Response(payload, media_type=media_type)

    @app.get(
        "/health",
        tags=["operations"],
        summary="Liveness",
        response_model=HealthStatus,
        response_model_exclude_none=True,
    )
    def health() -> dict[str, str]:
        """The process answers (no database access)."""
        return {"status": "ok"}

    @app.get(
        "/ready",
        tags=["operations"],
        summary="Readiness: the database answers and is migrated to the current schema",
        response_model=HealthStatus,
        response_model_exclude_none=True,
        responses={503: {"model": Problem, "description": "Database unreachable or not migrated"}},
    )
    def ready(session: SessionDep) -> dict[str, str]:
        """Ready to serve: the database is reachable and migrated to head."""
        try:
            session.execute(text("SELECT 1"))
            migrated = is_at_head(session.connection())
        except SQLAlchemyError as exc:
            logger.warning("readiness check failed: %s", type(exc).__name__)
            raise ServiceUnavailable("The database is not reachable.") from exc
        if not migrated:
            logger.warning("readiness check failed: the database is not migrated")
            raise ServiceUnavailable("The database is not migrated: run casework migrate.")
        answer = {"status": "ready"}
        warning = environment_warning(get_settings())
        if warning:
            answer["warning"] = warning
        return answer

    # Routes are matched in order: the work list, everyone's home, comes first.
    for router in (
        work_router,
        auth_router,
        reference_router,
        incidents_router,
        actors_router,
        persons_router,
        sgbv_router,
        consent_router,
        referrals_router,
        counselling_router,
        repatriation_router,
        audit_router,
        reports_router,
        notifications_router,
        kobo_router,
        attachments_router,
        tasks_router,
        transfers_router,
    ):
        app.include_router(router)
    install_web(app)  # the pages for people, outside /api/v1

    warning = environment_warning(settings)
    if warning:
        logger.warning(warning)

    return app


app = create_app()
