from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Response

from casework.auth.principal import Principal, allow
from casework.core.concurrency import IfMatchHeader, set_etag
from casework.core.config import get_settings
from casework.core.db import SessionDep
from casework.core.errors import problem_responses
from casework.core.pagination import Page
from casework.core.routing import api_router
from casework.counselling import permissions
from casework.counselling import service as counselling_service
from casework.counselling.schemas import (
    CounsellingCreate,
    CounsellingQuery,
    CounsellingRead,
    CounsellingUpdate,
)

router = api_router(prefix="/api/v1/counselling-sessions", tags=["counselling"])

Handler = Annotated[Principal, Depends(allow(*permissions.HANDLERS))]


@router.post(
    "",
    response_model=CounsellingRead,
    status_code=201,
    responses={
        200: {"model": CounsellingRead, "description": "Replay of an identical earlier create"},
        **problem_responses(401, 403, 409, 413, 422),
    },
    summary="Record a counselling session (a person, or an anonymous visitor)",
)
def record_session(
    session: SessionDep, principal: Handler, body: CounsellingCreate, response: Response
) -> CounsellingRead:
    record, created = counselling_service.record_session(
        session, principal, body, get_settings().code_set
    )
    response.status_code = 201 if created else 200
    set_etag(response, record.version)
    return counselling_service.to_read(session, record)


@router.get(
    "",
    response_model=Page[CounsellingRead],
    responses=problem_responses(401, 403, 422),
    summary="Sessions in your scope; filter by dates, office, ?concern=, person",
)
def list_sessions(
    session: SessionDep, principal: Handler, query: Annotated[CounsellingQuery, Query()]
) -> Page[CounsellingRead]:
    rows, next_cursor = counselling_service.list_readable(session, principal, query)
    return Page(
        items=[counselling_service.to_read(session, r) for r in rows], next_cursor=next_cursor
    )


@router.get(
    "/{session_id}",
    response_model=CounsellingRead,
    responses=problem_responses(401, 403, 404, 422),
)
def read_session(
    session: SessionDep, principal: Handler, session_id: uuid.UUID, response: Response
) -> CounsellingRead:
    record = counselling_service.get_readable(session, principal, session_id)
    set_etag(response, record.version)
    return counselling_service.to_read(session, record)


@router.patch(
    "/{session_id}",
    response_model=CounsellingRead,
    responses=problem_responses(401, 403, 404, 412, 422),
)
def update_session(
    session: SessionDep,
    principal: Handler,
    session_id: uuid.UUID,
    body: CounsellingUpdate,
    response: Response,
    if_match: IfMatchHeader = None,
) -> CounsellingRead:
    record = counselling_service.get_readable(session, principal, session_id)
    counselling_service.update_session(session, record, body, if_match=if_match)
    set_etag(response, record.version)
    return counselling_service.to_read(session, record)
