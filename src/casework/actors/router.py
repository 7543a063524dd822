from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Response
from sqlalchemy import select

from casework.actors import service as actor_service
from casework.actors.models import Actor
from casework.actors.schemas import ActorCreate, ActorRead, ActorUpdate
from casework.auth.principal import CurrentPrincipal, Principal, allow
from casework.core.concurrency import IfMatchHeader, check_if_match, set_etag
from casework.core.db import SessionDep
from casework.core.errors import problem_responses
from casework.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page, keyset_page
from casework.core.routing import api_router
from casework.reference.vocabularies import Role

router = api_router(prefix="/api/v1/actors", tags=["actors"])

# Everyone who handles cases may see whom they can refer to; reporting tools may not.
READERS = tuple(role for role in Role if role is not Role.reporting)
Admin = Annotated[Principal, Depends(allow(Role.admin))]


@router.get(
    "",
    response_model=Page[ActorRead],
    responses=problem_responses(401, 403, 422),
    dependencies=[Depends(allow(*READERS))],
    summary="Referral actors and the services each accepts, newest first",
)
def list_actors(
    session: SessionDep,
    principal: CurrentPrincipal,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[ActorRead]:
    rows, next_cursor = keyset_page(
        session,
        select(Actor),
        created_at=Actor.created_at,
        record_id=Actor.id,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=[actor_service.to_read(a, principal) for a in rows], next_cursor=next_cursor)


@router.post(
    "", response_model=ActorRead, status_code=201, responses=problem_responses(401, 403, 409, 422)
)
def create_actor(
    session: SessionDep, admin: Admin, body: ActorCreate, response: Response
) -> ActorRead:
    actor = actor_service.create_actor(session, body)
    set_etag(response, actor.version)
    response.headers["Location"] = f"{router.prefix}/{actor.code}"  # actors go by code
    return actor_service.to_read(actor, admin)


@router.get(
    "/{code}",
    response_model=ActorRead,
    responses=problem_responses(401, 403, 404),
    dependencies=[Depends(allow(*READERS))],
)
def read_actor(
    session: SessionDep, principal: CurrentPrincipal, code: str, response: Response
) -> ActorRead:
    actor = actor_service.get_or_404(session, code)
    set_etag(response, actor.version)
    return actor_service.to_read(actor, principal)


@router.patch(
    "/{code}", response_model=ActorRead, responses=problem_responses(401, 403, 404, 412, 422)
)
def update_actor(
    session: SessionDep,
    admin: Admin,
    code: str,
    body: ActorUpdate,
    response: Response,
    if_match: IfMatchHeader = None,
) -> ActorRead:
    actor = actor_service.get_or_404(session, code)
    check_if_match(if_match, actor.version)
    actor_service.update_actor(session, actor, body)
    set_etag(response, actor.version)
    return actor_service.to_read(actor, admin)
