from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

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


class WorkCase(ReadModel):
    """An open case the caller owns (the record: ``GET /persons/{id}``, ``/sgbv-cases/{id}``)."""

    id: uuid.UUID
    type: Literal["person", "sgbv_case"]
    status: str
    region: str
    updated_at: datetime


class WorkTransfer(ReadModel):
    """A transfer waiting for the caller's organisation to accept or reject it."""

    id: uuid.UUID
    kind: str = Field(description="person or sgbv")
    from_organization: str
    region: str
    created_at: datetime


class WorkList(ReadModel):
    tasks: list[WorkTask] = Field(description="Your open tasks, overdue first, then by due date")
    cases: list[WorkCase] = Field(
        description="Open cases you own (SGBV cases waiting for closure approval included), "
        "most recently changed first"
    )
    referrals: list[WorkReferral] = Field(
        description="Focal points: referrals to your actor not yet final. Case handlers: "
        "referrals you made that are overdue, or declined in the last 30 days"
    )
    transfers: list[WorkTransfer] = Field(
        description="Pending transfers to your organisation that you may accept or reject"
    )
