from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Response

from casework.audit import service as audit_service
from casework.auth.principal import Principal, allow
from casework.cases import service as case_service
from casework.cases.schemas import AssignRequest, CaseHistory, PersonTransition
from casework.core.concurrency import IfMatchHeader, set_etag
from casework.core.config import get_settings
from casework.core.db import SessionDep
from casework.core.errors import problem_responses
from casework.core.pagination import Page
from casework.core.routing import api_router
from casework.persons import duplicates, permissions
from casework.persons import merge as merge_service
from casework.persons import service as person_service
from casework.persons.schemas import (
    DuplicateCandidate,
    DuplicateList,
    DuplicateQuery,
    MergeRequest,
    PersonCreate,
    PersonQuery,
    PersonRead,
    PersonUpdate,
)
from casework.reference.vocabularies import Role
from casework.timeline import service as timeline_service
from casework.timeline.schemas import Timeline

router = api_router(prefix="/api/v1/persons", tags=["persons"])

Handler = Annotated[Principal, Depends(allow(*permissions.HANDLERS))]
Supervisor = Annotated[Principal, Depends(allow(Role.supervisor))]


@router.post(
    "",
    response_model=PersonRead,
    status_code=201,
    responses={
        200: {"model": PersonRead, "description": "Replay of an identical earlier create"},
        **problem_responses(401, 403, 409, 413, 422),
    },
    summary="Register a person of concern (identifying fields are encrypted at rest)",
)
def create_person(
    session: SessionDep, principal: Handler, body: PersonCreate, response: Response
) -> PersonRead:
    person, created = person_service.create_person(
        session, principal, body, get_settings().code_set
    )
    response.status_code = 201 if created else 200
    set_etag(response, person.version)
    return person_service.to_read(session, person)


@router.get(
    "",
    response_model=Page[PersonRead],
    responses=problem_responses(401, 403, 422),
    summary="List persons in your scope; ?registration_number= finds one exactly",
)
def list_persons(
    session: SessionDep, principal: Handler, query: Annotated[PersonQuery, Query()]
) -> Page[PersonRead]:
    rows, next_cursor = person_service.list_readable(session, principal, query)
    audit_service.record_reads(session, "persons", (p.id for p in rows))
    return Page(items=[person_service.to_read(session, p) for p in rows], next_cursor=next_cursor)


@router.get(
    "/{person_id}", response_model=PersonRead, responses=problem_responses(401, 403, 404, 422)
)
def read_person(
    session: SessionDep, principal: Handler, person_id: uuid.UUID, response: Response
) -> PersonRead:
    person = person_service.get_readable(session, principal, person_id)
    audit_service.record(session, "read", "persons", person.id)
    set_etag(response, person.version)
    return person_service.to_read(session, person)


@router.patch(
    "/{person_id}",
    response_model=PersonRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
def update_person(
    session: SessionDep,
    principal: Handler,
    person_id: uuid.UUID,
    body: PersonUpdate,
    response: Response,
    if_match: IfMatchHeader = None,
) -> PersonRead:
    person = person_service.get_readable(session, principal, person_id)
    person_service.update_person(
        session, principal, person, body, if_match=if_match, code_set=get_settings().code_set
    )
    set_etag(response, person.version)
    return person_service.to_read(session, person)


@router.get(
    "/{person_id}/timeline",
    response_model=Timeline,
    responses=problem_responses(401, 403, 404, 422),
    summary="The person's counselling, referrals and repatriation steps, in time order",
)
def person_timeline(session: SessionDep, principal: Handler, person_id: uuid.UUID) -> Timeline:
    timeline = timeline_service.person_timeline(session, principal, person_id)
    audit_service.record(session, "read", "persons", person_id, detail={"view": "timeline"})
    return timeline


@router.post(
    "/{person_id}/assign",
    response_model=PersonRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
    summary="Give the person to another caseworker of its organisation (owner or supervisor)",
)
def assign_person(
    session: SessionDep,
    principal: Handler,
    person_id: uuid.UUID,
    body: AssignRequest,
    response: Response,
    if_match: IfMatchHeader = None,
) -> PersonRead:
    person = person_service.get_readable(session, principal, person_id)
    case_service.assign(session, principal, person, body, if_match=if_match)
    set_etag(response, person.version)
    return person_service.to_read(session, person)


@router.post(
    "/{person_id}/transitions",
    response_model=PersonRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
    summary="Close or reopen the person (409 lists the allowed moves)",
)
def transition_person(
    session: SessionDep,
    principal: Handler,
    person_id: uuid.UUID,
    body: PersonTransition,
    response: Response,
    if_match: IfMatchHeader = None,
) -> PersonRead:
    person = person_service.get_readable(session, principal, person_id)
    case_service.transition(session, principal, person, body, if_match=if_match)
    set_etag(response, person.version)
    return person_service.to_read(session, person)


@router.get(
    "/{person_id}/history",
    response_model=CaseHistory,
    responses=problem_responses(401, 403, 404, 422),
    summary="The person's history, oldest first (creation is the entry with from: null)",
)
def person_history(session: SessionDep, principal: Handler, person_id: uuid.UUID) -> CaseHistory:
    person = person_service.get_readable(session, principal, person_id)
    audit_service.record(session, "read", "persons", person.id, detail={"view": "history"})
    return CaseHistory(items=case_service.history(session, principal, person))


@router.get(
    "/{person_id}/duplicates",
    response_model=DuplicateList,
    responses=problem_responses(401, 403, 404, 422),
    summary="Persons in your scope who may be this one, with a score and the reasons",
)
def person_duplicates(
    session: SessionDep,
    principal: Handler,
    person_id: uuid.UUID,
    query: Annotated[DuplicateQuery, Query()],
) -> DuplicateList:
    person = person_service.get_readable(session, principal, person_id)
    found = duplicates.candidates_read(
        session, principal, person, min_score=query.min_score, limit=query.limit
    )
    return DuplicateList(
        items=[
            DuplicateCandidate(person_id=c.person_id, score=c.score, reasons=c.reasons)
            for c in found
        ]
    )


@router.post(
    "/{person_id}/merge",
    response_model=PersonRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
    summary="Merge a duplicate into this person (supervisor): its records move here",
)
def merge_person(
    session: SessionDep,
    principal: Supervisor,
    person_id: uuid.UUID,
    body: MergeRequest,
    response: Response,
    if_match: IfMatchHeader = None,
) -> PersonRead:
    kept = person_service.get_readable(session, principal, person_id)
    kept, _moved = merge_service.merge(session, principal, kept, body, if_match=if_match)
    set_etag(response, kept.version)
    return person_service.to_read(session, kept)
