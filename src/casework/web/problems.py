"""The API's problems in the reader's language: ``detail`` and ``title`` of the common
problems, in French under ``Accept-Language: fr``.

The texts live in the same Babel catalog as the pages (``_`` below only marks them
for ``python -m casework.web.messages``), so ``tests/web/test_i18n.py`` fails when
one has no French. Only the human parts change: ``type``, ``status``, ``errors``
and every other member stay as they are, for programs. Without ``Accept-Language``
(or when it prefers another language) the API answers in English, as before.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from casework.core.errors import PROBLEM_MEDIA_TYPE, ProblemError
from casework.web.i18n import negotiate, translations


def _(message: str) -> str:
    """Marks a message for the catalog; translated when a problem is rendered."""
    return message


DETAILS = frozenset(
    {
        _("Missing or invalid credentials."),
        _("The access token is invalid or has expired."),
        _("The access token has been revoked."),
        _("The API key is invalid or has been revoked."),
        _("An API key can reach the reports only."),
        _("The request has invalid fields."),
        _("The request has invalid query parameters."),
        _("The request body is not valid JSON."),
        _("The request body could not be read as JSON (UTF-8) or form data."),
        _("The body must be JSON, sent with Content-Type: application/json."),
        _("The record was changed by someone else meanwhile; read it again."),
        _("A record with this id already exists with different content."),
        _("Too many failed logins for this username; try again later."),
        _("Too many logins at once from your address; try again in a moment."),
        _("Not Found"),
        _("Method Not Allowed"),
        _("No such person."),
        _("No such SGBV case."),
        _("No such referral."),
        _("No such incident."),
        _("No such consent."),
        _("No such counselling session."),
        _("No such repatriation file."),
        _("No such attachment."),
        _("No such task."),
        _("No such transfer."),
        _("No such case."),
        _("No such user."),
        _("No such API key."),
        _("No such form."),
        _("No such submission."),
        _("You may read this incident but not change it."),
        _("Only supervisors change an incident's status."),
        _("Only supervisors may send without consent."),
        _("Only supervisors may transfer without a data_sharing consent."),
        _("Only the receiving organisation may accept or reject a transfer."),
        _("Only the sending side may cancel a transfer."),
        _("Your organisation already registered this registration number."),
        _("This consent was already withdrawn."),
        _("The file could not be stored; try again later."),
        _("Only PDF, JPEG, PNG and WebP files are accepted (judged by their content)."),
        # Merging duplicate persons (persons/merge.py), shown on the duplicates page too.
        _("A person cannot be merged into itself."),
        _("No such person to merge (duplicate_id)."),
        _("This person was itself merged into another: merge into that one."),
        _("The duplicate was already merged into another person."),
        _(
            "The two persons belong to different organisations: transfer one first "
            "(a transfer needs a data_sharing consent), then merge."
        ),
        _("A pending transfer is decided or cancelled before merging."),
        _("This person is closed and read-only: reopen it before merging a duplicate into it."),
        _("This person was merged into another and is read-only: use that person."),
    }
)
# Details that carry a value: the value is kept, the words are translated.
PATTERNS = [
    (
        re.compile(r"The (?P<role>[a-z_]+) role may not do this\."),
        _("The %(role)s role may not do this."),
    ),
    (
        re.compile(
            r"The record has changed since you read it \(current ETag (?P<etag>[^)]+)\); "
            r"read it again and re-apply your change\."
        ),
        _(
            "The record has changed since you read it (current ETag %(etag)s); "
            "read it again and re-apply your change."
        ),
    ),
    (
        re.compile(
            r"An unexpected error occurred\. Quote request id (?P<id>\S+) when reporting it\."
        ),
        _("An unexpected error occurred. Quote request id %(id)s when reporting it."),
    ),
]
TITLES = frozenset(
    {
        _("Authentication required"),
        _("Forbidden"),
        _("Not found"),
        _("Not acceptable"),
        _("Unsupported media type"),
        _("Conflict"),
        _("Precondition failed"),
        _("Invalid input"),
        _("Malformed request body"),
        _("Idempotency-Key reused"),
        _("Payload too large"),
        _("Too many attempts"),
        _("Service unavailable"),
        _("Not Found"),
        _("Method Not Allowed"),
        _("Internal Server Error"),
    }
)


def translate_detail(detail: str, language: str) -> str:
    gettext = translations(language).gettext
    if detail in DETAILS:
        return gettext(detail)
    for pattern, message in PATTERNS:
        found = pattern.fullmatch(detail)
        if found:
            return gettext(message) % found.groupdict()
    return detail


def localize(body: dict[str, Any], language: str) -> dict[str, Any]:
    if language == "en":
        return body
    localized = dict(body)
    if isinstance(body.get("detail"), str):
        localized["detail"] = translate_detail(body["detail"], language)
    if body.get("title") in TITLES:
        localized["title"] = translations(language).gettext(body["title"])
    return localized


def _language(request: Request) -> str:
    # The API never reads ?lang= or the pages' cookie: only the standard header.
    return negotiate(None, None, request.headers.get("accept-language"), "en")


Handler = Callable[[Request, Any], Response | Awaitable[Response]]


def _localizing(original: Handler) -> Handler:
    async def handler(request: Request, exc: Any) -> Response:
        answer = original(request, exc)
        response = await answer if isinstance(answer, Awaitable) else answer
        if not response.headers.get("content-type", "").startswith(PROBLEM_MEDIA_TYPE):
            return response
        response.headers["Vary"] = ", ".join(
            part for part in (response.headers.get("Vary"), "Accept-Language") if part
        )
        language = _language(request)
        if language == "en":
            return response
        body = localize(json.loads(bytes(response.body)), language)
        headers = {
            k: v for k, v in response.headers.items() if k.lower() not in ("content-length",)
        }
        headers["Content-Language"] = language
        return JSONResponse(
            body, status_code=response.status_code, headers=headers, media_type=PROBLEM_MEDIA_TYPE
        )

    return handler


def install(app: FastAPI) -> None:
    """Wrap the problem handlers (after ``install_error_handlers`` and the pages' 404)."""
    kinds = (
        ProblemError,
        RequestValidationError,
        StarletteHTTPException,
        StaleDataError,
        Exception,
    )
    for kind in kinds:
        original = app.exception_handlers.get(kind)
        if original is not None:
            app.exception_handlers[kind] = _localizing(original)
