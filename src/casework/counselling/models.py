"""Counselling sessions: a person (or an anonymous visitor) and the concerns they brought."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.crypto import EncryptedText
from casework.core.db import Base, TimestampMixin
from casework.core.recordkey import new_record_key


class CounsellingSession(TimestampMixin, Base):
    __tablename__ = "counselling_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    held_on: Mapped[date] = mapped_column(Date)
    office: Mapped[str] = mapped_column(String(200))
    counsellor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("persons.id", ondelete="RESTRICT"), index=True
    )
    # For anonymous visitors, and copied from the person otherwise (for statistics).
    sex: Mapped[str | None] = mapped_column(String(16))
    age_group: Mapped[str | None] = mapped_column(String(16))
    population_group: Mapped[str | None] = mapped_column(String(32))
    region: Mapped[str] = mapped_column(String(16))
    code_set: Mapped[str] = mapped_column(String(64))
    notes: Mapped[str | None] = mapped_column(EncryptedText("counselling_sessions.notes"))
    outcome: Mapped[str | None] = mapped_column(String(500))
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    create_fingerprint: Mapped[str] = mapped_column(String(64))
    # Fixed random key for the cell-key protection of reports (core/recordkey.py).
    record_key: Mapped[int] = mapped_column(default=new_record_key)
    version: Mapped[int] = mapped_column(default=1)

    concern_rows: Mapped[list[CounsellingConcern]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CounsellingConcern.concern"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index(
            "ix_counselling_sessions_organization_id_created_at_id",
            "organization_id",
            "created_at",
            "id",
        ),
        Index("ix_counselling_sessions_region_held_on", "region", "held_on"),
    )

    @property
    def concerns(self) -> list[str]:
        return [row.concern for row in self.concern_rows]


class CounsellingConcern(Base):
    """One row per concern raised in a session: filterable and countable by the database."""

    __tablename__ = "counselling_concerns"

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("counselling_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    concern: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)
