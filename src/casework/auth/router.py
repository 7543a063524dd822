from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.security import OAuth2PasswordRequestForm

from casework.audit import service as audit_service
from casework.auth import apikeys, service
from casework.auth.principal import ANY_ROLE, CurrentPrincipal, Principal, allow
from casework.auth.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    OrganizationCreate,
    OrganizationRead,
    Token,
    UserCreate,
    UserRead,
    UserUpdate,
)
from casework.core.concurrency import IfMatchHeader, check_if_match, set_etag
from casework.core.config import get_settings
from casework.core.db import SessionDep
from casework.core.errors import Unauthorized, problem_responses
from casework.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from casework.reference.vocabularies import Role

router = APIRouter(prefix="/api/v1", tags=["auth"])

AdminDep = Annotated[Principal, Depends(allow(Role.admin))]
AUTH_ERRORS = problem_responses(401, 403, 422)


@router.post(
    "/auth/token",
    response_model=Token,
    responses=problem_responses(401, 422, 429),
    summary="Exchange username and password for an access token",
)
def login(session: SessionDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    settings = get_settings()
    service.check_not_locked(session, form.username)
    user = service.authenticate(session, form.username, form.password)
    if user is None:
        service.record_failed_login(session, form.username, settings)
        audit_service.record(
            session, "login.failure", "users", username=service.normalize_username(form.username)
        )
        # The failure must be counted (and audited) even though this request fails.
        session.commit()
        raise Unauthorized("Incorrect username or password.")
    audit_service.record(session, "login.success", "users", user.id, username=user.username)
    token, expires_in = service.access_token_for(user, settings)
    return Token(access_token=token, expires_in=expires_in)


@router.get(
    "/users/me",
    response_model=UserRead,
    responses=problem_responses(401, 403),
    dependencies=[Depends(allow(*ANY_ROLE))],
)
def read_me(session: SessionDep, principal: CurrentPrincipal) -> UserRead:
    return service.to_read(service.get_user(session, principal.user_id))


@router.post(
    "/users",
    response_model=UserRead,
    status_code=201,
    responses=problem_responses(401, 403, 409, 422),
)
def create_user(
    session: SessionDep, admin: AdminDep, body: UserCreate, response: Response
) -> UserRead:
    user = service.create_user(session, body, get_settings())
    set_etag(response, user.version)
    return service.to_read(user)


@router.get("/users", response_model=Page[UserRead], responses=AUTH_ERRORS)
def list_users(
    session: SessionDep,
    admin: AdminDep,
    role: Role | None = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[UserRead]:
    users, next_cursor = service.list_users(session, limit=limit, cursor=cursor, role=role)
    return Page(items=[service.to_read(u) for u in users], next_cursor=next_cursor)


@router.get(
    "/users/{user_id}", response_model=UserRead, responses=problem_responses(401, 403, 404, 422)
)
def read_user(
    session: SessionDep, admin: AdminDep, user_id: uuid.UUID, response: Response
) -> UserRead:
    user = service.get_user(session, user_id)
    set_etag(response, user.version)
    return service.to_read(user)


@router.patch(
    "/users/{user_id}",
    response_model=UserRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
    summary="Change a user's role, scope, password or deactivate them (revokes their tokens)",
)
def update_user(
    session: SessionDep,
    admin: AdminDep,
    user_id: uuid.UUID,
    body: UserUpdate,
    response: Response,
    if_match: IfMatchHeader = None,
) -> UserRead:
    user = service.get_user(session, user_id)
    check_if_match(if_match, user.version)
    service.update_user(session, user, body, get_settings(), by=admin)
    set_etag(response, user.version)
    return service.to_read(user)


@router.post(
    "/users/{user_id}/unlock",
    status_code=204,
    responses=problem_responses(401, 403, 404, 422),
    summary="Lift a user's login lockout (after too many wrong passwords) before it expires",
)
def unlock_user(session: SessionDep, admin: AdminDep, user_id: uuid.UUID) -> Response:
    service.unlock(session, service.get_user(session, user_id))
    return Response(status_code=204)


@router.post(
    "/organizations",
    response_model=OrganizationRead,
    status_code=201,
    responses=problem_responses(401, 403, 409, 422),
    tags=["organizations"],
)
def create_organization(
    session: SessionDep, admin: AdminDep, body: OrganizationCreate
) -> OrganizationRead:
    organization = service.create_organization(session, body.code, body.name)
    return OrganizationRead.model_validate(organization)


@router.get(
    "/organizations",
    response_model=list[OrganizationRead],
    responses=problem_responses(401, 403),
    tags=["organizations"],
)
def list_organizations(session: SessionDep, admin: AdminDep) -> list[OrganizationRead]:
    return [OrganizationRead.model_validate(o) for o in service.list_organizations(session)]


@router.post(
    "/api-keys",
    response_model=ApiKeyCreated,
    status_code=201,
    responses=problem_responses(401, 403, 422),
    tags=["api-keys"],
    summary="Create a key for a reporting tool (the key is shown once)",
)
def create_api_key(session: SessionDep, admin: AdminDep, body: ApiKeyCreate) -> ApiKeyCreated:
    record, key = apikeys.create(session, body.name, admin.user_id)
    return ApiKeyCreated(id=record.id, name=record.name, key=key, created_at=record.created_at)


@router.get(
    "/api-keys",
    response_model=list[ApiKeyRead],
    responses=problem_responses(401, 403),
    tags=["api-keys"],
)
def list_api_keys(session: SessionDep, admin: AdminDep) -> list[ApiKeyRead]:
    return [ApiKeyRead.model_validate(k) for k in apikeys.list_keys(session)]


@router.delete(
    "/api-keys/{key_id}",
    status_code=204,
    responses=problem_responses(401, 403, 404, 422),
    tags=["api-keys"],
    summary="Revoke a key (it stops working at once)",
)
def revoke_api_key(session: SessionDep, admin: AdminDep, key_id: uuid.UUID) -> Response:
    apikeys.revoke(session, key_id)
    return Response(status_code=204)
