"""``Idempotency-Key`` on every POST: the first response is stored and replayed.

For an authenticated POST carrying the header:

* first time: the key is claimed (a pending row), the request runs, and its
  response (status < 500) is stored; a 5xx releases the claim so a retry runs again;
* same key and same request again: the stored response is replayed as it was
  (status, body, ETag), with ``Idempotency-Replayed: true``;
* same key, another request: 422; same key while the first is still running: 409.

Keys belong to the user (the token's subject); unauthenticated requests (the
login form) are never replayed. Records expire after ``idempotency_ttl_hours``.
A claim left pending by a crashed worker is taken over after
``PENDING_TAKEOVER``: the request then runs again, which the client ids of
creates and the status machines make harmless.
"""

from __future__ import annotations

import base64
import hashlib
import random
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta

import anyio
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from casework.core.config import get_settings
from casework.core.db import utcnow
from casework.core.middleware import header_value, send_problem
from casework.core.security import decode_access_token
from casework.idempotency.models import IdempotencyRecord

HEADER = b"idempotency-key"
VALID_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
PENDING_TAKEOVER = timedelta(minutes=5)
REPLAYED_HEADERS = ("content-type", "etag", "location")

SessionProvider = Callable[[], AbstractContextManager[Session]]


@dataclass(frozen=True)
class Claim:
    outcome: str  # claimed | replay | mismatch | in_progress
    record: IdempotencyRecord | None = None


def claim(provide: SessionProvider, scope_key: str, fingerprint: str, ttl: timedelta) -> Claim:
    now = utcnow()
    with provide() as session:
        record = session.get(IdempotencyRecord, scope_key, populate_existing=True)
        if record is not None:
            abandoned = record.state == "pending" and record.created_at < now - PENDING_TAKEOVER
            if record.expires_at < now or abandoned:
                session.delete(record)
                session.flush()
                record = None
            elif record.fingerprint != fingerprint:
                return Claim("mismatch")
            elif record.state == "pending":
                return Claim("in_progress")
            else:
                return Claim("replay", record)
        if random.random() < 0.01:  # noqa: S311 - housekeeping, not security
            session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.expires_at < now))
        try:
            with session.begin_nested():
                session.add(
                    IdempotencyRecord(
                        scope=scope_key,
                        fingerprint=fingerprint,
                        state="pending",
                        created_at=now,
                        expires_at=now + ttl,
                    )
                )
        except IntegrityError:
            session.commit()
            return Claim("in_progress")  # another request claimed it a moment ago
        session.commit()
        return Claim("claimed")


def complete(
    provide: SessionProvider, scope_key: str, status: int, headers: dict[str, str], body: bytes
) -> None:
    with provide() as session:
        record = session.scalar(
            select(IdempotencyRecord).where(IdempotencyRecord.scope == scope_key)
        )
        if record is None:
            return
        if status >= 500:
            session.delete(record)  # let a retry run the request again
        else:
            record.state = "done"
            record.response_status = status
            record.response_headers = headers
            record.response_body = base64.b64encode(body).decode()
        session.commit()


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, provide_session: SessionProvider) -> None:
        self.app = app
        self.provide_session = provide_session

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = header_value(scope, HEADER) if scope["type"] == "http" else None
        if key is None or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        if not VALID_KEY.match(key):
            await send_problem(
                send,
                422,
                "Idempotency-Key must be 1 to 200 visible ASCII characters.",
                slug="validation-error",
                errors=[
                    {
                        "loc": ["header", "Idempotency-Key"],
                        "msg": "1 to 200 visible ASCII characters",
                        "type": "string_pattern_mismatch",
                    }
                ],
            )
            return
        user = _user_of(scope)
        if user is None:  # not authenticated: never replayed; the route answers 401 itself
            await self.app(scope, receive, send)
            return

        body = await _read_body(receive)
        scope_key = hashlib.sha256(f"{user}\x00{key}".encode()).hexdigest()
        fingerprint = hashlib.sha256(
            b"\x00".join([scope["path"].encode(), scope.get("query_string", b""), body])
        ).hexdigest()
        ttl = timedelta(hours=get_settings().idempotency_ttl_hours)
        outcome = await anyio.to_thread.run_sync(
            claim, self.provide_session, scope_key, fingerprint, ttl
        )
        if outcome.outcome == "replay" and outcome.record is not None:
            await _replay(send, outcome.record)
            return
        if outcome.outcome == "mismatch":
            await send_problem(
                send,
                422,
                "This Idempotency-Key was used for a different request.",
                slug="idempotency-key-reused",
            )
            return
        if outcome.outcome == "in_progress":
            await send_problem(
                send,
                409,
                "A request with this Idempotency-Key is still being processed.",
                slug="idempotency-in-progress",
                headers=[(b"retry-after", b"1")],
            )
            return

        status, headers, chunks = 500, {}, []
        sent_body = False

        async def replay_receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    decoded = bytes(name).decode("latin-1").lower()
                    if decoded in REPLAYED_HEADERS:
                        headers[decoded] = bytes(value).decode("latin-1")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_receive, capture)
        finally:
            await anyio.to_thread.run_sync(
                complete, self.provide_session, scope_key, status, headers, b"".join(chunks)
            )


def _user_of(scope: Scope) -> str | None:
    authorization = header_value(scope, b"authorization") or ""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    claims = decode_access_token(token, key=get_settings().signing_key())
    return str(claims.user_id) if claims else None


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _replay(send: Send, record: IdempotencyRecord) -> None:
    body = base64.b64decode(record.response_body or "")
    headers = [(k.encode(), v.encode()) for k, v in (record.response_headers or {}).items()]
    headers += [(b"idempotency-replayed", b"true"), (b"content-length", str(len(body)).encode())]
    await send(
        {"type": "http.response.start", "status": record.response_status, "headers": headers}
    )
    await send({"type": "http.response.body", "body": body})
