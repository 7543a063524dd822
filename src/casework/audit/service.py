"""Recording audit entries and proving the chain.

Entries are queued on the session during the request (``record()``), and
every ORM write is queued automatically (``after_flush``). Just before the
transaction commits, the queue is written under a lock that serialises chain
appends across processes (a PostgreSQL advisory lock; SQLite's write lock is
already held), so the chain stays one line whatever the number of workers, and
an entry is committed if and only if what it records is.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event, insert, inspect, select, text
from sqlalchemy.orm import Session

from casework.audit.models import AuditEntry
from casework.core.context import client_address_var, request_id_var
from casework.core.db import utcnow

GENESIS = "0" * 64
CHAIN_LOCK = 727_001  # pg_advisory_xact_lock key for appending to the chain
PENDING = "audit_pending"
# Not audited as record writes: the audit log itself and the login throttle
# (logins are audited as login.success / login.failure).
UNAUDITED_TABLES = {"audit_log", "login_throttle", "idempotency_records"}


@dataclass
class Pending:
    action: str
    record_type: str | None
    record_id: str | None
    detail: dict[str, Any] = field(default_factory=dict)
    user_id: uuid.UUID | None = None
    username: str | None = None
    role: str | None = None


def record(
    session: Session,
    action: str,
    record_type: str | None = None,
    record_id: object | None = None,
    *,
    detail: dict[str, Any] | None = None,
    username: str | None = None,
) -> None:
    """Queue an entry; it is written with the transaction's commit."""
    user = session.info.get("current_user")
    session.info.setdefault(PENDING, []).append(
        Pending(
            action=action,
            record_type=record_type,
            record_id=None if record_id is None else str(record_id),
            detail=detail or {},
            user_id=getattr(user, "id", None),
            username=getattr(user, "username", None) or username,
            role=getattr(user, "role", None),
        )
    )


def record_reads(session: Session, record_type: str, record_ids: Iterable[object]) -> None:
    for record_id in record_ids:
        record(session, "read", record_type, record_id)


def entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


HASHED = (
    "seq",
    "at",
    "user_id",
    "username",
    "role",
    "action",
    "record_type",
    "record_id",
    "request_id",
    "client_address",
    "detail",
)


def hashed_fields(entry: AuditEntry) -> dict[str, Any]:
    return _hashed({name: getattr(entry, name) for name in HASHED})


def _hashed(values: dict[str, Any]) -> dict[str, Any]:
    """What the hash covers, in a form that reads the same back from either database."""
    fields = {name: values[name] for name in HASHED}
    fields["at"] = fields["at"].isoformat()
    fields["user_id"] = str(fields["user_id"]) if fields["user_id"] else None
    return fields


def _write_pending(session: Session) -> None:
    pending: list[Pending] = session.info.pop(PENDING, [])
    if not pending:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    head = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (head[0], head[1]) if head else (0, GENESIS)
    now = utcnow()
    request_id, client_address = request_id_var.get(), client_address_var.get()
    rows: list[dict[str, Any]] = []
    for item in pending:
        seq += 1
        row = {
            "id": uuid.uuid4(),
            "seq": seq,
            "at": now,
            "user_id": item.user_id,
            "username": item.username,
            "role": item.role,
            "action": item.action,
            "record_type": item.record_type,
            "record_id": item.record_id,
            "request_id": request_id,
            "client_address": client_address,
            "detail": item.detail,
            "prev_hash": prev_hash,
        }
        row["hash"] = prev_hash = entry_hash(prev_hash, _hashed(row))
        rows.append(row)
    # One bulk INSERT, not the unit of work: this runs on every write request.
    session.execute(insert(AuditEntry), rows)


def _queue_writes(session: Session, flush_context: Any) -> None:
    for action, objects in (
        ("create", session.new),
        ("update", session.dirty),
        ("delete", session.deleted),
    ):
        for obj in objects:
            table = getattr(obj, "__tablename__", None)
            if table is None or table in UNAUDITED_TABLES:
                continue
            state = inspect(obj)
            detail: dict[str, Any] = {}
            if action == "update":
                changed = sorted(
                    attr.key
                    for attr in state.attrs
                    if attr.history.has_changes() and attr.key not in ("version", "updated_at")
                )
                if not changed:
                    continue
                detail["fields"] = changed
            key = state.mapper.primary_key_from_instance(obj)
            record_id = ",".join(str(part) for part in key if part is not None) or None
            record(session, action, table, record_id, detail=detail)


def _before_commit(session: Session) -> None:
    # Writes queued by the last flush, then the queue itself.
    session.flush()
    _write_pending(session)


def _forget_pending(session: Session, previous_transaction: Any) -> None:
    # What a rolled-back transaction did is not audited as done.
    session.info.pop(PENDING, None)


def install(session_class: type[Session] = Session) -> None:
    """Hook the audit trail into every session (idempotent)."""
    if not event.contains(session_class, "after_flush", _queue_writes):
        event.listen(session_class, "after_flush", _queue_writes)
        event.listen(session_class, "before_commit", _before_commit)
        event.listen(session_class, "after_soft_rollback", _forget_pending)


@dataclass(frozen=True)
class Verification:
    checked: int
    broken_at: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify(session: Session, batch: int = 5000) -> Verification:
    """Walk the chain in order; report the first entry whose link or hash is wrong."""
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    last_seq = 0
    while True:
        entries = list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.seq > last_seq)
                .order_by(AuditEntry.seq)
                .limit(batch)
            )
        )
        if not entries:
            return Verification(checked, None, None)
        for entry in entries:
            if entry.seq != expected_seq:
                return Verification(checked, expected_seq, f"entry {expected_seq} is missing")
            if entry.prev_hash != prev_hash:
                return Verification(checked, entry.seq, "does not link to the previous entry")
            if entry.hash != entry_hash(prev_hash, hashed_fields(entry)):
                return Verification(checked, entry.seq, "content does not match its hash")
            prev_hash, expected_seq, last_seq = entry.hash, expected_seq + 1, entry.seq
            checked += 1
        session.expunge_all()


def entries_query(
    *,
    user_id: uuid.UUID | None = None,
    username: str | None = None,
    record_type: str | None = None,
    record_id: str | None = None,
    action: str | None = None,
    at_from: datetime | None = None,
    at_to: datetime | None = None,
) -> Any:
    stmt = select(AuditEntry)
    if user_id:
        stmt = stmt.where(AuditEntry.user_id == user_id)
    if username:
        stmt = stmt.where(AuditEntry.username == username.lower())
    if record_type:
        stmt = stmt.where(AuditEntry.record_type == record_type)
    if record_id:
        stmt = stmt.where(AuditEntry.record_id == record_id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if at_from:
        stmt = stmt.where(AuditEntry.at >= at_from)
    if at_to:
        stmt = stmt.where(AuditEntry.at <= at_to)
    return stmt
