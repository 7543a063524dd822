"""API keys for reporting tools: shown once, stored hashed, revocable, acting as `reporting`."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.auth.models import ApiKey
from casework.core.db import utcnow
from casework.core.errors import NotFound

PREFIX = "cwk_"
LAST_USED_RESOLUTION = timedelta(minutes=1)  # not a write on every request


def is_api_key(token: str) -> bool:
    return token.startswith(PREFIX)


def digest(key: str) -> str:
    # 256 random bits: a plain SHA-256 is enough (no dictionary to attack).
    return hashlib.sha256(key.encode()).hexdigest()


def create(session: Session, name: str, created_by: uuid.UUID) -> tuple[ApiKey, str]:
    key = PREFIX + secrets.token_urlsafe(32)
    record = ApiKey(name=name, prefix=key[:12], key_hash=digest(key), created_by_id=created_by)
    session.add(record)
    session.flush()
    return record, key


def authenticate(session: Session, key: str) -> ApiKey | None:
    record = session.scalar(
        select(ApiKey).where(ApiKey.key_hash == digest(key), ApiKey.revoked_at.is_(None))
    )
    if record is None:
        return None
    now = utcnow()
    if record.last_used_at is None or now - record.last_used_at > LAST_USED_RESOLUTION:
        record.last_used_at = now
    # For the audit trail: entries written during this request name the key.
    session.info["current_user"] = SimpleNamespace(
        id=record.id, username=f"api-key:{record.name}", role="reporting"
    )
    return record


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at)))


def revoke(session: Session, key_id: uuid.UUID) -> None:
    record = session.get(ApiKey, key_id)
    if record is None:
        raise NotFound("No such API key.")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        session.flush()
