"""Users, organisations, password login and its throttling. Services flush; callers commit."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, case, delete, null, or_, select, update
from sqlalchemy.orm import Session

from casework.actors import service as actor_service
from casework.audit import service as audit_service
from casework.auth.models import LoginThrottle, Organization, User
from casework.auth.principal import Principal
from casework.auth.schemas import UserCreate, UserRead, UserUpdate
from casework.core.config import Settings
from casework.core.db import upsert_insert, utcnow
from casework.core.errors import Conflict, InvalidInput, NotFound, TooManyRequests
from casework.core.pagination import keyset_page
from casework.core.security import (
    HashGate,
    hash_gate,
    hash_password,
    issue_access_token,
    verify_password,
)
from casework.reference.codesets import get_code_set
from casework.reference.vocabularies import Language, Role

ROLES_NEEDING_ORGANIZATION = {
    Role.supervisor,
    Role.monitor,
    Role.caseworker,
    Role.gbv_caseworker,
}


# --- login -----------------------------------------------------------------------------


def normalize_username(username: str) -> str:
    return username.strip().lower()[:64]


@dataclass(frozen=True)
class Reservation:
    """A login attempt counted before its password is checked."""

    username: str
    attempt: int  # this attempt's number in the current window


def reserve_login_attempt(session: Session, username: str, settings: Settings) -> Reservation:
    """Count the attempt first, atomically (one upsert returning the new count).

    Concurrent attempts for one username queue on its row, so each gets its own
    number: only the first ``login_max_failures`` of a window are checked at all,
    the rest are refused (429) without their password being looked at. A
    successful login clears the row; a failed one leaves its count. Kept for
    unknown usernames too, so the 429 does not reveal which exist. The caller
    commits at once, before checking the password, so the count holds whatever
    happens next; and commits again before raising a refusal.
    """
    name = normalize_username(username)
    now = utcnow()
    window_start = now - timedelta(seconds=settings.login_window_seconds)
    row = LoginThrottle
    stale = or_(
        row.window_started_at < window_start,
        and_(row.locked_until.is_not(None), row.locked_until <= now),
    )
    stmt = (
        upsert_insert(session, LoginThrottle)
        .values(username=name, failures=1, window_started_at=now, locked_until=None)
        .on_conflict_do_update(
            index_elements=["username"],
            set_={
                "failures": case((stale, 1), else_=row.failures + 1),
                "window_started_at": case((stale, now), else_=row.window_started_at),
                "locked_until": case((stale, null()), else_=row.locked_until),
            },
        )
        .returning(row.failures, row.locked_until)
    )
    attempt, locked_until = session.execute(stmt).one()
    if locked_until is None and attempt > settings.login_max_failures:
        locked_until = now + timedelta(seconds=settings.login_lockout_seconds)
        session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.username == name, LoginThrottle.locked_until.is_(None))
            .values(locked_until=locked_until)
        )
    session.flush()
    if locked_until is not None and locked_until > now:
        retry_after = max(1, math.ceil((locked_until - now).total_seconds()))
        raise TooManyRequests(
            "Too many failed logins for this username; try again later.",
            headers={"Retry-After": str(retry_after)},
        )
    return Reservation(name, attempt)


def settle_failed_login(session: Session, reservation: Reservation, settings: Settings) -> None:
    """The reserved attempt failed: it stays counted; the last allowed one locks."""
    if reservation.attempt >= settings.login_max_failures:
        session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.username == reservation.username)
            .values(locked_until=utcnow() + timedelta(seconds=settings.login_lockout_seconds))
        )
    session.flush()


def password_gate(settings: Settings) -> HashGate:
    return hash_gate(
        settings.login_hash_concurrency,
        settings.login_hash_concurrency_per_client,
        settings.login_hash_wait_ms,
    )


@dataclass(frozen=True)
class Candidate:
    """What a password check needs, read before it (so no transaction waits on Argon2)."""

    user_id: uuid.UUID
    username: str
    password_hash: str


def login_candidate(session: Session, username: str) -> Candidate | None:
    row = session.execute(
        select(User.id, User.username, User.password_hash).where(
            User.username == normalize_username(username)
        )
    ).first()
    return Candidate(row[0], row[1], row[2]) if row else None


def check_password(candidate: Candidate | None, password: str) -> tuple[bool, str | None]:
    """Argon2, outside any transaction; an unknown user costs the same (dummy hash)."""
    return verify_password(password, candidate.password_hash if candidate else None)


def finish_login(
    session: Session, candidate: Candidate | None, valid: bool, new_hash: str | None
) -> User | None:
    """The active user whose password was right, or None; clears their throttle."""
    if candidate is None or not valid:
        return None
    user = session.get(User, candidate.user_id)
    if user is None or not user.is_active:
        return None
    if new_hash:
        user.password_hash = new_hash
    session.execute(delete(LoginThrottle).where(LoginThrottle.username == candidate.username))
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, or None. Rehashes outdated hashes."""
    candidate = login_candidate(session, username)
    valid, new_hash = check_password(candidate, password)
    return finish_login(session, candidate, valid, new_hash)


