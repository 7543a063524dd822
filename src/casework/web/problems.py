"""The API's problems in the reader's language: ``detail`` and ``title`` of the common
problems, in French under ``Accept-Language: fr``.

The texts live in the same Babel catalog as the pages (``_`` below only marks them
for ``python -m casework.web.messages``), so ``tests/web/test_i18n.py`` fails when
one has no French. Only the human parts change: ``type``, ``status``, ``errors``
and every other member stay as they are, for programs. Without ``Accept-Language``
(or when it prefers another language) the API answers in English, as before.

Every problem response is localized in one place, :class:`LocalizeProblems`, an ASGI
middleware around the whole application: those of the exception handlers and those
the other middleware answer by themselves (413 body too large, 422 NUL character,
the Idempotency-Key refusals). Only the 500 of an unexpected error is rendered
outside every middleware (Starlette's ``ServerErrorMiddleware``): its handler is
wrapped instead. An idempotent replay stores the English problem and is localized
for each answer, like any other.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from casework.core.errors import PROBLEM_MEDIA_TYPE
from casework.core.middleware import header_value
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
        # Answered by middleware (core/middleware.py, core/nul.py, idempotency/middleware.py).
        _("The request contains a NUL character (U+0000), which no field accepts."),
        _("Idempotency-Key must be 1 to 200 visible ASCII characters."),
        _("This Idempotency-Key was used for a different request."),
        _("A request with this Idempotency-Key is still being processed."),
        # The HTTP conventions of every operation (core/conventions.py).
        _("The body must be a form (application/x-www-form-urlencoded or multipart/form-data)."),
        _("The body is not valid multipart/form-data."),
        _("The file is empty."),
        # The token endpoint (its error_description stays in English: RFC 6749 asks ASCII).
        _("Incorrect username or password."),
        _("Only the password grant is supported."),
        _("username and password are required."),
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
        re.compile(r"The request body is larger than (?P<limit>\d+) bytes\."),
        _("The request body is larger than %(limit)s bytes."),
    ),
    (
        re.compile(r"The file is larger than (?P<limit>\d+) bytes\."),
        _("The file is larger than %(limit)s bytes."),
    ),
    (
        re.compile(r"This resource is available as (?P<types>.+); Accept admits none of them\."),
        _("This resource is available as %(types)s; Accept admits none of them."),
    ),
    (
        re.compile(r"The token request must be a form \((?P<form>[^)]+)\)\."),
        _("The token request must be a form (%(form)s)."),
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
        _("Request Entity Too Large"),  # the 413 of the body limit (HTTP's own phrase)
        _("Too many attempts"),
        _("Service unavailable"),
        _("Not Found"),
        _("Method Not Allowed"),
        _("Internal Server Error"),
        _("OAuth 2.0 token request refused"),
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


def _localized(body: bytes, language: str) -> bytes | None:
    """The problem body in ``language``; None when it is not a JSON object."""
    try:
        document = json.loads(body)
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    localized = localize(document, language)
    return json.dumps(localized, ensure_ascii=False, separators=(",", ":")).encode()


class LocalizeProblems:
    """Every ``application/problem+json`` answer in the language of ``Accept-Language``.

    Adds ``Vary: Accept-Language`` to every problem, and ``Content-Language`` to a
    translated one. Other responses pass through untouched, without buffering.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []
        language = "en"

        async def localizing_send(message: Message) -> None:
            nonlocal start, language
            if message["type"] == "http.response.start":
                # Every response passes here: the common case costs one look at the headers.
                if not _is_problem(message):
                    await send(message)
                    return
                headers = MutableHeaders(scope=message)
                language = negotiate(None, None, header_value(scope, b"accept-language"), "en")
                if "accept-language" not in headers.get("vary", "").lower():
                    headers.append("Vary", "Accept-Language")
                if language == "en" or "content-language" in headers:
                    await send(message)
                    return
                start = message
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            localized = _localized(body, language) if body else None
            headers = MutableHeaders(scope=start)
            if localized is not None:
                body = localized
                headers["Content-Language"] = language
                headers["Content-Length"] = str(len(body))
            await send(start)
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, localizing_send)


def _is_problem(start: Message) -> bool:
    problem = PROBLEM_MEDIA_TYPE.encode()
    return any(
        name.lower() == b"content-type" and value.startswith(problem)
        for name, value in start.get("headers", ())
    )


def _localizing(original: Handler) -> Handler:
    """For the 500 of an unexpected error, rendered outside every middleware."""

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
    """Localize every problem: a middleware around the application (added last, so
    outside the body limit, NUL and idempotency middleware), and the 500 handler."""
    app.add_middleware(LocalizeProblems)
    original = app.exception_handlers.get(Exception)
    if original is not None:
        app.exception_handlers[Exception] = _localizing(original)
