from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Response

from casework.auth.principal import Principal, allow
from casework.core.concurrency import IfMatchHeader, set_etag
from casework.core.db import SessionDep
from casework.core.errors import problem_responses
from casework.core.pagination import Page
from casework.core.routing import api_router
from casework.repatriation import permissions
from casework.repatriation import service as repatriation_service
from casework.repatriation.schemas import (
    RepatriationCreate,
    RepatriationHistory,
    RepatriationQuery,
    RepatriationRead,
    RepatriationTransition,
    RepatriationUpdate,
)

router = api_router(prefix="/api/v1/repatriation-files", tags=["repatriation"])

Handler = Annotated[Principal, Depends(allow(*permissions.HANDLERS))]


@router.post(
    "",
    response_model=RepatriationRead,
    status_code=201,
    responses={
        200: {"model": RepatriationRead, "description": "Replay of an identical earlier create"},
        **problem_responses(401, 403, 409, 413, 422),
    },
    summary="Register a household for voluntary repatriation",
)
def register_file(
    session: SessionDep, principal: Handler, body: RepatriationCreate, response: Response
) -> RepatriationRead:
    record, created = repatriation_service.register_file(session, principal, body)
    response.status_code = 201 if created else 200
    set_etag(response, record.version)
    return repatriation_service.to_read(session, record)


@router.get(
    "",
    response_model=Page[RepatriationRead],
    responses=problem_responses(401, 403, 422),
    summary="Files in your scope; filter by status, destination, country of origin",
)
def list_files(
    session: SessionDep, principal: Handler, query: Annotated[RepatriationQuery, Query()]
) -> Page[RepatriationRead]:
    rows, next_cursor = repatriation_service.list_readable(session, principal, query)
    return Page(
        items=[repatriation_service.to_read(session, r) for r in rows], next_cursor=next_cursor
    )


@router.get(
    "/{file_id}", response_model=RepatriationRead, responses=problem_responses(401, 403, 404, 422)
)
def read_file(
    session: SessionDep, principal: Handler, file_id: uuid.UUID, response: Response
) -> RepatriationRead:
    record = repatriation_service.get_readable(session, principal, file_id)
    set_etag(response, record.version)
    return repatriation_service.to_read(session, record)


@router.patch(
    "/{file_id}",
    response_model=RepatriationRead,
    responses=problem_responses(401, 403, 404, 412, 422),
)
def update_file(
    session: SessionDep,
    principal: Handler,
    file_id: uuid.UUID,
    body: RepatriationUpdate,
    response: Response,
    if_match: IfMatchHeader = None,
) -> RepatriationRead:
    record = repatriation_service.get_readable(session, principal, file_id)
    repatriation_service.update_file(session, record, body, if_match=if_match)
    set_etag(response, record.version)
    return repatriation_service.to_read(session, record)


@router.post(
    "/{file_id}/transitions",
    response_model=RepatriationRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
    summary="Move a file to its next step (409 lists the allowed ones)",
)
def transition_file(
    session: SessionDep,
    principal: Handler,
    file_id: uuid.UUID,
    body: RepatriationTransition,
    response: Response,
    if_match: IfMatchHeader = None,
) -> RepatriationRead:
    record = repatriation_service.get_readable(session, principal, file_id)
    repatriation_service.transition(session, principal, record, body, if_match=if_match)
    set_etag(response, record.version)
    return repatriation_service.to_read(session, record)


@router.get(
    "/{file_id}/history",
    response_model=RepatriationHistory,
    responses=problem_responses(401, 403, 404, 422),
    summary="Steps taken, oldest first (registration is the entry with from: null)",
)
def file_history(
    session: SessionDep, principal: Handler, file_id: uuid.UUID
) -> RepatriationHistory:
    record = repatriation_service.get_readable(session, principal, file_id)
    return RepatriationHistory(items=repatriation_service.history(session, record))
