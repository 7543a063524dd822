"""Recording audit entries and proving the chain.

Entries are queued on the session during the request (``record()``), and
every ORM write is queued automatically (``after_flush``). Just before the
transaction commits, the queue is appended to the chain: the appender locks
the chain's head row (``SELECT ... FOR UPDATE``; SQLite's write lock is
already held), links and hashes the entries, then inserts them and moves the
head. Appenders from any number of processes queue on that row, so the chain
stays one line, and an entry is committed if and only if what it records is.
On PostgreSQL the insert and the head move are one statement, so an append
costs two round trips.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, event, insert, inspect, select, update
from sqlalchemy.orm import Session

from casework.audit.models import HEAD_ID, AuditChainHead, AuditEntry
from casework.core.context import client_address_var, request_id_var
from casework.core.db import utcnow

GENESIS = "0" * 64
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


_LOG = cast(Table, AuditEntry.__table__)
_HEAD = cast(Table, AuditChainHead.__table__)
# Locks the head row until commit; in READ COMMITTED a waiter then reads the
# head its predecessor committed. (SQLite ignores FOR UPDATE: BEGIN IMMEDIATE
# already holds the database's write lock.)
_LOCK_HEAD = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == HEAD_ID).with_for_update()
_MOVE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == HEAD_ID)
    .values(seq=bindparam("head_seq"), hash=bindparam("head_hash"))
)
_INSERT_ENTRIES = insert(_LOG)
# The usual append (one entry) on PostgreSQL: the insert and the head move in
# one statement, a writable CTE. Built once, so its compiled form is cached.
_INSERT_ONE_AND_MOVE_HEAD = (
    insert(_LOG)
    .values({column.key: bindparam(f"entry_{column.key}", type_=column.type) for column in _LOG.c})
    .add_cte(_MOVE_HEAD.cte("moved_head"))
)


class ChainHeadMissing(RuntimeError):
    """The audit_chain_head row is gone: nothing can be appended until it is restored."""


def _write_pending(session: Session) -> None:
    pending: list[Pending] = session.info.pop(PENDING, [])
    if not pending:
        return
    # Core on the session's connection: this runs on every write request.
    connection = session.connection()
    head = connection.execute(_LOCK_HEAD).first()
    if head is None:
        raise ChainHeadMissing("audit_chain_head has no row; run `casework migrate`")
    seq, prev_hash = head[0], head[1]
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
    _append(connection, rows, head_seq=seq, head_hash=prev_hash)


def _append(
    connection: Connection, rows: list[dict[str, Any]], *, head_seq: int, head_hash: str
) -> None:
    head = {"head_seq": head_seq, "head_hash": head_hash}
    if len(rows) == 1 and connection.dialect.name == "postgresql":
        connection.execute(
            _INSERT_ONE_AND_MOVE_HEAD, {f"entry_{k}": v for k, v in rows[0].items()} | head
        )
        return
    connection.execute(_INSERT_ENTRIES, rows)  # one executemany for all the entries
    connection.execute(_MOVE_HEAD, head)


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
    """Walk the chain up to its head; report the first entry whose link or hash is
    wrong, or where the chain stops short of its head (entries removed from the end).

    Entries appended while the walk runs lie beyond the head read at the start
    and are left for the next run.
    """
    head = session.execute(
        select(AuditChainHead.seq, AuditChainHead.hash).where(AuditChainHead.id == HEAD_ID)
    ).first()
    if head is None:
        return Verification(0, 0, "the chain head row is missing")
    head_seq, head_hash = head[0], head[1]
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    while True:
        entries = list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.seq >= expected_seq, AuditEntry.seq <= head_seq)
                .order_by(AuditEntry.seq)
                .limit(batch)
            )
        )
        if not entries:
            break
        for entry in entries:
            if entry.seq != expected_seq:
                return Verification(checked, expected_seq, f"entry {expected_seq} is missing")
            if entry.prev_hash != prev_hash:
                return Verification(checked, entry.seq, "does not link to the previous entry")
            if entry.hash != entry_hash(prev_hash, hashed_fields(entry)):
                return Verification(checked, entry.seq, "content does not match its hash")
            prev_hash, expected_seq = entry.hash, expected_seq + 1
            checked += 1
        session.expunge_all()
    if checked < head_seq:
        return Verification(
            checked, expected_seq, f"entry {expected_seq} is missing (the head is at {head_seq})"
        )
    if prev_hash != head_hash:
        return Verification(checked, head_seq, "the chain head does not match the last entry")
    return Verification(checked, None, None)


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
