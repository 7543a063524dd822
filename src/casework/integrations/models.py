"""KoboToolbox forms (with their mapping), received submissions, and pull progress."""

from __future__ import annotations

import json
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
    # After a rotation with a grace period, the previous secret works until then.
    previous_secret_hash: Mapped[str | None] = mapped_column(String(64))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column()


class KoboSubmission(Base):
    """Every submission as received (encrypted), accepted or quarantined with its reasons."""

    __tablename__ = "kobo_submissions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    form_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("kobo_forms.id", ondelete="CASCADE"))
    instance_id: Mapped[str] = mapped_column(String(200))
    form_version: Mapped[str | None] = mapped_column(String(100))
    payload: Mapped[str] = mapped_column(EncryptedText("kobo_submissions.payload"))
    state: Mapped[str] = mapped_column(String(16))  # accepted | quarantined | superseded
    # Why it is quarantined: question paths and error kinds, never answers; encrypted all
    # the same (JSON list). NULL: kept by an earlier version, reprocess to see them.
    sealed_reasons: Mapped[str | None] = mapped_column(
        "reasons", EncryptedText("kobo_submissions.reasons")
    )
    # Edits in Kobo get a new instance id and name the one they replace
    # (meta/deprecatedID); every version points to the first (the incident's id comes
    # from it), and to the version it replaces.
    root_instance_id: Mapped[str | None] = mapped_column(String(200))
    replaces_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("kobo_submissions.id", ondelete="SET NULL")
    )
    incident_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL")
    )
    mapping_version: Mapped[int] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("form_id", "instance_id"),)

    @property
    def reasons(self) -> list[str]:
        if self.sealed_reasons is None:
            return ["reasons not kept by an earlier version: reprocess to see them"]
        value: list[str] = json.loads(self.sealed_reasons)
        return value

    @reasons.setter
    def reasons(self, value: list[str]) -> None:
        self.sealed_reasons = json.dumps(list(value))

    @property
    def root(self) -> str:
        return self.root_instance_id or self.instance_id


class KoboPullState(Base):
    """Where `casework kobo pull` stopped for an asset: the next page to fetch."""

    __tablename__ = "kobo_pull_state"

    asset_uid: Mapped[str] = mapped_column(String(100), primary_key=True)
    next_url: Mapped[str | None] = mapped_column(Text)
    processed: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
