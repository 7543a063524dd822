"""NUL characters are refused in every string a client sends, in one place.

PostgreSQL cannot store U+0000 in text (SQLite can), so a NUL reaching a query
parameter or a column turned into a 500 on one database and not on the other.
No field of casework has a use for it: this middleware answers 422 for a NUL in
the path, in any query parameter, and in any string (or object key) of a JSON or
form body, before routing, authentication or idempotency see the request.
Multipart bodies carry files (binary) and are left to their routes; the login
form checks its fields itself with ``reject_nul``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from casework.core.errors import PROBLEM_MEDIA_TYPE, InvalidInput, problem_body
from casework.core.middleware import header_value

NUL = "\x00"
MESSAGE = "must not contain a NUL character (U+0000)"
DETAIL = "The request contains a NUL character (U+0000), which no field accepts."


def nul_error(loc: list[str | int]) -> dict[str, Any]:
    return {"loc": loc, "msg": MESSAGE, "type": "string_nul"}


def reject_nul(value: str | None, loc: list[str | int]) -> None:
    """For inputs the middleware cannot see (multipart form fields)."""
    if value is not None and NUL in value:
        raise InvalidInput(DETAIL, errors=[nul_error(loc)])


def json_nul_locations(value: Any, loc: list[str | int]) -> Iterator[list[str | int]]:
    if isinstance(value, str):
        if NUL in value:
            yield loc
    elif isinstance(value, dict):
        for key, item in value.items():
            clean = key.replace(NUL, "")
            if clean != key:
                yield [*loc, clean]
            yield from json_nul_locations(item, [*loc, clean])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from json_nul_locations(item, [*loc, index])


def _pairs_with_nul(raw: bytes, where: str) -> list[dict[str, Any]]:
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="utf-8")
    return [
        nul_error([where, name.replace(NUL, "")])
        for name, value in pairs
        if NUL in name or NUL in value
    ]


def _scanned_media(scope: Scope) -> str | None:
    """'json' or 'form' for bodies we look into, else None."""
    content_type = header_value(scope, b"content-type")
    if content_type is None:
        return "json"  # FastAPI reads a body without Content-Type as JSON
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/x-www-form-urlencoded":
        return "form"
    if media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    ):
        return "json"
    return None


def body_errors(body: bytes, media: str) -> list[dict[str, Any]]:
    if media == "form":
        return _pairs_with_nul(body, "body") if b"%00" in body or b"\x00" in body else []
    if b"\\u0000" not in body:
        return []  # raw NUL bytes are invalid JSON: the route answers 422 for those
    try:
        document = json.loads(body)
    except ValueError:
        return []
    return [nul_error(loc) for loc in json_nul_locations(document, ["body"])]


class RejectNulMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        errors: list[dict[str, Any]] = []
        if NUL in scope["path"]:
            errors.append(nul_error(["path"]))
        query = scope.get("query_string", b"")
        if b"%00" in query or b"\x00" in query:
            errors += _pairs_with_nul(query, "query")
        media = _scanned_media(scope) if scope["method"] not in ("GET", "HEAD") else None
        if media is None:
            if errors:
                await _refuse(send, errors, scope["path"])
                return
            await self.app(scope, receive, send)
            return
        body, disconnected = await _read_body(receive)
        errors += body_errors(body, media)
        if errors:
            await _refuse(send, errors, scope["path"])
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"} if disconnected else await receive()

        await self.app(scope, replay, send)


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The whole body; and whether the stream ended otherwise (a disconnect)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), True
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), False


# The OAuth 2.0 token endpoint refuses the OAuth way (RFC 6749 section 5.2), never 422.
TOKEN_PATH = "/api/v1/auth/token"  # noqa: S105 - a path


async def _refuse(send: Send, errors: list[dict[str, Any]], path: str) -> None:
    if path == TOKEN_PATH:
        status = 400
        problem = problem_body(
            400,
            DETAIL,
            slug="oauth-invalid-request",
            title="OAuth 2.0 token request refused",
            errors=errors,
            error="invalid_request",
            error_description=DETAIL,
        )
    else:
        status = 422
        problem = problem_body(
            422, DETAIL, slug="validation-error", title="Invalid input", errors=errors
        )
    body = json.dumps(problem).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
