from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import Depends

from casework.auth.principal import ANY_ROLE, CurrentPrincipal, allow
from casework.core.db import SessionDep
from casework.core.errors import problem_responses
from casework.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page, keyset_page
from casework.core.routing import api_router
from casework.core.schemas import ReadModel
from casework.notifications import service as notification_service
from casework.notifications.models import UserNotification

router = api_router(prefix="/api/v1/notifications", tags=["notifications"])


class NotificationRead(ReadModel):
    id: uuid.UUID
    event_type: str
    referral_id: uuid.UUID | None
    created_at: datetime


@router.get(
    "",
    response_model=Page[NotificationRead],
    responses=problem_responses(401, 403, 422),
    dependencies=[Depends(allow(*ANY_ROLE))],
    summary="Your notifications, newest first (supervisors: overdue referrals of their regions)",
)
def my_notifications(
    session: SessionDep,
    principal: CurrentPrincipal,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[NotificationRead]:
    rows, next_cursor = keyset_page(
        session,
        notification_service.inbox_statement(principal),
        created_at=UserNotification.created_at,
        record_id=UserNotification.id,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=[NotificationRead.model_validate(n) for n in rows], next_cursor=next_cursor)
