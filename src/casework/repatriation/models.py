"""Voluntary repatriation files, their household members and their step history."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.crypto import EncryptedText
from casework.core.db import Base, TimestampMixin, utcnow
from casework.core.recordkey import new_record_key


class RepatriationFile(TimestampMixin, Base):
    __tablename__ = "repatriation_files"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    principal_person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("persons.id", ondelete="RESTRICT"), index=True
    )
    household_size: Mapped[int] = mapped_column()
    country_of_asylum: Mapped[str] = mapped_column(String(3))
    country_of_origin: Mapped[str] = mapped_column(String(3))
    destination: Mapped[str] = mapped_column(String(200))
    destination_pcode: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32))
    # The step a suspended file left, and may only resume at.
    suspended_from: Mapped[str | None] = mapped_column(String(32))
    voluntariness_verified_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT")
    )
    voluntariness_verified_at: Mapped[datetime | None] = mapped_column()
    # Region of the principal person at registration: the supervisors' scope.
    region: Mapped[str] = mapped_column(String(16))
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    create_fingerprint: Mapped[str] = mapped_column(String(64))
    # Fixed random key for the cell-key protection of reports (core/recordkey.py).
    record_key: Mapped[int] = mapped_column(default=new_record_key)
    version: Mapped[int] = mapped_column(default=1)

    member_rows: Mapped[list[RepatriationMember]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index(
            "ix_repatriation_files_organization_id_created_at_id",
            "organization_id",
            "created_at",
            "id",
        ),
        Index("ix_repatriation_files_region_created_at_id", "region", "created_at", "id"),
        Index("ix_repatriation_files_status", "status"),
    )

    @property
    def member_person_ids(self) -> list[uuid.UUID]:
        return sorted(row.person_id for row in self.member_rows)


class RepatriationMember(Base):
    __tablename__ = "repatriation_members"

    file_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("repatriation_files.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("persons.id", ondelete="RESTRICT"), primary_key=True, index=True
    )


class RepatriationEvent(Base):
    """One row per step (registration included, from_status NULL). Never updated."""

    __tablename__ = "repatriation_events"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    file_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("repatriation_files.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column()
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(EncryptedText("repatriation_events.note"))

    __table_args__ = (Index("uq_repatriation_events_file_id_seq", "file_id", "seq", unique=True),)
