"""Tasks: what a user must do about a person, an SGBV case, a referral or a repatriation file."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.crypto import EncryptedText
from casework.core.db import Base, TimestampMixin, utcnow

SUBJECT_FIELDS = ("person_id", "sgbv_case_id", "referral_id", "repatriation_file_id")


class Task(TimestampMixin, Base):
    __tablename__ = "tasks"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # Free text, so it may name someone: encrypted at rest like every note.
    title: Mapped[str] = mapped_column(EncryptedText("tasks.title"))
    kind: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), index=True
    )
    sgbv_case_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sgbv_cases.id", ondelete="CASCADE"), index=True
    )
    referral_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    repatriation_file_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("repatriation_files.id", ondelete="CASCADE"), index=True
    )
    assignee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    completed_at: Mapped[datetime | None] = mapped_column()
    # What made a system task ("referral:<id>", "counselling:<id>"): unique, so the
    # same fact makes one task however often it is noticed. NULL for tasks made by hand.
    origin: Mapped[str | None] = mapped_column(String(80), unique=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    create_fingerprint: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint(
            " + ".join(f"CASE WHEN {name} IS NULL THEN 0 ELSE 1 END" for name in SUBJECT_FIELDS)
            + " = 1",
            name="exactly_one_subject",
        ),
        # The work list: a user's open tasks by due date.
        Index("ix_tasks_assignee_id_status_due_on", "assignee_id", "status", "due_on"),
        Index("ix_tasks_created_at_id", "created_at", "id"),
    )

    def overdue(self, today: date | None = None) -> bool:
        return task_overdue(self.status, self.due_on, today or utcnow().date())


def task_overdue(status: str, due_on: date | None, today: date) -> bool:
    """Open past its due date (dates are UTC, the time of Mali).

    ``tasks.service.overdue_condition`` is the same rule in SQL.
    """
    return status == "open" and due_on is not None and due_on < today