def password_login(
    session: Session, username: str, password: str, settings: Settings, client: str | None
) -> User | None:
    """The one sign-in rule for the API token and the web form.

    Argon2 work is bounded (TooManyRequests or ServiceUnavailable with Retry-After past
    the bound); the attempt is counted and committed BEFORE the password is looked at,
    so racing attempts get numbers and those past the limit are never checked. On a
    wrong password the failure is settled and audited and None is returned: the caller
    must commit even though it answers with an error, so that the count survives.
    """
    with password_gate(settings).slot(client):
        try:
            reservation = reserve_login_attempt(session, username, settings)
        finally:
            session.commit()
        candidate = login_candidate(session, username)
        # End the transaction: nothing (on SQLite, not the write lock) waits on Argon2.
        session.commit()
        valid, new_hash = check_password(candidate, password)
    user = finish_login(session, candidate, valid, new_hash)
    if user is None:
        settle_failed_login(session, reservation, settings)
        audit_service.record(
            session, "login.failure", "users", username=normalize_username(username)
        )
        return None
    audit_service.record(session, "login.success", "users", user.id, username=user.username)
    return user


def change_own_password(
    session: Session, user: User, current: str, new: str, settings: Settings
) -> None:
    """A user changes their password: the current one is checked, every session dies."""
    valid, _ = verify_password(current, user.password_hash)
    if not valid:
        raise InvalidInput(
            "The current password is wrong.",
            errors=[{"loc": ["body", "current_password"], "msg": "wrong password", "type": "auth"}],
        )
    _check_password(new, settings)
    user.password_hash = hash_password(new)
    user.token_generation += 1
    session.flush()


def unlock(session: Session, user: User) -> bool:
    """Lift the user's login lockout and forget their failures; audited. True if locked."""
    from casework.audit import service as audit_service

    throttle = session.get(LoginThrottle, user.username)
    was_locked = bool(throttle and throttle.locked_until and throttle.locked_until > utcnow())
    session.execute(delete(LoginThrottle).where(LoginThrottle.username == user.username))
    audit_service.record(
        session,
        "user.unlock",
        "users",
        user.id,
        detail={"username": user.username, "was_locked": was_locked},
    )
    session.flush()
    return was_locked


def get_user_by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == normalize_username(username)))


def is_locked(session: Session, user: User) -> bool:
    throttle = session.get(LoginThrottle, user.username)
    return bool(throttle and throttle.locked_until and throttle.locked_until > utcnow())


def access_token_for(user: User, settings: Settings) -> tuple[str, int]:
    lifetime = timedelta(minutes=settings.access_token_minutes)
    token = issue_access_token(
        user_id=user.id,
        generation=user.token_generation,
        key=settings.signing_key(),
        lifetime=lifetime,
    )
    return token, int(lifetime.total_seconds())


# --- organisations ---------------------------------------------------------------------


def get_organization_by_code(session: Session, code: str) -> Organization | None:
    return session.scalar(select(Organization).where(Organization.code == code.upper()))


def get_or_create_organization(
    session: Session, code: str, name: str | None = None
) -> Organization:
    organization = get_organization_by_code(session, code)
    if organization is None:
        organization = Organization(code=code.upper(), name=name or code.upper())
        session.add(organization)
        session.flush()
    return organization


def organization_code(session: Session, organization_id: uuid.UUID) -> str:
    """The code of a record's organisation (usually already in the identity map)."""
    organization = session.get(Organization, organization_id)
    assert organization is not None  # a foreign key guarantees it
    return organization.code


def create_organization(session: Session, code: str, name: str) -> Organization:
    if get_organization_by_code(session, code) is not None:
        raise Conflict(f"Organisation {code} already exists.")
    return get_or_create_organization(session, code, name)


def usernames(session: Session, user_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """Usernames by id, for histories that name who acted (one query)."""
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(wanted)))
    return {user_id: username for user_id, username in rows}


def list_organizations(session: Session) -> list[Organization]:
    return list(session.scalars(select(Organization).order_by(Organization.code)))


# --- users -----------------------------------------------------------------------------


def _scope_errors(
    session: Session,
    role: Role,
    organization: str | None,
    regions: Iterable[str],
    actor: str | None,
    settings: Settings,
) -> list[dict[str, object]]:
    errors: list[dict[str, object]] = []
    if actor and actor_service.get_by_code(session, actor) is None:
        errors.append({"loc": ["body", "actor"], "msg": f"no actor {actor}", "type": "ref"})
    code_set = get_code_set(settings.code_set)
    for index, region in enumerate(regions):
        if not code_set.has_region(region):
            errors.append(
                {
                    "loc": ["body", "regions", index],
                    "msg": f"{region} is not a region P-code of {code_set.name}",
                    "type": "region",
                }
            )
    if role in ROLES_NEEDING_ORGANIZATION and not organization:
        errors.append(
            {
                "loc": ["body", "organization"],
                "msg": f"a {role} needs an organization",
                "type": "scope",
            }
        )
    if role is Role.monitor and not list(regions):
        errors.append(
            {
                "loc": ["body", "regions"],
                "msg": "a monitor needs at least one region",
                "type": "scope",
            }
        )
    if role is Role.actor_focal_point and not actor:
        errors.append(
            {"loc": ["body", "actor"], "msg": "a focal point needs an actor", "type": "scope"}
        )
    if role is not Role.actor_focal_point and actor:
        errors.append(
            {
                "loc": ["body", "actor"],
                "msg": "only focal points belong to an actor",
                "type": "scope",
            }
        )
    return errors


