"""The audit trail: append-only (the database refuses UPDATE and DELETE) and hash-chained."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.db import Base


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # Position in the chain: 1, 2, 3, ... with no gaps; unique, so two writers
    # can never both extend the same head.
    seq: Mapped[int] = mapped_column(unique=True)
    at: Mapped[datetime] = mapped_column()
    user_id: Mapped[uuid.UUID | None] = mapped_column()
    username: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    record_type: Mapped[str | None] = mapped_column(String(64))
    record_id: Mapped[str | None] = mapped_column(String(200))
    request_id: Mapped[str | None] = mapped_column(String(64))
    client_address: Mapped[str | None] = mapped_column(String(64))
    # Names of changed fields and similar; never values of identifying fields.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_log_at_id", "at", "id"),
        Index("ix_audit_log_record_type_record_id", "record_type", "record_id"),
        Index("ix_audit_log_user_id_at", "user_id", "at"),
    )


HEAD_ID = 1


class AuditChainHead(Base):
    """The chain's last link, in one row.

    An appender locks this row (``SELECT ... FOR UPDATE``) and moves it in the
    same transaction as its entries, so appenders from any number of processes
    queue here and the chain stays one line. It also lets ``verify`` notice
    entries removed from the end of the chain, which links alone cannot show.
    """

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column()
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (CheckConstraint(f"id = {HEAD_ID}", name="single_row"),)
