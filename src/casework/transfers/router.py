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
from casework.transfers import permissions
from casework.transfers import service as transfer_service
from casework.transfers.schemas import (
    TransferCreate,
    TransferHistory,
    TransferQuery,
    TransferRead,
    TransferTransition,
)

router = api_router(prefix="/api/v1/transfers", tags=["transfers"])

Handler = Annotated[Principal, Depends(allow(*permissions.HANDLERS))]


@router.post(
    "",
    response_model=TransferRead,
    status_code=201,
    responses={
        200: {"model": TransferRead, "description": "Replay of an identical earlier request"},
        **problem_responses(401, 403, 409, 413, 422),
    },
    summary="Ask another organisation to take over a case (needs a data_sharing consent)",
)
def request_transfer(
    session: SessionDep, principal: Handler, body: TransferCreate, response: Response
) -> TransferRead:
    transfer, created = transfer_service.request_transfer(session, principal, body)
    response.status_code = 201 if created else 200
    set_etag(response, transfer.version)
    return transfer_service.to_read(session, transfer)


@router.get(
    "",
    response_model=Page[TransferRead],
    responses=problem_responses(401, 403, 422),
    summary="Transfers you may see; ?direction=incoming lists those waiting for your organisation",
)
def list_transfers(
    session: SessionDep, principal: Handler, query: Annotated[TransferQuery, Query()]
) -> Page[TransferRead]:
    rows, next_cursor = transfer_service.list_readable(session, principal, query)
    return Page(items=[transfer_service.to_read(session, t) for t in rows], next_cursor=next_cursor)


@router.get(
    "/{transfer_id}", response_model=TransferRead, responses=problem_responses(401, 403, 404, 422)
)
def read_transfer(
    session: SessionDep, principal: Handler, transfer_id: uuid.UUID, response: Response
) -> TransferRead:
    transfer = transfer_service.get_readable(session, principal, transfer_id)
    set_etag(response, transfer.version)
    return transfer_service.to_read(session, transfer)


@router.post(
    "/{transfer_id}/transitions",
    response_model=TransferRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
    summary="Accept or reject (receiving organisation), or cancel (sending side)",
)
def transition_transfer(
    session: SessionDep,
    principal: Handler,
    transfer_id: uuid.UUID,
    body: TransferTransition,
    response: Response,
    if_match: IfMatchHeader = None,
) -> TransferRead:
    transfer = transfer_service.get_readable(session, principal, transfer_id)
    transfer_service.transition(session, principal, transfer, body, if_match=if_match)
    set_etag(response, transfer.version)
    return transfer_service.to_read(session, transfer)


@router.get(
    "/{transfer_id}/history",
    response_model=TransferHistory,
    responses=problem_responses(401, 403, 404, 422),
    summary="The transfer's status changes, oldest first (the request has from: null)",
)
def transfer_history(
    session: SessionDep, principal: Handler, transfer_id: uuid.UUID
) -> TransferHistory:
    transfer = transfer_service.get_readable(session, principal, transfer_id)
    return TransferHistory(items=transfer_service.history(session, transfer))
