"""Domain errors and their rendering as RFC 9457 ``application/problem+json``.

Services raise these; one set of handlers renders them. Routers never build
error responses by hand.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger("casework.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "urn:casework:problem:"
# What FastAPI says when it cannot decode a request body at all.
FASTAPI_BODY_PARSE_ERROR = "There was an error parsing the body"


# The one vocabulary of 422 problems: every 422 has one of these types, with its title.
UNPROCESSABLE = {
    "validation-error": "Invalid input",
    "malformed-json": "Malformed request body",
    "idempotency-key-reused": "Idempotency-Key reused",
}


class FieldError(BaseModel):
    loc: list[str | int] = Field(
        description="Where: body, query, header or path, then the field",
        examples=[["body", "region"]],
    )
    msg: str = Field(examples=["String should match pattern '^[A-Za-z]{2}[0-9]+$'"])
    type: str | None = Field(default=None, examples=["string_pattern_mismatch"])


class Problem(BaseModel):
    """RFC 9457 problem details, as every error response of this API.

    ``type`` identifies the problem (``urn:casework:problem:<slug>``, listed in docs/http.md);
    the members after ``instance`` are extensions, present only where they apply.
    """

    model_config = ConfigDict(extra="allow")

    type: str = Field(
        description="URI identifying the problem type",
        examples=["urn:casework:problem:validation-error"],
    )
    title: str = Field(description="Short summary, the same for every problem of this type")
    status: int = Field(ge=400, le=599, description="The HTTP status code")
    detail: str = Field(description="What happened in this occurrence, for a human")
    instance: str | None = None
    errors: list[FieldError] | None = Field(
        default=None, description="Validation errors, one per field (422)"
    )
    allowed: list[str] | None = Field(
        default=None, description="Allowed next statuses (409, illegal transition)"
    )
    current: str | None = Field(
        default=None, description="The record's status when a transition was refused (409)"
    )
    missing: str | None = Field(default=None, description='What a move lacks, e.g. "consent" (409)')
    current_version: int | None = Field(
        default=None, description="The record's version when If-Match was stale (412)"
    )
    acceptable: list[str] | None = Field(
        default=None, description="The media types this resource can produce (406) or read (415)"
    )
    error: str | None = Field(
        default=None,
        description="OAuth 2.0 error code (RFC 6749 section 5.2), token endpoint only",
        examples=["invalid_grant"],
    )
    error_description: str | None = Field(
        default=None, description="The same as detail, for OAuth 2.0 clients (token endpoint)"
    )


class ProblemError(Exception):
    """Base of every error a service raises on purpose."""

    status: int = 500
    slug: str = "internal-error"
    title: str = "Internal error"

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors) if errors is not None else None
        self.headers = headers or {}
        self.extra = extra


class Unauthorized(ProblemError):
    status, slug, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str = "Missing or invalid credentials.", **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail, **kw)


class Forbidden(ProblemError):
    status, slug, title = 403, "forbidden", "Forbidden"


class NotFound(ProblemError):
    status, slug, title = 404, "not-found", "Not found"


class NotAcceptable(ProblemError):
    status, slug, title = 406, "not-acceptable", "Not acceptable"


class UnsupportedMediaType(ProblemError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class OAuthError(ProblemError):
    """A token endpoint error (RFC 6749 section 5.2), still as problem details.

    ``error`` is the OAuth 2.0 code a standard client reads (``invalid_request``,
    ``invalid_grant``, ``unsupported_grant_type`` ...); ``error_description`` repeats
    the detail for it.
    """

    status, title = 400, "OAuth 2.0 token request refused"

    def __init__(self, error: str, detail: str, *, status: int = 400, **kw: Any) -> None:
        super().__init__(detail, error=error, error_description=detail, **kw)
        self.status = status
        self.slug = "oauth-" + error.replace("_", "-")


class Conflict(ProblemError):
    status, slug, title = 409, "conflict", "Conflict"


class StaleVersion(ProblemError):
    status, slug, title = 412, "stale-version", "Precondition failed"


class InvalidInput(ProblemError):
    status, slug, title = 422, "validation-error", "Invalid input"


class PayloadTooLarge(ProblemError):
    status, slug, title = 413, "too-large", "Payload too large"


class TooManyRequests(ProblemError):
    status, slug, title = 429, "too-many-requests", "Too many attempts"


class ServiceUnavailable(ProblemError):
    status, slug, title = 503, "unavailable", "Service unavailable"


def problem_response(
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    title: str | None = None,
    instance: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = problem_body(
        status, detail, slug=slug, title=title, instance=instance, errors=errors, **extra
    )
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def problem_body(
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    title: str | None = None,
    instance: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    if status == 422:  # by construction, never outside the vocabulary
        slug = slug if slug in UNPROCESSABLE else "validation-error"
        title = UNPROCESSABLE[slug]
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + (slug or phrase.lower().replace(" ", "-")),
        "title": title or phrase,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def problem_of(exc: ProblemError) -> dict[str, Any]:
    """The body a ProblemError renders to (also used per item in batch results)."""
    return problem_body(
        exc.status, exc.detail, slug=exc.slug, title=exc.title, errors=exc.errors, **exc.extra
    )


def validation_errors(raw: Sequence[Any]) -> list[dict[str, Any]]:
    """Pydantic error dicts reduced to JSON-safe ``{"loc", "msg", "type"}``."""
    return [
        {
            "loc": [p if isinstance(p, int) else str(p) for p in e.get("loc", ())],
            "msg": str(e.get("msg", "invalid")),
            "type": str(e.get("type", "value_error")),
        }
        for e in raw
    ]


def invalid_from_pydantic(exc: PydanticValidationError, prefix: Sequence[str] = ()) -> InvalidInput:
    errors = validation_errors(exc.errors(include_url=False, include_context=False))
    for error in errors:
        error["loc"] = [*prefix, *error["loc"]]
    return InvalidInput("The request has invalid fields.", errors=errors)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return JSONResponse(
            problem_of(exc),
            status_code=exc.status,
            headers=exc.headers,
            media_type=PROBLEM_MEDIA_TYPE,
        )

    @app.exception_handler(RequestValidationError)
    async def _request_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc.errors())
        malformed = any(e["type"] == "json_invalid" for e in errors)
        return problem_response(
            422,
            "The request body is not valid JSON."
            if malformed
            else "The request has invalid fields.",
            slug="malformed-json" if malformed else "validation-error",
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        if exc.status_code == 400 and detail == FASTAPI_BODY_PARSE_ERROR:
            # A body that is not even text (bad encoding): malformed input, like bad JSON.
            return problem_response(
                422,
                "The request body could not be read as JSON (UTF-8) or form data.",
                slug="malformed-json",
                errors=[{"loc": ["body"], "msg": "unreadable body", "type": "body_unreadable"}],
            )
        return problem_response(exc.status_code, detail, headers=dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = request.scope.get("state", {}).get("request_id", "-")
        logger.exception("unhandled error (request_id=%s)", request_id)
        return problem_response(
            500,
            f"An unexpected error occurred. Quote request id {request_id} when reporting it.",
            slug="internal-error",
        )


# For ``responses=`` on routes, so the OpenAPI schema declares every error.
def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "model": Problem,
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
