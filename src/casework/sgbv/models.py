"""SGBV cases: survivor codes, never names; the narrative is encrypted at rest."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.crypto import EncryptedText
from casework.core.db import Base, TimestampMixin, utcnow
from casework.core.recordkey import new_record_key


class SgbvCase(TimestampMixin, Base):
    __tablename__ = "sgbv_cases"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    survivor_code: Mapped[str] = mapped_column(String(32))
    gbv_type: Mapped[str] = mapped_column(String(32))
    occurred_on: Mapped[date] = mapped_column(Date)
    region: Mapped[str] = mapped_column(String(16))
    admin2: Mapped[str | None] = mapped_column(String(16))
    code_set: Mapped[str] = mapped_column(String(64))
    services_needed: Mapped[list[str]] = mapped_column(JSON, default=list)
    narrative: Mapped[str | None] = mapped_column(EncryptedText("sgbv_cases.narrative"))
    # GBVIMS intake (sgbv/gbvims.py): what the Incident Recorder and the ISP statistics need.
    # Quasi-identifiers, never names: kept in clear so that reports can count them.
    survivor_age_group: Mapped[str | None] = mapped_column(String(16))
    survivor_sex: Mapped[str | None] = mapped_column(String(16))
    displacement_status: Mapped[str | None] = mapped_column(String(32))
    disability: Mapped[str | None] = mapped_column(String(32))
    first_reported_on: Mapped[date | None] = mapped_column(Date)
    location_type: Mapped[str | None] = mapped_column(String(32))
    perpetrator_count: Mapped[int | None] = mapped_column()
    perpetrator_sex: Mapped[str | None] = mapped_column(String(16))
    perpetrator_age_group: Mapped[str | None] = mapped_column(String(16))
    perpetrator_relationship: Mapped[str | None] = mapped_column(String(32))
    previously_reported: Mapped[str | None] = mapped_column(String(32))
    harmful_practice: Mapped[str | None] = mapped_column(String(32))
    goods_exchanged: Mapped[bool | None] = mapped_column()
    abduction: Mapped[str | None] = mapped_column(String(32))
    # The classification tool's answers; gbv_type is derived from them when present.
    classification: Mapped[dict[str, bool] | None] = mapped_column(JSON)
    person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("persons.id", ondelete="RESTRICT"), index=True
    )
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # The GBV caseworker responsible (the creator by default); NULL: nobody yet.
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # SgbvCaseStatus: open | closure_requested | closed.
    status: Mapped[str] = mapped_column(String(32), default="open", server_default="open")
    create_fingerprint: Mapped[str] = mapped_column(String(64))
    # Fixed random key for the cell-key protection of reports (core/recordkey.py).
    record_key: Mapped[int] = mapped_column(default=new_record_key)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # Per organisation and region; the service checks the cases the caller can see.
        UniqueConstraint("organization_id", "region", "survivor_code"),
        Index("ix_sgbv_cases_organization_id_created_at_id", "organization_id", "created_at", "id"),
        Index("ix_sgbv_cases_region_occurred_on", "region", "occurred_on"),
        Index("ix_sgbv_cases_owner_id_status", "owner_id", "status"),
    )


class SgbvCaseEvent(Base):
    """An SGBV case's history: creation, status moves, assignments, transfers. Never updated."""

    __tablename__ = "sgbv_case_events"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    sgbv_case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sgbv_cases.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column()
    event: Mapped[str] = mapped_column(String(32))  # CaseEventKind
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    transfer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("transfers.id", ondelete="RESTRICT")
    )
    by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(EncryptedText("sgbv_case_events.note"))

    __table_args__ = (
        Index("uq_sgbv_case_events_sgbv_case_id_seq", "sgbv_case_id", "seq", unique=True),
    )
