from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Response

from casework.audit import service as audit_service
from casework.auth.principal import Principal, allow
from casework.cases import service as case_service
from casework.cases.schemas import AssignRequest, CaseHistory, SgbvCaseTransition
from casework.core.concurrency import IfMatchHeader, set_etag
from casework.core.config import get_settings
from casework.core.db import SessionDep
from casework.core.errors import problem_responses
from casework.core.pagination import Page
from casework.core.routing import api_router
from casework.sgbv import permissions
from casework.sgbv import service as sgbv_service
from casework.sgbv.schemas import SgbvCaseCreate, SgbvCaseQuery, SgbvCaseRead, SgbvCaseUpdate

router = api_router(prefix="/api/v1/sgbv-cases", tags=["sgbv"])

Handler = Annotated[Principal, Depends(allow(*permissions.HANDLERS))]


@router.post(
    "",
    response_model=SgbvCaseRead,
    status_code=201,
    responses={
        200: {"model": SgbvCaseRead, "description": "Replay of an identical earlier create"},
        **problem_responses(401, 403, 409, 413, 422),
    },
    summary="Open an SGBV case (survivor code, never a name; narrative encrypted at rest)",
)
def open_case(
    session: SessionDep, principal: Handler, body: SgbvCaseCreate, response: Response
) -> SgbvCaseRead:
    case, created = sgbv_service.open_case(session, principal, body, get_settings().code_set)
    response.status_code = 201 if created else 200
    set_etag(response, case.version)
    return sgbv_service.to_read(session, case)


@router.get("", response_model=Page[SgbvCaseRead], responses=problem_responses(401, 403, 422))
def list_cases(
    session: SessionDep, principal: Handler, query: Annotated[SgbvCaseQuery, Query()]
) -> Page[SgbvCaseRead]:
    rows, next_cursor = sgbv_service.list_readable(session, principal, query)
    audit_service.record_reads(session, "sgbv_cases", (c.id for c in rows))
    return Page(items=[sgbv_service.to_read(session, c) for c in rows], next_cursor=next_cursor)


@router.get(
    "/{case_id}", response_model=SgbvCaseRead, responses=problem_responses(401, 403, 404, 422)
)
def read_case(
    session: SessionDep, principal: Handler, case_id: uuid.UUID, response: Response
) -> SgbvCaseRead:
    case = sgbv_service.get_readable(session, principal, case_id)
    audit_service.record(session, "read", "sgbv_cases", case.id)
    set_etag(response, case.version)
    return sgbv_service.to_read(session, case)


@router.patch(
    "/{case_id}",
    response_model=SgbvCaseRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
def update_case(
    session: SessionDep,
    principal: Handler,
    case_id: uuid.UUID,
    body: SgbvCaseUpdate,
    response: Response,
    if_match: IfMatchHeader = None,
) -> SgbvCaseRead:
    case = sgbv_service.get_readable(session, principal, case_id)
    sgbv_service.update_case(
        session, principal, case, body, if_match=if_match, code_set=get_settings().code_set
    )
    set_etag(response, case.version)
    return sgbv_service.to_read(session, case)


@router.post(
    "/{case_id}/assign",
    response_model=SgbvCaseRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
    summary="Give the SGBV case to another caseworker of its organisation (owner or supervisor)",
)
def assign_case(
    session: SessionDep,
    principal: Handler,
    case_id: uuid.UUID,
    body: AssignRequest,
    response: Response,
    if_match: IfMatchHeader = None,
) -> SgbvCaseRead:
    case = sgbv_service.get_readable(session, principal, case_id)
    case_service.assign(session, principal, case, body, if_match=if_match)
    set_etag(response, case.version)
    return sgbv_service.to_read(session, case)


@router.post(
    "/{case_id}/transitions",
    response_model=SgbvCaseRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
    summary="Close or reopen the SGBV case (409 lists the allowed moves)",
)
def transition_case(
    session: SessionDep,
    principal: Handler,
    case_id: uuid.UUID,
    body: SgbvCaseTransition,
    response: Response,
    if_match: IfMatchHeader = None,
) -> SgbvCaseRead:
    case = sgbv_service.get_readable(session, principal, case_id)
    case_service.transition(session, principal, case, body, if_match=if_match)
    set_etag(response, case.version)
    return sgbv_service.to_read(session, case)


@router.get(
    "/{case_id}/history",
    response_model=CaseHistory,
    responses=problem_responses(401, 403, 404, 422),
    summary="The SGBV case's history, oldest first (creation is the entry with from: null)",
)
def case_history(session: SessionDep, principal: Handler, case_id: uuid.UUID) -> CaseHistory:
    case = sgbv_service.get_readable(session, principal, case_id)
    audit_service.record(session, "read", "sgbv_cases", case.id, detail={"view": "history"})
    return CaseHistory(items=case_service.history(session, principal, case))
