"""Organisations, users and login throttling."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.db import Base, TimestampMixin, utcnow


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    # Region P-codes (admin1). Empty for a supervisor means every region.
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    actor_code: Mapped[str | None] = mapped_column(
        ForeignKey("actors.code", ondelete="RESTRICT", onupdate="CASCADE")
    )
    is_active: Mapped[bool] = mapped_column(default=True)
    # Where notifications are e-mailed (optional), and in which language (fr | en).
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str | None] = mapped_column(String(8))
    # Embedded in every token; bumping it revokes all tokens issued before.
    token_generation: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)

    organization: Mapped[Organization | None] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class LoginThrottle(Base):
    """Failed-login counters per username, in the database so that every worker agrees."""

    __tablename__ = "login_throttle"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column()


class ApiKey(Base):
    """A reporting tool's long-lived key. Only its SHA-256 is stored; it acts as `reporting`."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(12))  # shown in lists to tell keys apart
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
