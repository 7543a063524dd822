"""Who is calling: the authenticated principal and the declarative role checks.

Routes declare who may call them with ``Depends(allow(Role.x, Role.y))``; a
caller with another role gets 403. Row-level scope (organisation, region,
actor) is NOT checked here but in each domain's ``permissions`` module, where
out-of-scope records become 404.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Annotated, Any

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from casework.auth import apikeys
from casework.auth.models import User
from casework.core.config import get_settings
from casework.core.db import SessionDep
from casework.core.errors import Forbidden, Unauthorized
from casework.core.security import decode_access_token
from casework.reference.vocabularies import Role

oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl="/api/v1/auth/token",
    auto_error=False,
    scheme_name="OAuth2PasswordBearer",
    description="A user's access token from POST /api/v1/auth/token: a JWT (HS256) conforming to "
    "RFC8725 (one fixed algorithm, expiry checked, revoked with the user's "
    "deactivation, role, scope or password change), valid CASEWORK_ACCESS_TOKEN_MINUTES.",
)


@dataclass(frozen=True)
class Access:
    """Who a route admits, as declared by ``allow()`` (read by the OpenAPI document)."""

    roles: frozenset[Role]
    api_keys: bool


# Every check ``allow()`` made, by the dependency it returned.
ACCESS: dict[Callable[..., Any], Access] = {}


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    username: str
    role: Role
    organization_id: uuid.UUID | None
    organization_code: str | None
    regions: frozenset[str]
    actor_code: str | None
    is_api_key: bool = False

    def covers_region(self, region: str) -> bool:
        """Supervisors with no regions set cover every region; others only theirs."""
        if self.role is Role.supervisor and not self.regions:
            return True
        return region in self.regions


def get_current_principal(
    session: SessionDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Principal:
    if not token:
        raise Unauthorized()
    if apikeys.is_api_key(token):
        key = apikeys.authenticate(session, token)
        if key is None:
            raise Unauthorized("The API key is invalid or has been revoked.")
        return Principal(
            user_id=key.id,
            username=f"api-key:{key.name}",
            role=Role.reporting,  # a key can reach the reports and nothing else
            organization_id=None,
            organization_code=None,
            regions=frozenset(),
            actor_code=None,
            is_api_key=True,
        )
    claims = decode_access_token(token, key=get_settings().signing_key())
    if claims is None:
        raise Unauthorized("The access token is invalid or has expired.")
    # Every request reads the user's state, so a deactivation or a new generation
    # (role, scope or password change) revokes the token at once; what the
    # principal is made of is read again only when the user's row has changed.
    state = session.connection().execute(_USER_STATE, {"user_id": claims.user_id}).first()
    if state is None or not state.is_active or state.token_generation != claims.generation:
        raise Unauthorized("The access token has been revoked.")
    known = _KNOWN.get(claims.user_id)
    if known is None or known.version != state.version:
        known = _remember(session, claims.user_id, claims.generation)
    # Who the audit trail names (services load the user itself if they need it).
    session.info["current_user"] = known.identity
    return known.principal


# The user's row as each request checks it: one indexed read of three columns.
_USER_STATE = select(User.is_active, User.token_generation, User.version).where(
    User.id == bindparam("user_id")
)


@dataclass(frozen=True)
class _Known:
    version: int
    principal: Principal
    identity: SimpleNamespace


# Principals by user id, as of a version of the user's row (which every change of
# the row moves on). Bounded: past the bound it starts afresh.
_KNOWN: dict[uuid.UUID, _Known] = {}
_KNOWN_BOUND = 4096


def _remember(session: Session, user_id: uuid.UUID, generation: int) -> _Known:
    user = session.get(User, user_id)
    if user is None or not user.is_active or user.token_generation != generation:
        raise Unauthorized("The access token has been revoked.")
    known = _Known(
        version=user.version,
        principal=principal_for(user),
        identity=SimpleNamespace(id=user.id, username=user.username, role=user.role),
    )
    if len(_KNOWN) >= _KNOWN_BOUND:
        _KNOWN.clear()
    _KNOWN[user_id] = known
    return known


def principal_for(user: User) -> Principal:
    """The principal a user acts as (requests, and integrations acting for a monitor)."""
    return Principal(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        organization_id=user.organization_id,
        organization_code=user.organization.code if user.organization else None,
        regions=frozenset(user.regions or ()),
        actor_code=user.actor_code,
    )


CurrentPrincipal = Annotated[Principal, Depends(get_current_principal)]


def allow(
    *roles: Role, api_keys: bool = False
) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """A dependency admitting only the given roles (403 for the others).

    API keys (reporting tools) pass only where ``api_keys=True``: the reports.
    """
    allowed = frozenset(roles)

    # async: a pure check, so FastAPI runs it inline instead of in a worker thread.
    async def check(principal: CurrentPrincipal) -> Principal:
        if principal.is_api_key and not api_keys:
            raise Forbidden("An API key can reach the reports only.")
        if principal.role not in allowed:
            raise Forbidden(f"The {principal.role} role may not do this.")
        return principal

    check.__name__ = "allow_" + "_".join(sorted(allowed))
    ACCESS[check] = Access(allowed, api_keys)
    return check


ANY_ROLE = tuple(Role)


def metrics_reader(
    session: SessionDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> None:
    """/metrics: the scraper's CASEWORK_METRICS_TOKEN, or an administrator's token."""
    expected = get_settings().metrics_token
    if (
        token
        and expected is not None
        and hmac.compare_digest(token.encode(), expected.get_secret_value().encode())
    ):
        return
    principal = get_current_principal(session, token)
    if principal.is_api_key or principal.role is not Role.admin:
        raise Forbidden("Metrics are for administrators and the configured scraper.")
