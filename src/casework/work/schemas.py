from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from casework.core.schemas import ReadModel
from casework.reference.vocabularies import ReferralStatus, Service, Urgency
from casework.tasks.schemas import TaskRead


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
    tasks: list[TaskRead] = Field(description="Your open tasks, overdue first, then by due date")
    referrals: list[WorkReferral] = Field(
        description="Focal points: referrals to your actor not yet final. Case handlers: "
        "referrals you made that are overdue, or declined in the last 30 days"
    )
