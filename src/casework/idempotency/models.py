"""Stored first responses of POSTs sent with an Idempotency-Key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.crypto import EncryptedText
from casework.core.db import Base


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_records"

    # sha256 of (user id, key): a key means nothing outside its user.
    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    # sha256 of method, path, query and body of the first request.
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # pending | done
    response_status: Mapped[int | None] = mapped_column()
    response_headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Base64 of the body, encrypted: a create's response may carry a name.
    response_body: Mapped[str | None] = mapped_column(
        EncryptedText("idempotency_records.response_body")
    )
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()

    __table_args__ = (Index("ix_idempotency_records_expires_at", "expires_at"),)
