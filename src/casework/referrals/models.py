"""Referrals to response actors, and their append-only status history."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.crypto import EncryptedText
from casework.core.db import Base, TimestampMixin, utcnow
from casework.core.recordkey import new_record_key


class Referral(TimestampMixin, Base):
    __tablename__ = "referrals"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(16))  # incident | person | sgbv
    incident_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="RESTRICT"), index=True
    )
    person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("persons.id", ondelete="RESTRICT"), index=True
    )
    sgbv_case_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sgbv_cases.id", ondelete="RESTRICT"), index=True
    )
    # The counselling session the referral follows up, if any.
    counselling_session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("counselling_sessions.id", ondelete="RESTRICT"), index=True
    )
    actor_code: Mapped[str] = mapped_column(
        ForeignKey("actors.code", ondelete="RESTRICT", onupdate="CASCADE")
    )
    services: Mapped[list[str]] = mapped_column(JSON, default=list)
    urgency: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(EncryptedText("referrals.note"))
    status: Mapped[str] = mapped_column(String(32))
    # While on_hold (its consent withdrawn): the status it left, to return to.
    on_hold_from: Mapped[str | None] = mapped_column(String(32))
    # Region of the subject, copied at creation: the scope of supervisors and focal points.
    region: Mapped[str] = mapped_column(String(16))
    sent_at: Mapped[datetime | None] = mapped_column()
    due_at: Mapped[datetime | None] = mapped_column()
    # The first move to acknowledged, and the whole minutes since sent_at then: reports
    # band the time to acknowledgement from this integer (the same SQL on both databases).
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    acknowledgement_minutes: Mapped[int | None] = mapped_column()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    create_fingerprint: Mapped[str] = mapped_column(String(64))
    # Fixed random key for the cell-key protection of reports (core/recordkey.py).
    record_key: Mapped[int] = mapped_column(default=new_record_key)
    version: Mapped[int] = mapped_column(default=1)

    history: Mapped[list[ReferralEvent]] = relationship(
        back_populates="referral", order_by="ReferralEvent.seq", lazy="raise"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN incident_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN person_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN sgbv_case_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="exactly_one_subject",
        ),
        Index("ix_referrals_organization_id_created_at_id", "organization_id", "created_at", "id"),
        Index("ix_referrals_actor_code_created_at_id", "actor_code", "created_at", "id"),
        Index("ix_referrals_region_created_at_id", "region", "created_at", "id"),
        Index("ix_referrals_status_due_at", "status", "due_at"),
        # The work list: referrals a user made that wait on them.
        Index("ix_referrals_created_by_id_status", "created_by_id", "status"),
    )

    def overdue(self, now: datetime | None = None) -> bool:
        return referral_overdue(self.status, self.due_at, now or utcnow())


def minutes_between(start: datetime, end: datetime) -> int:
    """Whole minutes from ``start`` to ``end`` (never negative)."""
    return max(0, int((end - start).total_seconds() // 60))


def referral_overdue(status: str, due_at: datetime | None, now: datetime) -> bool:
    """Sent but not acknowledged by its due time."""
    return status == "sent" and due_at is not None and now > due_at


class ReferralEvent(Base):
    """One row per status change (creation included, with from_status NULL). Never updated."""

    __tablename__ = "referral_events"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    referral_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    # Position in the referral's history: unique, so two racing writers cannot
    # both append the same step.
    seq: Mapped[int] = mapped_column()
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    # NULL for moves made by casework itself (on hold when consent is withdrawn, resumed).
    by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(EncryptedText("referral_events.note"))
    consent_override_reason: Mapped[str | None] = mapped_column(
        EncryptedText("referral_events.consent_override_reason")
    )

    referral: Mapped[Referral] = relationship(back_populates="history")

    __table_args__ = (
        Index("uq_referral_events_referral_id_seq", "referral_id", "seq", unique=True),
    )
