"""Per-request context (request id, client address) for logs and the audit trail."""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
client_address_var: ContextVar[str | None] = ContextVar("client_address", default=None)
# True while serving a request whose method promises no change (GET, HEAD): on
# SQLite its transaction starts as a reader and takes the write lock only if it
# comes to write (core/db.py).
reads_only_var: ContextVar[bool] = ContextVar("reads_only", default=False)
