from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Response

from casework.audit import service as audit_service
from casework.auth.principal import Principal, allow
from casework.consent import permissions
from casework.consent import service as consent_service
from casework.consent.schemas import ConsentCreate, ConsentQuery, ConsentRead, ConsentWithdraw
from casework.core.concurrency import IfMatchHeader, set_etag
from casework.core.db import SessionDep
from casework.core.errors import problem_responses
from casework.core.pagination import Page
from casework.core.routing import api_router

router = api_router(prefix="/api/v1/consents", tags=["consent"])

Handler = Annotated[Principal, Depends(allow(*permissions.HANDLERS))]


@router.post(
    "",
    response_model=ConsentRead,
    status_code=201,
    responses={
        200: {"model": ConsentRead, "description": "Replay of an identical earlier create"},
        **problem_responses(401, 403, 409, 413, 422),
    },
    summary="Record informed consent for a person or an SGBV case",
)
def record_consent(
    session: SessionDep, principal: Handler, body: ConsentCreate, response: Response
) -> ConsentRead:
    consent, created = consent_service.record_consent(session, principal, body)
    response.status_code = 201 if created else 200
    set_etag(response, consent.version)
    return consent_service.to_read(consent)


@router.get(
    "",
    response_model=Page[ConsentRead],
    responses=problem_responses(401, 403, 422),
    summary="Consents you may see, withdrawn ones included (the history)",
)
def list_consents(
    session: SessionDep, principal: Handler, query: Annotated[ConsentQuery, Query()]
) -> Page[ConsentRead]:
    rows, next_cursor = consent_service.list_readable(session, principal, query)
    audit_service.record_reads(session, "consents", (c.id for c in rows))
    return Page(items=[consent_service.to_read(c) for c in rows], next_cursor=next_cursor)


@router.get(
    "/{consent_id}", response_model=ConsentRead, responses=problem_responses(401, 403, 404, 422)
)
def read_consent(
    session: SessionDep, principal: Handler, consent_id: uuid.UUID, response: Response
) -> ConsentRead:
    consent = consent_service.get_readable(session, principal, consent_id)
    audit_service.record(session, "read", "consents", consent.id)
    set_etag(response, consent.version)
    return consent_service.to_read(consent)


@router.post(
    "/{consent_id}/withdraw",
    response_model=ConsentRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
    summary="Withdraw a consent (with a reason); it no longer allows sending referrals",
)
def withdraw_consent(
    session: SessionDep,
    principal: Handler,
    consent_id: uuid.UUID,
    body: ConsentWithdraw,
    response: Response,
    if_match: IfMatchHeader = None,
) -> ConsentRead:
    consent = consent_service.get_readable(session, principal, consent_id)
    consent_service.withdraw(session, principal, consent, body.reason, if_match=if_match)
    set_etag(response, consent.version)
    return consent_service.to_read(consent)
