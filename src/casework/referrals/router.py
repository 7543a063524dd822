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
from casework.referrals import permissions
from casework.referrals import service as referral_service
from casework.referrals.schemas import (
    FocalPointReferralRead,
    ReferralCreate,
    ReferralHistory,
    ReferralQuery,
    ReferralRead,
    ReferralTransition,
)

router = api_router(prefix="/api/v1/referrals", tags=["referrals"])

Creator = Annotated[Principal, Depends(allow(*permissions.CREATORS))]
Reader = Annotated[Principal, Depends(allow(*permissions.READERS))]
AnyView = ReferralRead | FocalPointReferralRead


@router.post(
    "",
    response_model=ReferralRead,
    status_code=201,
    responses={
        200: {"model": ReferralRead, "description": "Replay of an identical earlier create"},
        **problem_responses(401, 403, 409, 413, 422),
    },
    summary="Draft a referral from an incident, a person or an SGBV case to one actor",
)
def create_referral(
    session: SessionDep, principal: Creator, body: ReferralCreate, response: Response
) -> AnyView:
    referral, created = referral_service.create_referral(session, principal, body)
    response.status_code = 201 if created else 200
    set_etag(response, referral.version)
    return referral_service.to_read(session, principal, referral)


@router.get(
    "",
    response_model=Page[AnyView],
    responses=problem_responses(401, 403, 422),
    summary="Referrals you may see; ?overdue=true lists those not acknowledged in time",
)
def list_referrals(
    session: SessionDep, principal: Reader, query: Annotated[ReferralQuery, Query()]
) -> Page[AnyView]:
    rows, next_cursor = referral_service.list_readable(session, principal, query)
    audit_service.record_reads(session, "referrals.note", (r.id for r in rows if r.note))
    return Page(
        items=[referral_service.to_read(session, principal, r) for r in rows],
        next_cursor=next_cursor,
    )


@router.get(
    "/{referral_id}", response_model=AnyView, responses=problem_responses(401, 403, 404, 422)
)
def read_referral(
    session: SessionDep, principal: Reader, referral_id: uuid.UUID, response: Response
) -> AnyView:
    referral = referral_service.get_readable(session, principal, referral_id)
    if referral.note:
        audit_service.record(session, "read", "referrals.note", referral.id)
    set_etag(response, referral.version)
    return referral_service.to_read(session, principal, referral)


@router.post(
    "/{referral_id}/transitions",
    response_model=AnyView,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
    summary="Move a referral to its next status (409 lists the allowed ones)",
)
def transition_referral(
    session: SessionDep,
    principal: Reader,
    referral_id: uuid.UUID,
    body: ReferralTransition,
    response: Response,
    if_match: IfMatchHeader = None,
) -> AnyView:
    referral = referral_service.get_readable(session, principal, referral_id)
    referral_service.transition(
        session, principal, referral, body, get_settings(), if_match=if_match
    )
    set_etag(response, referral.version)
    return referral_service.to_read(session, principal, referral)


@router.get(
    "/{referral_id}/history",
    response_model=ReferralHistory,
    responses=problem_responses(401, 403, 404, 422),
    summary="Status changes, oldest first (creation is the entry with from: null)",
)
def referral_history(
    session: SessionDep, principal: Reader, referral_id: uuid.UUID
) -> ReferralHistory:
    referral = referral_service.get_readable(session, principal, referral_id)
    return ReferralHistory(items=referral_service.history(session, principal, referral))
