"""ASGI middleware: request ids, body size limit, security headers."""

from __future__ import annotations

import ipaddress
import json
import re
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from fastapi import routing
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from casework.core.context import client_address_var, reads_only_var, request_id_var
from casework.core.errors import PROBLEM_MEDIA_TYPE, problem_body
from casework.core.observability import observe

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._~-]{1,200}$")
_PATH_PARAMETER = re.compile(r"\{[^/{}]+\}")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
}
# Framework routes without a route object in scope; any other unmatched path is
# "unmatched" (a raw path would let clients mint metric labels).
STATIC_ROUTES = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
# /docs and /redoc set their own policy (core/docs.py); everything else is JSON.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Methods that promise no change (RFC 9110 safe methods a route here may have).
READING_METHODS = frozenset({"GET", "HEAD"})


class TrustedProxies:
    """The addresses whose forwarding headers are believed (``CASEWORK_TRUSTED_PROXIES``)."""

    def __init__(self, networks: Iterable[str]) -> None:
        self.networks = tuple(ipaddress.ip_network(n, strict=False) for n in networks)

    def trusts(self, address: str | None) -> bool:
        if not address or not self.networks:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def client_of(self, peer: str | None, forwarded_for: str | None) -> str | None:
        """The client address: the peer, or, behind trusted proxies, the first untrusted
        hop of X-Forwarded-For read from the right (what the nearest proxy saw)."""
        if not self.trusts(peer) or not forwarded_for:
            return peer
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not _is_ip(hop):
                return peer  # garbage in the header: believe nothing in it
            if not self.trusts(hop):
                return hop
        return hops[0] if hops else peer


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


class RequestContextMiddleware:
    """Request ids, the client address, security headers and the access log.

    The request id is made here, so the audit trail never holds a value chosen by
    a client; only a trusted proxy (which makes its own, as nginx's ``$request_id``)
    may supply it. A client's own ``X-Request-ID`` is kept, sanitised, in the
    access log only. ``X-Forwarded-For`` and ``X-Forwarded-Proto`` count only
    when the peer is a trusted proxy.
    """

    def __init__(self, app: ASGIApp, trusted_proxies: Iterable[str] = ()) -> None:
        self.app = app
        self.proxies = TrustedProxies(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        peer = client[0] if client else None
        from_proxy = self.proxies.trusts(peer)
        incoming = header_value(scope, b"x-request-id")
        safe_incoming = incoming if incoming and _SAFE_REQUEST_ID.match(incoming) else None
        request_id = safe_incoming if from_proxy and safe_incoming else uuid.uuid4().hex
        client_request_id = None if from_proxy else safe_incoming
        address = self.proxies.client_of(peer, header_value(scope, b"x-forwarded-for"))
        if from_proxy:
            if address != peer:
                scope["client"] = (address, 0)
            proto = (header_value(scope, b"x-forwarded-proto") or "").strip().lower()
            if proto in ("http", "https"):
                scope["scheme"] = proto
        scope.setdefault("state", {})["request_id"] = request_id
        request_token = request_id_var.set(request_id)
        client_token = client_address_var.set(address)
        # GET and HEAD change nothing: on SQLite they read without the write lock.
        reads_token = reads_only_var.set(scope["method"] in READING_METHODS)
        is_docs = scope["path"] in ("/docs", "/redoc") or scope["path"].startswith("/docs/")
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if not is_docs:
                    headers.setdefault("Content-Security-Policy", API_CSP)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            route = getattr(scope.get("route"), "path", None) or (
                scope["path"] if scope["path"] in STATIC_ROUTES else "unmatched"
            )
            observe(
                scope["method"],
                route,
                status,
                time.perf_counter() - started,
                client_request_id=client_request_id,
            )
            request_id_var.reset(request_token)
            client_address_var.reset(client_token)
            reads_only_var.reset(reads_token)


class BodySizeLimitMiddleware:
    """Answers 413 for bodies over the limit, by Content-Length or while streaming."""

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        larger: dict[tuple[str, str], int] | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        # (method, path) -> its own limit, for the few routes that take files.
        self.larger = larger or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get((scope["method"], scope["path"]), self.max_body_bytes)
        declared = header_value(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _send_413(send, limit)
            return

        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not response_started:
                await _send_413(send, limit)


class _BodyTooLarge(HTTPException):
    """An HTTPException so that FastAPI's body parsing re-raises it as a 413
    (any other exception there becomes a 400) and the problem handler renders it."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit} bytes.")


async def _send_413(send: Send, limit: int) -> None:
    await send_problem(
        send,
        413,
        f"The request body is larger than {limit} bytes.",
        slug="too-large",
    )


async def send_problem(
    send: Send,
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    headers: list[tuple[bytes, bytes]] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> None:
    """Answer with a problem+json directly from ASGI middleware (outside FastAPI's handlers)."""
    body = json.dumps(problem_body(status, detail, slug=slug, errors=errors)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def header_value(scope: Scope, name: bytes) -> str | None:
    """A request header from an ASGI scope (names are lower-case bytes)."""
    headers: Any = scope.get("headers") or []
    for key, value in headers:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def collections_with_items(routes: Sequence[BaseRoute]) -> frozenset[str]:
    """Paths ``/x`` for which a ``GET /x/{id}`` exists: where a created record can be read."""
    gets = {
        str(context.path_format)
        for context in routing.iter_route_contexts(routes)
        if "GET" in (context.methods or ())
    }
    return frozenset(
        path.rsplit("/", 1)[0] for path in gets if _PATH_PARAMETER.fullmatch(path.rsplit("/", 1)[1])
    )


class LocationMiddleware:
    """A 201 to ``POST /x`` whose body has an ``id`` gets ``Location: /x/{id}``.

    Only where ``GET /x/{id}`` exists, so the header always names a readable record.
    Inside the idempotency middleware, so a replayed 201 carries it too.
    """

    def __init__(self, app: ASGIApp, routes: Callable[[], Sequence[BaseRoute]]) -> None:
        self.app = app
        self.routes = routes
        self._collections: frozenset[str] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        if self._collections is None:
            self._collections = collections_with_items(self.routes())
        path = scope["path"].rstrip("/")
        if path not in self._collections:
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def buffered_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start" and message["status"] == 201:
                start = message
                return
            if start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            headers = MutableHeaders(scope=start)
            record_id = _id_of(body)
            if record_id is not None and "location" not in headers:
                headers["Location"] = f"{path}/{record_id}"
            await send(start)
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, buffered_send)


def _id_of(body: bytes) -> str | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    record_id = document.get("id") if isinstance(document, dict) else None
    return record_id if isinstance(record_id, str) and _SAFE_ID.match(record_id) else None
