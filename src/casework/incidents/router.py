from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Response

from casework.audit import service as audit_service
from casework.auth.principal import Principal, allow
from casework.core.concurrency import IfMatchHeader, set_etag
from casework.core.config import get_settings
from casework.core.db import SessionDep
from casework.core.errors import problem_responses
from casework.core.pagination import Page
from casework.core.routing import api_router
from casework.incidents import permissions
from casework.incidents import service as incident_service
from casework.incidents.schemas import (
    BatchResult,
    IncidentBatch,
    IncidentCreate,
    IncidentQuery,
    IncidentRead,
    IncidentUpdate,
)

router = api_router(prefix="/api/v1/incidents", tags=["incidents"])

Creator = Annotated[Principal, Depends(allow(*permissions.CREATORS))]
Reader = Annotated[Principal, Depends(allow(*permissions.READERS))]
Editor = Annotated[Principal, Depends(allow(*permissions.EDITORS))]


@router.post(
    "",
    response_model=IncidentRead,
    status_code=201,
    responses={
        200: {"model": IncidentRead, "description": "Replay of an identical earlier create"},
        **problem_responses(401, 403, 409, 413, 422),
    },
    summary="Submit an incident (idempotent when the client supplies its id)",
)
def create_incident(
    session: SessionDep, principal: Creator, body: IncidentCreate, response: Response
) -> IncidentRead:
    outcome = incident_service.create_incident(session, principal, body, get_settings().code_set)
    if not outcome.created:
        response.status_code = 200
    set_etag(response, outcome.incident.version)
    return incident_service.to_read(outcome.incident, principal)


@router.post(
    "/batch",
    response_model=BatchResult,
    responses=problem_responses(401, 403, 413, 422),
    summary="Submit up to 500 incidents; each item succeeds or fails on its own",
)
def create_batch(session: SessionDep, principal: Creator, body: IncidentBatch) -> BatchResult:
    results = incident_service.create_batch(session, principal, body.items, get_settings().code_set)
    return BatchResult(results=[result for result, _ in results])


@router.get(
    "",
    response_model=Page[IncidentRead],
    responses=problem_responses(401, 403, 422),
    summary="List the incidents you may see, newest first",
)
def list_incidents(
    session: SessionDep, principal: Reader, query: Annotated[IncidentQuery, Query()]
) -> Page[IncidentRead]:
    rows, next_cursor = incident_service.list_readable(session, principal, query)
    items = [incident_service.to_read(row, principal) for row in rows]
    audit_service.record_reads(
        session, "incidents.description", (i.id for i in items if i.description is not None)
    )
    return Page(items=items, next_cursor=next_cursor)


@router.get(
    "/{incident_id}",
    response_model=IncidentRead,
    responses=problem_responses(401, 403, 404, 422),
)
def read_incident(
    session: SessionDep, principal: Reader, incident_id: uuid.UUID, response: Response
) -> IncidentRead:
    incident = incident_service.get_readable(session, principal, incident_id)
    set_etag(response, incident.version)
    read = incident_service.to_read(incident, principal)
    if read.description is not None:
        audit_service.record(session, "read", "incidents.description", incident.id)
    return read


@router.patch(
    "/{incident_id}",
    response_model=IncidentRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
    summary="Change an incident (send If-Match with its ETag to avoid overwriting others)",
)
def update_incident(
    session: SessionDep,
    principal: Editor,
    incident_id: uuid.UUID,
    body: IncidentUpdate,
    response: Response,
    if_match: IfMatchHeader = None,
) -> IncidentRead:
    incident = incident_service.get_readable(session, principal, incident_id)
    incident_service.update_incident(
        session, principal, incident, body, if_match=if_match, code_set=get_settings().code_set
    )
    set_etag(response, incident.version)
    return incident_service.to_read(incident, principal)
