from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from casework.audit import service as audit_service
from casework.audit.models import AuditEntry
from casework.audit.schemas import AuditQuery, AuditRead
from casework.auth.principal import allow
from casework.core.db import SessionDep
from casework.core.errors import problem_responses
from casework.core.pagination import Page, keyset_page
from casework.core.routing import api_router
from casework.reference.vocabularies import Role

router = api_router(prefix="/api/v1/audit", tags=["audit"])


@router.get(
    "",
    response_model=Page[AuditRead],
    responses=problem_responses(401, 403, 422),
    dependencies=[Depends(allow(Role.admin))],
    summary="Who did what, when, from where: every write, login and sensitive read",
)
def list_audit(session: SessionDep, query: Annotated[AuditQuery, Query()]) -> Page[AuditRead]:
    stmt = audit_service.entries_query(
        user_id=query.user_id,
        username=query.username,
        record_type=query.record_type,
        record_id=query.record_id,
        action=query.action,
        at_from=query.at_from,
        at_to=query.at_to,
    )
    rows, next_cursor = keyset_page(
        session,
        stmt,
        created_at=AuditEntry.at,
        record_id=AuditEntry.id,
        limit=query.limit,
        cursor=query.cursor,
    )
    return Page(items=[AuditRead.model_validate(r) for r in rows], next_cursor=next_cursor)
