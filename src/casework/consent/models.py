"""Informed consent, a record of its own: per purpose, who gave it, when; withdrawable."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.crypto import EncryptedText
from casework.core.db import Base, TimestampMixin


class Consent(TimestampMixin, Base):
    __tablename__ = "consents"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("persons.id", ondelete="RESTRICT"), index=True
    )
    sgbv_case_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sgbv_cases.id", ondelete="RESTRICT"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(32))
    # Actor codes and service codes a `services` consent covers.
    actors: Mapped[list[str]] = mapped_column(JSON, default=list)
    services: Mapped[list[str]] = mapped_column(JSON, default=list)
    given_by: Mapped[str] = mapped_column(String(32))
    given_at: Mapped[datetime] = mapped_column()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    withdrawn_at: Mapped[datetime | None] = mapped_column()
    withdrawn_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT")
    )
    withdrawal_reason: Mapped[str | None] = mapped_column(
        EncryptedText("consents.withdrawal_reason")
    )
    create_fingerprint: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint(
            "(person_id IS NULL) <> (sgbv_case_id IS NULL)", name="exactly_one_subject"
        ),
    )

    @property
    def in_force(self) -> bool:
        return self.withdrawn_at is None

    def covers(self, actor: str, services: Iterable[str]) -> bool:
        """A services consent in force naming this actor and every one of these services."""
        return (
            self.purpose == "services"
            and self.in_force
            and actor in self.actors
            and set(services) <= set(self.services)
        )
