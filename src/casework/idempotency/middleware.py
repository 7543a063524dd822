"""``Idempotency-Key`` on every POST: the first response is stored and replayed.

For an authenticated POST carrying the header:

* first time: the key is claimed (a pending row), the request runs, and its
  response (status < 500) is stored; a 5xx releases the claim so a retry runs again;
* same key and same request again: the stored response is replayed as it was
  (status, body, ETag), with ``Idempotency-Replayed: true``;
* same key, another request: 422; same key while the first is still running: 409.

Keys belong to the user (or API key) that sent them. The caller is authenticated
in full before anything is claimed or replayed, as the routes would: an active
user whose token generation is current, or an API key not revoked. Anything
else goes on to the route, which answers 401; a stored response is never given
to a deactivated user or a revoked token. Every replay is an audit entry.
Unauthenticated requests (the login form) are never replayed. Records expire
after ``idempotency_ttl_hours``.
A claim left pending by a crashed worker is taken over after
``PENDING_TAKEOVER``: the request then runs again, which the client ids of
creates and the status machines make harmless.
"""

from __future__ import annotations

import base64
import hashlib
import os
import random
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, Any

import anyio
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from casework.audit import service as audit_service
from casework.auth import apikeys
from casework.auth.models import User
from casework.core import blobcrypto
from casework.core.blobcrypto import Encryptor
from casework.core.config import get_settings
from casework.core.crypto import Keyring
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
    outcome: str  # claimed | replay | mismatch | in_progress | unauthenticated
    record: IdempotencyRecord | None = None
    scope_key: str = ""


def caller_of(session: Session, token: str) -> str | None:
    """Who is calling, checked as fully as the routes check it; None if nobody valid.

    Also names the caller for the audit trail of this session.
    """
    if apikeys.is_api_key(token):
        key = apikeys.authenticate(session, token)
        return None if key is None else f"api-key:{key.id}"
    claims = decode_access_token(token, key=get_settings().signing_key())
    if claims is None:
        return None
    user = session.get(User, claims.user_id, populate_existing=True)
    if user is None or not user.is_active or user.token_generation != claims.generation:
        return None
    session.info["current_user"] = user
    return str(user.id)


def claim(
    provide: SessionProvider,
    token: str,
    key: str,
    fingerprint: str,
    ttl: timedelta,
    where: str,
) -> Claim:
    now = utcnow()
    with provide() as session:
        caller = caller_of(session, token)
        if caller is None:
            session.commit()
            return Claim("unauthenticated")
        scope_key = hashlib.sha256(f"{caller}\x00{key}".encode()).hexdigest()
        record = session.get(IdempotencyRecord, scope_key, populate_existing=True)
        if record is not None:
            abandoned = record.state == "pending" and record.created_at < now - PENDING_TAKEOVER
            if record.expires_at < now or abandoned:
                session.delete(record)
                session.flush()
                record = None
            elif record.fingerprint != fingerprint:
                session.commit()
                return Claim("mismatch", scope_key=scope_key)
            elif record.state == "pending":
                session.commit()
                return Claim("in_progress", scope_key=scope_key)
            else:
                audit_service.record(
                    session,
                    "idempotency.replay",
                    detail={"request": where, "status": record.response_status},
                )
                session.commit()
                return Claim("replay", record, scope_key)
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
            # another request claimed it a moment ago
            return Claim("in_progress", scope_key=scope_key)
        session.commit()
        return Claim("claimed", scope_key=scope_key)


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
        token = _bearer_token(scope)
        if token is None:  # not authenticated: never replayed; the route answers 401 itself
            await self.app(scope, receive, send)
            return

        digest = hashlib.sha256(
            scope["path"].encode() + b"\x00" + scope.get("query_string", b"") + b"\x00"
        )
        body = await SpooledBody.read(receive, digest)
        fingerprint = digest.hexdigest()
        ttl = timedelta(hours=get_settings().idempotency_ttl_hours)
        outcome = await anyio.to_thread.run_sync(
            claim, self.provide_session, token, key, fingerprint, ttl, f"POST {scope['path']}"
        )
        if outcome.outcome == "unauthenticated":
            # Not a valid caller (deactivated, revoked, expired): nothing is claimed or
            # replayed; the route answers 401.
            try:
                await self.app(scope, _replaying(body, receive), send)
            finally:
                body.close()
            return
        scope_key = outcome.scope_key
        if outcome.outcome != "claimed":
            body.close()  # answered here: the app never reads it
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
            await self.app(scope, _replaying(body, receive), capture)
        finally:
            body.close()
            await anyio.to_thread.run_sync(
                complete, self.provide_session, scope_key, status, headers, b"".join(chunks)
            )