def _check_password(password: str, settings: Settings) -> None:
    if len(password) < settings.password_min_length:
        raise InvalidInput(
            "The password is too short.",
            errors=[
                {
                    "loc": ["body", "password"],
                    "msg": f"at least {settings.password_min_length} characters",
                    "type": "password",
                }
            ],
        )


def create_user(
    session: Session,
    data: UserCreate,
    settings: Settings,
    *,
    create_missing_organization: bool = False,
) -> User:
    errors = _scope_errors(
        session, data.role, data.organization, data.regions, data.actor, settings
    )
    if errors:
        raise InvalidInput("The user's role and scope do not fit.", errors=errors)
    password = data.password.get_secret_value()
    _check_password(password, settings)
    if session.scalar(select(User.id).where(User.username == data.username)):
        raise Conflict(f"The username {data.username} is taken.")
    organization = None
    if data.organization:
        organization = (
            get_or_create_organization(session, data.organization)
            if create_missing_organization
            else _existing_organization(session, data.organization)
        )
    user = User(
        username=data.username,
        password_hash=hash_password(password),
        role=data.role.value,
        organization=organization,
        regions=sorted(set(data.regions)),
        actor_code=data.actor,
        email=data.email,
        language=data.language.value if data.language else None,
    )
    session.add(user)
    session.flush()
    return user


def _existing_organization(session: Session, code: str) -> Organization:
    organization = get_organization_by_code(session, code)
    if organization is None:
        raise InvalidInput(
            f"Unknown organisation {code}.",
            errors=[
                {"loc": ["body", "organization"], "msg": "unknown organisation", "type": "ref"}
            ],
        )
    return organization


def update_user(
    session: Session, user: User, changes: UserUpdate, settings: Settings, by: Principal
) -> User:
    fields = changes.model_dump(exclude_unset=True)
    role = Role(fields.get("role") or user.role)
    organization_code = fields.get(
        "organization", user.organization.code if user.organization else None
    )
    regions = fields["regions"] if fields.get("regions") is not None else user.regions
    actor = fields.get("actor", user.actor_code)
    errors = _scope_errors(session, role, organization_code, regions, actor, settings)
    if errors:
        raise InvalidInput("The user's role and scope do not fit.", errors=errors)
    if user.id == by.user_id and (fields.get("is_active") is False or role is not Role.admin):
        raise Conflict("An administrator cannot deactivate or demote their own account.")

    revoke_tokens = False
    if changes.password is not None:
        password = changes.password.get_secret_value()
        _check_password(password, settings)
        user.password_hash = hash_password(password)
        revoke_tokens = True
    if role.value != user.role:
        user.role = role.value
        revoke_tokens = True
    if "organization" in fields:
        new_org = _existing_organization(session, organization_code) if organization_code else None
        if new_org != user.organization:
            user.organization = new_org
            revoke_tokens = True
    if fields.get("regions") is not None and sorted(set(regions)) != user.regions:
        user.regions = sorted(set(regions))
        revoke_tokens = True
    if "actor" in fields and actor != user.actor_code:
        user.actor_code = actor
        revoke_tokens = True
    if fields.get("is_active") is not None and fields["is_active"] != user.is_active:
        user.is_active = fields["is_active"]
        revoke_tokens = True
    if "email" in fields:
        user.email = fields["email"]
    if "language" in fields:
        user.language = fields["language"].value if fields["language"] else None
    if revoke_tokens:
        # Any change to who the user is or what they may see ends their sessions.
        user.token_generation += 1
    session.flush()
    return user


def get_user(session: Session, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def list_users(
    session: Session, *, limit: int, cursor: str | None, role: Role | None = None
) -> tuple[list[User], str | None]:
    stmt = select(User)
    if role is not None:
        stmt = stmt.where(User.role == role.value)
    return keyset_page(
        session, stmt, created_at=User.created_at, record_id=User.id, limit=limit, cursor=cursor
    )


def to_read(user: User) -> UserRead:
    return UserRead(
        id=user.id,
        username=user.username,
        role=Role(user.role),
        organization=user.organization.code if user.organization else None,
        regions=list(user.regions or []),
        actor=user.actor_code,
        email=user.email,
        language=Language(user.language) if user.language else None,
        is_active=user.is_active,
        version=user.version,
        created_at=user.created_at,
        updated_at=user.updated_at,
    )
