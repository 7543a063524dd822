from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Depends

from casework.auth.principal import ANY_ROLE, CurrentPrincipal, allow
from casework.core.db import SessionDep
from casework.core.errors import problem_responses
from casework.core.schemas import ReadModel
from casework.notifications import service as notification_service

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


class NotificationRead(ReadModel):
    id: uuid.UUID
    event_type: str
    referral_id: uuid.UUID | None
    created_at: datetime


@router.get(
    "",
    response_model=list[NotificationRead],
    responses=problem_responses(401, 403),
    dependencies=[Depends(allow(*ANY_ROLE))],
    summary="Your notifications (supervisors: overdue referrals of their regions)",
)
def my_notifications(session: SessionDep, principal: CurrentPrincipal) -> list[NotificationRead]:
    return [
        NotificationRead.model_validate(n) for n in notification_service.inbox(session, principal)
    ]
