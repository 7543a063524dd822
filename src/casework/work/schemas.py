from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import Field

from casework.core.schemas import ReadModel
from casework.reference.vocabularies import ReferralStatus, Service, TaskKind, Urgency


class WorkTask(ReadModel):
    """One of the caller's open tasks (the whole task: ``GET /tasks/{id}``)."""

    id: uuid.UUID
    title: str
    kind: TaskKind
    person_id: uuid.UUID | None
    sgbv_case_id: uuid.UUID | None
    referral_id: uuid.UUID | None
    repatriation_file_id: uuid.UUID | None
    due_on: date | None
    overdue: bool
    automatic: bool = Field(description="Made by the system (referral sent, counselling)")


class WorkReferral(ReadModel):
    """A referral waiting on the caller: what a focal point may see, and no more."""

    id: uuid.UUID
    status: ReferralStatus
    actor: str
    services: list[Service]
    urgency: Urgency
    region: str
    due_at: datetime | None
    overdue: bool


class WorkList(ReadModel):
    tasks: list[WorkTask] = Field(description="Your open tasks, overdue first, then by due date")
    referrals: list[WorkReferral] = Field(
        description="Focal points: referrals to your actor not yet final. Case handlers: "
        "referrals you made that are overdue, or declined in the last 30 days"
    )
