from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from casework.core.schemas import ReadModel, WriteModel


class AuditRead(ReadModel):
    id: uuid.UUID
    seq: int
    at: datetime
    user_id: uuid.UUID | None
    username: str | None
    role: str | None
    action: str
    record_type: str | None
    record_id: str | None
    request_id: str | None
    client_address: str | None
    detail: dict[str, Any]
    prev_hash: str
    hash: str


class AuditQuery(WriteModel):
    user_id: uuid.UUID | None = None
    username: str | None = Field(default=None, max_length=64)
    record_type: str | None = Field(default=None, max_length=64)
    record_id: str | None = Field(default=None, max_length=200)
    action: str | None = Field(default=None, max_length=32)
    at_from: datetime | None = Field(default=None, alias="from")
    at_to: datetime | None = Field(default=None, alias="to")
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=200)
