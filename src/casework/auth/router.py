from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Form, Request, Response
from sqlalchemy import select

from casework.auth import apikeys, service
from casework.auth.models import ApiKey, Organization
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
from casework.core.conventions import exempt
from casework.core.db import SessionDep
from casework.core.errors import (
    OAuthError,
    Problem,
    TooManyRequests,
    problem_responses,
)
from casework.core.nul import reject_nul
from casework.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page, keyset_page
from casework.core.routing import api_router
from casework.reference.vocabularies import Role

# No router-wide tag: each route names its one tag (a router tag would be added to the
# route's own, listing organisation and API-key routes twice in the documentation).
router = api_router(prefix="/api/v1")

AdminDep = Annotated[Principal, Depends(allow(Role.admin))]
AUTH_ERRORS = problem_responses(401, 403, 422)


FORM = "application/x-www-form-urlencoded"
# The limits are documented (maxLength) and enforced in password_grant, not by FastAPI:
# a token endpoint answers 400 invalid_request (RFC 6749 section 5.2), never 422.
LIMITS = {"grant_type": 64, "username": 256, "password": 1024}
OPTIONAL_LIMIT = 1024
OptionalField = Annotated[str | None, Form(json_schema_extra={"maxLength": OPTIONAL_LIMIT})]


@dataclass(frozen=True)
class PasswordGrant:
    username: str
    password: str


async def password_grant(
    request: Request,
    grant_type: Annotated[
        str | None,
        Form(
            description="password (the only grant; may be left out)",
            json_schema_extra={"maxLength": LIMITS["grant_type"]},
        ),
    ] = None,
    username: Annotated[
        str | None,
        Form(examples=["monitor.gao"], json_schema_extra={"maxLength": LIMITS["username"]}),
    ] = None,
    password: Annotated[
        str | None,
        Form(json_schema_extra={"format": "password", "maxLength": LIMITS["password"]}),
    ] = None,
    scope: OptionalField = None,
    client_id: OptionalField = None,
    client_secret: OptionalField = None,
) -> PasswordGrant:
    """The resource owner password grant (RFC 6749 section 4.3.2), refused the OAuth way.

    Errors are RFC 6749 section 5.2 codes in the problem's ``error`` member. Leaving
    ``grant_type`` out is tolerated (as FastAPI's form does); any other grant is refused.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM:
        raise OAuthError("invalid_request", f"The token request must be a form ({FORM}).")
    form = await request.form()
    repeated = sorted({key for key, _ in form.multi_items() if len(form.getlist(key)) > 1})
    if repeated:
        raise OAuthError(
            "invalid_request", f"Parameters given more than once: {', '.join(repeated)}."
        )
    given = {
        "grant_type": (grant_type, LIMITS["grant_type"]),
        "username": (username, LIMITS["username"]),
        "password": (password, LIMITS["password"]),
        "scope": (scope, OPTIONAL_LIMIT),
        "client_id": (client_id, OPTIONAL_LIMIT),
        "client_secret": (client_secret, OPTIONAL_LIMIT),
    }
    too_long = [name for name, (value, limit) in given.items() if value and len(value) > limit]
    if too_long:
        raise OAuthError("invalid_request", f"Too long: {', '.join(too_long)}.")
    if grant_type not in (None, "password"):
        raise OAuthError("unsupported_grant_type", "Only the password grant is supported.")
    if not username or not password:
        raise OAuthError("invalid_request", "username and password are required.")
    return PasswordGrant(username, password)


@router.post(
    "/auth/token",
    response_model=Token,
    responses={
        400: {
            "model": Problem,
            "description": "Refused (RFC 6749 section 5.2): error is invalid_request, "
            "invalid_grant (wrong username or password) or unsupported_grant_type",
        },
        429: {
            "model": Problem,
            "description": "Locked after repeated failures (error: "
            "invalid_grant); wait Retry-After seconds",
        },
        503: {
            "model": Problem,
            "description": "Too many password checks at once; retry after Retry-After seconds",
        },
    },
    tags=["auth"],
    summary="Exchange username and password for an access token",
)
@exempt
def login(
    session: SessionDep,
    request: Request,
    grant: Annotated[PasswordGrant, Depends(password_grant)],
) -> Token:
    """The OAuth 2.0 token endpoint (password grant), as any OAuth 2.0 client calls it.

    Errors are problem details that also carry the OAuth 2.0 members `error` and
    `error_description` (RFC 6749 section 5.2), so a standard client reports them as
    errors. Repeated failures for one username lock it for a while (429, `Retry-After`).
    """
    settings = get_settings()
    reject_nul(grant.username, ["body", "username"])
    reject_nul(grant.password, ["body", "password"])
    client = request.client.host if request.client else None
    try:
        user = service.password_login(session, grant.username, grant.password, settings, client)
    except TooManyRequests as exc:
        raise OAuthError("invalid_grant", exc.detail, status=429, headers=exc.headers) from None
    if user is None:
        # The failure must be counted (and audited) even though this request fails.
        session.commit()
        raise OAuthError("invalid_grant", "Incorrect username or password.")
    token, expires_in = service.access_token_for(user, settings)
    return Token(access_token=token, expires_in=expires_in)


@router.get(
    "/users/me",
    response_model=UserRead,
    responses=problem_responses(401, 403),
    tags=["auth"],
    summary="The caller: role, organisation, regions, actor",
    dependencies=[Depends(allow(*ANY_ROLE))],
)
def read_me(session: SessionDep, principal: CurrentPrincipal, response: Response) -> UserRead:
    user = service.get_user(session, principal.user_id)
    set_etag(response, user.version)
    return service.to_read(user)


@router.post(
    "/users",
    response_model=UserRead,
    status_code=201,
    responses=problem_responses(401, 403, 409, 422),
    tags=["auth"],
    summary="Create a user (admin)",
)
def create_user(
    session: SessionDep, admin: AdminDep, body: UserCreate, response: Response
) -> UserRead:
    user = service.create_user(session, body, get_settings())
    set_etag(response, user.version)
    return service.to_read(user)


@router.get(
    "/users",
    response_model=Page[UserRead],
    responses=AUTH_ERRORS,
    tags=["auth"],
    summary="List users, optionally by role",
)
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
    "/users/{user_id}",
    response_model=UserRead,
    responses=problem_responses(401, 403, 404, 422),
    tags=["auth"],
    summary="Read a user",
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
    tags=["auth"],
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
    tags=["auth"],
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
    response_model=Page[OrganizationRead],
    responses=problem_responses(401, 403, 422),
    tags=["organizations"],
    summary="List organisations, newest first",
)
def list_organizations(
    session: SessionDep,
    admin: AdminDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[OrganizationRead]:
    rows, next_cursor = keyset_page(
        session,
        select(Organization),
        created_at=Organization.created_at,
        record_id=Organization.id,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=[OrganizationRead.model_validate(o) for o in rows], next_cursor=next_cursor)


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
    response_model=Page[ApiKeyRead],
    responses=problem_responses(401, 403, 422),
    tags=["api-keys"],
    summary="List API keys (never the keys themselves), newest first",
)
def list_api_keys(
    session: SessionDep,
    admin: AdminDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[ApiKeyRead]:
    rows, next_cursor = keyset_page(
        session,
        select(ApiKey),
        created_at=ApiKey.created_at,
        record_id=ApiKey.id,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=[ApiKeyRead.model_validate(k) for k in rows], next_cursor=next_cursor)


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
