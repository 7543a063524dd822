"""Transfers of a person's case or an SGBV case to another organisation, and their history."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.crypto import EncryptedText
from casework.core.db import Base, TimestampMixin, utcnow


class Transfer(TimestampMixin, Base):
    __tablename__ = "transfers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(16))  # person | sgbv
    person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("persons.id", ondelete="RESTRICT"), index=True
    )
    sgbv_case_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sgbv_cases.id", ondelete="RESTRICT"), index=True
    )
    # TransferStatus: pending -> accepted | rejected | cancelled (transfers/workflow.py).
    status: Mapped[str] = mapped_column(String(32))
    from_organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    to_organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    # Region of the case when the transfer was requested: the supervisors' scope.
    region: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(EncryptedText("transfers.note"))
    requested_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT")
    )
    decided_at: Mapped[datetime | None] = mapped_column()
    # "organization_id" is the requesting organisation (client-id replays, idempotency).
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    create_fingerprint: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint(
            "(person_id IS NULL) <> (sgbv_case_id IS NULL)", name="exactly_one_subject"
        ),
        # The work list: transfers waiting for an organisation.
        Index("ix_transfers_to_organization_id_status", "to_organization_id", "status"),
        Index("ix_transfers_from_organization_id_status", "from_organization_id", "status"),
        Index("ix_transfers_region_created_at_id", "region", "created_at", "id"),
    )


class TransferEvent(Base):
    """One row per status change (the request included, from_status NULL). Never updated."""

    __tablename__ = "transfer_events"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    transfer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("transfers.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column()
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(EncryptedText("transfer_events.note"))
    consent_override_reason: Mapped[str | None] = mapped_column(
        EncryptedText("transfer_events.consent_override_reason")
    )

    __table_args__ = (
        Index("uq_transfer_events_transfer_id_seq", "transfer_id", "seq", unique=True),
    )
