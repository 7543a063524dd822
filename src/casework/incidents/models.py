"""Protection incidents: events, never identities (names live in persons and SGBV cases)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.auth.models import Organization
from casework.core.db import Base, TimestampMixin


class Incident(TimestampMixin, Base):
    __tablename__ = "incidents"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    occurred_on: Mapped[date] = mapped_column(Date)
    region: Mapped[str] = mapped_column(String(16))
    admin2: Mapped[str | None] = mapped_column(String(16))
    # The P-code set region/admin2 were coded with (codes change meaning across versions).
    code_set: Mapped[str] = mapped_column(String(64))
    locality: Mapped[str | None] = mapped_column(String(200))
    incident_type: Mapped[str] = mapped_column(String(32))
    perpetrator_category: Mapped[str] = mapped_column(String(32))
    population_group: Mapped[str | None] = mapped_column(String(32))
    female_adults: Mapped[int] = mapped_column(default=0)
    male_adults: Mapped[int] = mapped_column(default=0)
    female_children: Mapped[int] = mapped_column(default=0)
    male_children: Mapped[int] = mapped_column(default=0)
    urgency: Mapped[str] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    reported_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # SHA-256 of the canonical create body: a retry with the same id and body is a
    # replay (200), the same id with another body a conflict (409).
    create_fingerprint: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)

    organization: Mapped[Organization] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint(
            "female_adults >= 0 AND male_adults >= 0"
            " AND female_children >= 0 AND male_children >= 0",
            name="victims_not_negative",
        ),
        # Keyset pagination (newest first) and the organisation-scoped list.
        Index("ix_incidents_created_at_id", "created_at", "id"),
        Index("ix_incidents_organization_id_created_at_id", "organization_id", "created_at", "id"),
        Index("ix_incidents_region_occurred_on", "region", "occurred_on"),
        Index("ix_incidents_occurred_on", "occurred_on"),
    )
