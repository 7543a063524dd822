"""Administration: users (create, role and scope, deactivate, unlock, reset password),
API keys (shown once) and the audit trail with its chain verification."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from casework.actors import service as actor_service
from casework.audit import service as audit_service
from casework.audit.models import AuditEntry
from casework.auth import apikeys
from casework.auth import service as auth_service
from casework.auth.models import User
from casework.auth.schemas import UserCreate, UserUpdate
from casework.core.db import SessionDep
from casework.core.errors import Conflict, InvalidInput
from casework.core.pagination import keyset_page
from casework.reference.codesets import get_code_set
from casework.reference.vocabularies import Role
from casework.web import forms
from casework.web.core import Web, WebDep, WebRoute, attempt

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _choices(session: Session, web: Web) -> dict[str, Any]:
    code_set = get_code_set(web.settings.code_set)
    return {
        "roles": web.t.choices(Role),
        "organizations": [
            (o.code, f"{o.code} — {o.name}") for o in auth_service.list_organizations(session)
        ],
        "all_regions": [(c, web.t.region(code_set.name, c)) for c in code_set.regions],
        "actors": [(a.code, f"{a.code} — {a.name}") for a in actor_service.list_actors(session)],
    }


@router.get("/users")
def list_users(session: SessionDep, web: WebDep) -> HTMLResponse:
    web.require(Role.admin)
    cursor = web.request.query_params.get("cursor") or None
    try:
        users, next_cursor = auth_service.list_users(session, limit=100, cursor=cursor)
    except InvalidInput:
        users, next_cursor = [], None
    return web.render(
        "users.html",
        title=web.t.gettext("Users"),
        users=[(u, auth_service.is_locked(session, u)) for u in users],
        next_url=web.url_with(cursor=next_cursor) if next_cursor else None,
    )


@router.get("/users/new")
def new_user_form(session: SessionDep, web: WebDep) -> HTMLResponse:
    web.require(Role.admin)
    return _user_form(session, web, {"regions": []}, {})


def _user_form(
    session: Session, web: Web, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> HTMLResponse:
    return web.render(
        "user_form.html",
        status=status,
        title=web.t.gettext("New user"),
        values=values,
        errors=errors,
        **_choices(session, web),
    )


def _user_values(web: Web) -> dict[str, Any]:
    form = web.form
    return {
        "username": forms.text(form, "username"),
        "password": forms.text(form, "password"),
        "role": forms.text(form, "role"),
        "organization": forms.text(form, "organization"),
        "regions": forms.many(form, "regions"),
        "actor": forms.text(form, "actor"),
    }


@router.post("/users")
def create_user(session: SessionDep, web: WebDep) -> Response:
    web.require(Role.admin)
    values = _user_values(web)
    try:
        data = forms.validate(web.t, UserCreate, {k: v for k, v in values.items() if v})
        with attempt(session):
            user = auth_service.create_user(session, data, web.settings)
    except forms.FormInvalid as exc:
        return _user_form(session, web, values, exc.field_messages, status=422)
    except InvalidInput as exc:
        return _user_form(session, web, values, forms.translate(web.t, exc), status=422)
    except Conflict:
        errors = {"username": web.t.gettext("This username is taken.")}
        return _user_form(session, web, values, errors, status=409)
    return web.redirect(f"/users/{user.id}?done=created")


@router.get("/users/{user_id}")
def read_user(session: SessionDep, web: WebDep, user_id: uuid.UUID) -> HTMLResponse:
    web.require(Role.admin)
    user = auth_service.get_user(session, user_id)
    return _user_page(session, web, user, {}, done=web.request.query_params.get("done"))


def _user_page(
    session: Session,
    web: Web,
    user: User,
    errors: dict[str, str],
    *,
    done: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    return web.render(
        "user.html",
        status=status,
        title=user.username,
        user=auth_service.to_read(user),
        locked=auth_service.is_locked(session, user),
        errors=errors,
        done=done,
        **_choices(session, web),
    )


@router.post("/users/{user_id}")
def update_user(session: SessionDep, web: WebDep, user_id: uuid.UUID) -> Response:
    """One form per change: scope (role, organisation, regions, actor), activity, password."""
    admin = web.require(Role.admin)
    user = auth_service.get_user(session, user_id)
    form = web.form
    change = forms.text(form, "change")
    raw: dict[str, Any]
    if change == "scope":
        raw = {
            "role": forms.text(form, "role"),
            "organization": forms.text(form, "organization"),
            "regions": forms.many(form, "regions"),
            "actor": forms.text(form, "actor"),
        }
    elif change == "activity":
        raw = {"is_active": forms.text(form, "is_active") == "true"}
    elif change == "password":
        raw = {"password": forms.text(form, "password")}
    else:
        raise InvalidInput("Unknown change.")
    try:
        data = forms.validate(web.t, UserUpdate, raw)
        with attempt(session):
            auth_service.update_user(session, user, data, web.settings, by=admin)
    except forms.FormInvalid as exc:
        return _user_page(session, web, user, exc.field_messages, status=422)
    except InvalidInput as exc:
        session.refresh(user)
        return _user_page(session, web, user, forms.translate(web.t, exc), status=422)
    except Conflict:
        session.refresh(user)
        errors = {"": web.t.gettext("You cannot deactivate or demote your own account.")}
        return _user_page(session, web, user, errors, status=409)
    return web.redirect(f"/users/{user.id}?done={change}")


@router.post("/users/{user_id}/unlock")
def unlock_user(session: SessionDep, web: WebDep, user_id: uuid.UUID) -> Response:
    web.require(Role.admin)
    user = auth_service.get_user(session, user_id)
    auth_service.unlock(session, user)
    return web.redirect(f"/users/{user.id}?done=unlock")


# --- API keys ---------------------------------------------------------------------------


@router.get("/api-keys")
def list_keys(session: SessionDep, web: WebDep) -> HTMLResponse:
    web.require(Role.admin)
    return _keys_page(session, web)


def _keys_page(
    session: Session, web: Web, *, new_key: str | None = None, errors: dict[str, str] | None = None
) -> HTMLResponse:
    return web.render(
        "api_keys.html",
        status=422 if errors else 200,
        title=web.t.gettext("API keys"),
        keys=apikeys.list_keys(session),
        new_key=new_key,
        errors=errors or {},
    )


@router.post("/api-keys")
def create_key(session: SessionDep, web: WebDep) -> Response:
    admin = web.require(Role.admin)
    name = forms.text(web.form, "name")
    if not name or len(name) > 100:
        return _keys_page(session, web, errors={"name": web.t.gettext("Required.")})
    _record, key = apikeys.create(session, name, admin.user_id)
    # Shown in this answer only (never stored in clear, never shown again).
    return _keys_page(session, web, new_key=key)


@router.post("/api-keys/{key_id}/revoke")
def revoke_key(session: SessionDep, web: WebDep, key_id: uuid.UUID) -> Response:
    web.require(Role.admin)
    apikeys.revoke(session, key_id)
    return web.redirect("/api-keys")


# --- audit ------------------------------------------------------------------------------

AUDIT_FILTERS = ("username", "action", "record_type", "record_id", "from", "to")


def _day(value: str | None, end: bool) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC).date()
    except ValueError:
        raise InvalidInput("Give dates as YYYY-MM-DD.") from None
    return datetime.combine(day, time.max if end else time.min, UTC)


@router.get("/audit")
def audit_trail(session: SessionDep, web: WebDep) -> HTMLResponse:
    web.require(Role.admin)
    params = web.request.query_params
    filters = {name: (params.get(name) or "").strip()[:200] for name in AUDIT_FILTERS}
    stmt = audit_service.entries_query(
        username=filters["username"] or None,
        action=filters["action"] or None,
        record_type=filters["record_type"] or None,
        record_id=filters["record_id"] or None,
        at_from=_day(filters["from"], end=False),
        at_to=_day(filters["to"], end=True),
    )
    try:
        rows, next_cursor = keyset_page(
            session,
            stmt,
            created_at=AuditEntry.at,
            record_id=AuditEntry.id,
            limit=50,
            cursor=params.get("cursor") or None,
        )
    except InvalidInput:
        rows, next_cursor = [], None
    return web.render(
        "audit.html",
        title=web.t.gettext("Audit trail"),
        entries=rows,
        filters=filters,
        verification=None,
        next_url=web.url_with(cursor=next_cursor) if next_cursor else None,
    )


@router.post("/audit/verify")
def verify_audit(session: SessionDep, web: WebDep) -> HTMLResponse:
    web.require(Role.admin)
    result = audit_service.verify(session)
    return web.render(
        "audit.html",
        title=web.t.gettext("Audit trail"),
        entries=[],
        filters=dict.fromkeys(AUDIT_FILTERS, ""),
        verification=result,
        next_url=None,
    )