def _bearer_token(scope: Scope) -> str | None:
    authorization = header_value(scope, b"authorization") or ""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def _replaying(body: SpooledBody, receive: Receive) -> Receive:
    """The body read ahead, handed on to the app, then the connection's own messages."""
    replayed = body.messages()

    async def replay_receive() -> Message:
        message = await anyio.to_thread.run_sync(next, replayed, None)
        return message if message is not None else await receive()

    return replay_receive


class SpooledBody:
    """A request body kept to hand on to the app: in memory up to ``IN_MEMORY`` bytes,
    beyond that (attachments) in an anonymous temporary file, sealed with a key that
    lives only in this object, so neither memory nor disk ever holds a whole upload
    in the clear."""

    IN_MEMORY = 1024 * 1024

    def __init__(self) -> None:
        self.small = bytearray()
        self.spool: IO[bytes] | None = None
        self.encryptor: Encryptor | None = None
        self.keyring: Keyring | None = None

    @classmethod
    async def read(cls, receive: Receive, digest: Any) -> SpooledBody:
        body = cls()
        try:
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    break
                chunk = message.get("body", b"")
                digest.update(chunk)
                await body.append(chunk)
                if not message.get("more_body", False):
                    break
            if body.encryptor is not None:
                await anyio.to_thread.run_sync(body.encryptor.close)
        except BaseException:
            body.close()
            raise
        return body

    async def append(self, chunk: bytes) -> None:
        if self.encryptor is None and len(self.small) + len(chunk) <= self.IN_MEMORY:
            self.small += chunk
            return
        if self.encryptor is None:
            self.spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
            self.keyring = Keyring(
                keys={"spool": os.urandom(32)}, active="spool", blind_index_key=b""
            )
            self.encryptor = Encryptor(self.keyring, "idempotency-spool", self.spool.write)
            self.encryptor.write(bytes(self.small))
            self.small.clear()
        await anyio.to_thread.run_sync(self.encryptor.write, chunk)

    def messages(self) -> Iterator[Message]:
        """The body again, as ASGI messages (read from a worker thread: file I/O)."""
        if self.spool is None or self.keyring is None:
            yield {"type": "http.request", "body": bytes(self.small), "more_body": False}
            return
        self.spool.seek(0)
        spool = self.spool
        stored = iter(lambda: spool.read(64 * 1024), b"")
        for chunk in blobcrypto.decrypt(self.keyring, "idempotency-spool", stored):
            yield {"type": "http.request", "body": chunk, "more_body": True}
        yield {"type": "http.request", "body": b"", "more_body": False}

    def close(self) -> None:
        if self.spool is not None:
            self.spool.close()
            self.spool = None


async def _replay(send: Send, record: IdempotencyRecord) -> None:
    body = base64.b64decode(record.response_body or "")
    headers = [(k.encode(), v.encode()) for k, v in (record.response_headers or {}).items()]
    headers += [(b"idempotency-replayed", b"true"), (b"content-length", str(len(body)).encode())]
    await send(
        {"type": "http.response.start", "status": record.response_status, "headers": headers}
    )
    await send({"type": "http.response.body", "body": body})
