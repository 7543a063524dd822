"""KoboToolbox forms (with their mapping), received submissions, and pull progress."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.crypto import EncryptedText
from casework.core.db import Base, TimestampMixin, utcnow


class KoboForm(TimestampMixin, Base):
    __tablename__ = "kobo_forms"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # the {form} in the push URL
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(64))
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    # Submissions whose Kobo user is not in the mapping are made by this monitor.
    default_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON)
    mapping_version: Mapped[int] = mapped_column(default=1)


class KoboSubmission(Base):
    """Every submission as received (encrypted), accepted or quarantined with its reasons."""

    __tablename__ = "kobo_submissions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    form_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("kobo_forms.id", ondelete="CASCADE"))
    instance_id: Mapped[str] = mapped_column(String(200))
    form_version: Mapped[str | None] = mapped_column(String(100))
    payload: Mapped[str] = mapped_column(EncryptedText("kobo_submissions.payload"))
    state: Mapped[str] = mapped_column(String(16))  # accepted | quarantined
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    incident_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL")
    )
    mapping_version: Mapped[int] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("form_id", "instance_id"),)


class KoboPullState(Base):
    """Where `casework kobo pull` stopped for an asset: the next page to fetch."""

    __tablename__ = "kobo_pull_state"

    asset_uid: Mapped[str] = mapped_column(String(100), primary_key=True)
    next_url: Mapped[str | None] = mapped_column(Text)
    processed: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
