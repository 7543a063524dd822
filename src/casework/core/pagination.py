"""Keyset (cursor) pagination: stable under inserts, as fast deep as on page one."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select, literal, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from casework.core.errors import InvalidInput

T = TypeVar("T")
Row = TypeVar("Row")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")]
CursorQuery = Annotated[
    str | None,
    Query(max_length=200, description="Opaque cursor from the previous page's next_cursor"),
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(created_at: datetime, record_id: uuid.UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(record_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created_at, record_id = json.loads(base64.urlsafe_b64decode(padded))
        moment = datetime.fromisoformat(created_at)
        if moment.tzinfo is None:
            raise ValueError("naive cursor")
        return moment, uuid.UUID(record_id)
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise InvalidInput(
            "The cursor is not one this API issued.",
            errors=[{"loc": ["query", "cursor"], "msg": "invalid cursor", "type": "cursor"}],
        ) from exc


def keyset_page(
    session: Session,
    stmt: Select[Row],
    *,
    created_at: InstrumentedAttribute[datetime],
    record_id: InstrumentedAttribute[uuid.UUID],
    limit: int,
    cursor: str | None,
) -> tuple[list[Row], str | None]:
    """Newest first by (created_at, id); one extra row tells whether a next page exists."""
    if cursor:
        after_created, after_id = decode_cursor(cursor)
        # Typed literals so the values bind exactly as the columns store them.
        stmt = stmt.where(
            tuple_(created_at, record_id)
            < tuple_(literal(after_created, created_at.type), literal(after_id, record_id.type))
        )
    stmt = stmt.order_by(created_at.desc(), record_id.desc()).limit(limit + 1)
    rows: list[Any] = list(session.scalars(stmt))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(getattr(last, created_at.key), getattr(last, record_id.key))
    return rows, next_cursor
