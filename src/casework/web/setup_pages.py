"""Setting up for an administrator: organisations, referral actors and their webhooks,
KoboToolbox forms (mapping, secret) and their quarantine.

Every change goes through the service the API's routes call; secrets are shown in the
answer to the form that made them and never again.
"""

from __future__ import annotations

import json
import secrets
import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework.actors import service as actor_service
from casework.actors.models import Actor
from casework.actors.schemas import ActorCreate, ActorUpdate
from casework.auth import service as auth_service
from casework.auth.models import User
from casework.auth.schemas import OrganizationCreate
from casework.core.concurrency import check_if_match
from casework.core.db import SessionDep
from casework.core.errors import Conflict, InvalidInput, ProblemError
from casework.core.pagination import keyset_page
from casework.integrations import kobo
from casework.integrations.models import KoboForm, KoboSubmission
from casework.integrations.router import KoboFormCreate, KoboMapping
from casework.reference.vocabularies import Role, Service
from casework.web import forms
from casework.web.core import Web, WebDep, WebRoute, attempt

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _errors(web: Web, exc: ProblemError) -> dict[str, str]:
    """Field messages in the reader's language; the services' own reasons (a webhook
    address refused, a mapping that does not fit) are added after them, as given."""
    if isinstance(exc, forms.FormInvalid):
        return exc.field_messages
    found = forms.translate(web.t, exc)
    for error in exc.errors or []:
        kind = str(error.get("type", ""))
        loc = [str(part) for part in error.get("loc", []) if part != "body"]
        name = loc[0] if loc else ""
        if kind == "webhook_target":
            found[name] = web.t.gettext(
                "This address is refused: webhooks go only to public addresses (%(reason)s)."
            ) % {"reason": error.get("msg", "")}
        elif kind in ("mapping", "scope"):
            same = [e for e in exc.errors or [] if e.get("loc") == error.get("loc")]
            reasons = [str(e.get("msg", "")) for e in same]
            found[name] = web.t.gettext("Not accepted: %(reasons)s.") % {
                "reasons": "; ".join(reasons)
            }
        elif kind == "ref":
            found[name] = web.t.gettext("No such record.")
    return found


# --- organisations ----------------------------------------------------------------------


@router.get("/organizations")
def list_organizations(session: SessionDep, web: WebDep) -> HTMLResponse:
    web.require(Role.admin)
    return _organizations_page(session, web, {}, {})


def _organizations_page(
    session: Session, web: Web, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> HTMLResponse:
    return web.render(
        "setup_organizations.html",
        status=status,
        title=web.t.gettext("Organisations"),
        organizations=auth_service.list_organizations(session),
        values=values,
        errors=errors,
        done=web.request.query_params.get("done"),
    )


@router.post("/organizations")
def create_organization(session: SessionDep, web: WebDep) -> Response:
    web.require(Role.admin)
    values = {"code": forms.text(web.form, "code"), "name": forms.text(web.form, "name")}
    try:
        data = forms.validate(web.t, OrganizationCreate, {k: v for k, v in values.items() if v})
        with attempt(session):
            auth_service.create_organization(session, data.code, data.name)
    except InvalidInput as exc:
        return _organizations_page(session, web, values, _errors(web, exc), status=422)
    except Conflict:
        errors = {"code": web.t.gettext("This code is taken.")}
        return _organizations_page(session, web, values, errors, status=409)
    return web.redirect("/organizations?done=created")


# --- actors and their webhooks ----------------------------------------------------------


@router.get("/actors")
def list_actors(session: SessionDep, web: WebDep) -> HTMLResponse:
    web.require(Role.admin)
    return web.render(
        "setup_actors.html",
        title=web.t.gettext("Actors"),
        actors=actor_service.list_actors(session),
    )


@router.get("/actors/new")
def new_actor_form(session: SessionDep, web: WebDep) -> HTMLResponse:
    web.require(Role.admin)
    return _actor_form(web, {"services": []}, {})


def _actor_form(
    web: Web, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> HTMLResponse:
    return web.render(
        "setup_actor_form.html",
        status=status,
        title=web.t.gettext("New actor"),
        values=values,
        errors=errors,
        services=web.t.choices(Service),
    )


@router.post("/actors")
def create_actor(session: SessionDep, web: WebDep) -> Response:
    web.require(Role.admin)
    form = web.form
    values: dict[str, Any] = {
        "code": forms.text(form, "code"),
        "name": forms.text(form, "name"),
        "services": forms.many(form, "services"),
    }
    try:
        data = forms.validate(web.t, ActorCreate, {k: v for k, v in values.items() if v})
        with attempt(session):
            actor = actor_service.create_actor(session, data)
    except InvalidInput as exc:
        return _actor_form(web, values, _errors(web, exc), status=422)
    except Conflict:
        return _actor_form(web, values, {"code": web.t.gettext("This code is taken.")}, 409)
    return web.redirect(f"/actors/{actor.code}?done=created")


@router.get("/actors/{code}")
def read_actor(session: SessionDep, web: WebDep, code: str) -> HTMLResponse:
    web.require(Role.admin)
    actor = actor_service.get_or_404(session, code)
    return _actor_page(session, web, actor, {}, done=web.request.query_params.get("done"))


def _actor_page(
    session: Session,
    web: Web,
    actor: Actor,
    errors: dict[str, str],
    *,
    done: str | None = None,
    new_secret: str | None = None,
    webhook_url: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    focal_points = session.scalars(
        select(User)
        .where(User.actor_code == actor.code, User.role == Role.actor_focal_point)
        .order_by(User.username)
    ).all()
    return web.render(
        "setup_actor.html",
        status=status,
        title=f"{actor.code} — {actor.name}",
        actor=actor_service.to_read(actor, web.me),
        focal_points=focal_points,
        services=web.t.choices(Service),
        errors=errors,
        done=done,
        new_secret=new_secret,
        webhook_url=webhook_url if webhook_url is not None else actor.webhook_url,
    )


@router.post("/actors/{code}")
def update_actor(session: SessionDep, web: WebDep, code: str) -> Response:
    """One form per change: name and services, activity."""
    web.require(Role.admin)
    actor = actor_service.get_or_404(session, code)
    form = web.form
    change = forms.text(form, "change")
    raw: dict[str, Any]
    if change == "details":
        raw = {"name": forms.text(form, "name"), "services": forms.many(form, "services")}
    elif change == "activity":
        raw = {"is_active": forms.text(form, "is_active") == "true"}
    else:
        raise InvalidInput("Unknown change.")
    version = forms.text(form, "version")
    check_if_match(f'"{version}"' if version else None, actor.version)
    try:
        data = forms.validate(web.t, ActorUpdate, raw)
        with attempt(session):
            actor_service.update_actor(session, actor, data)
    except InvalidInput as exc:
        session.refresh(actor)
        return _actor_page(session, web, actor, _errors(web, exc), status=422)
    return web.redirect(f"/actors/{actor.code}?done={change}")


@router.post("/actors/{code}/webhook")
def set_webhook(session: SessionDep, web: WebDep, code: str) -> Response:
    """Subscribe the actor's system to its referral events, with a new signing secret
    (shown once), or end the subscription."""
    web.require(Role.admin)
    actor = actor_service.get_or_404(session, code)
    url = forms.text(web.form, "webhook_url")
    if forms.text(web.form, "remove") == "true":
        url = None
    secret = secrets.token_urlsafe(32) if url else None
    try:
        data = forms.validate(web.t, ActorUpdate, {"webhook_url": url, "webhook_secret": secret})
        with attempt(session):
            actor_service.update_actor(session, actor, data)
    except InvalidInput as exc:
        session.refresh(actor)
        return _actor_page(
            session, web, actor, _errors(web, exc), webhook_url=url or "", status=422
        )
    if secret is None:
        return web.redirect(f"/actors/{actor.code}?done=webhook_removed")
    # Shown in this answer only: the actor's system needs it to check the signatures.
    return _actor_page(session, web, actor, {}, done="webhook", new_secret=secret)


# --- KoboToolbox forms and quarantine ---------------------------------------------------


@router.get("/kobo-forms")
def list_kobo_forms(session: SessionDep, web: WebDep) -> HTMLResponse:
    web.require(Role.admin)
    rows = session.scalars(select(KoboForm).order_by(KoboForm.code)).all()
    waiting = dict(
        session.execute(
            kobo.quarantined()
            .with_only_columns(KoboSubmission.form_id, func.count())
            .group_by(KoboSubmission.form_id)
        ).all()
    )
    return web.render(
        "setup_kobo_forms.html",
        title=web.t.gettext("Kobo forms"),
        forms=rows,
        waiting=waiting,
    )


def _kobo_choices(session: Session) -> dict[str, Any]:
    return {
        "organizations": [
            (o.code, f"{o.code} — {o.name}") for o in auth_service.list_organizations(session)
        ],
    }


@router.get("/kobo-forms/new")
def new_kobo_form(session: SessionDep, web: WebDep) -> HTMLResponse:
    web.require(Role.admin)
    example = {"fields": {"occurred_on": "incident/date", "region": "location/region"}}
    return _kobo_form_form(session, web, {"mapping": json.dumps(example, indent=2)}, {})


def _kobo_form_form(
    session: Session, web: Web, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> HTMLResponse:
    return web.render(
        "setup_kobo_form_new.html",
        status=status,
        title=web.t.gettext("Register a Kobo form"),
        values=values,
        errors=errors,
        **_kobo_choices(session),
    )


def _mapping(web: Web, raw: str | None) -> dict[str, Any]:
    """The mapping's JSON text as an object, or the field's message."""
    try:
        value = json.loads(raw or "")
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise forms.FormInvalid({"mapping": web.t.gettext("Give a JSON object.")})
    return value


@router.post("/kobo-forms")
def create_kobo_form(session: SessionDep, web: WebDep) -> Response:
    web.require(Role.admin)
    form = web.form
    values = {
        name: forms.text(form, name)
        for name in ("code", "name", "organization", "default_user", "mapping")
    }
    try:
        mapping = _mapping(web, values["mapping"])
        given = {k: v for k, v in values.items() if v and k != "mapping"}
        data = forms.validate(web.t, KoboFormCreate, {**given, "mapping": mapping})
        with attempt(session):
            record, secret = kobo.register_form(
                session, data.code, data.name, data.organization, data.default_user, data.mapping
            )
    except InvalidInput as exc:
        return _kobo_form_form(session, web, values, _errors(web, exc), status=422)
    except Conflict:
        errors = {"code": web.t.gettext("This code is taken.")}
        return _kobo_form_form(session, web, values, errors, status=409)
    # Shown in this answer only (stored as a digest).
    return _kobo_page(session, web, record, {}, new_secret=secret)


@router.get("/kobo-forms/{code}")
def read_kobo_form(session: SessionDep, web: WebDep, code: str) -> HTMLResponse:
    web.require(Role.admin)
    record = kobo.get_form(session, code)
    return _kobo_page(session, web, record, {}, done=web.request.query_params.get("done"))


def _kobo_page(
    session: Session,
    web: Web,
    record: KoboForm,
    errors: dict[str, str],
    *,
    done: str | None = None,
    new_secret: str | None = None,
    mapping_text: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    default_user = session.get(User, record.default_user_id)
    return web.render(
        "setup_kobo_form.html",
        status=status,
        title=record.name,
        form=record,
        organization=auth_service.organization_code(session, record.organization_id),
        default_user=default_user.username if default_user else "",
        mapping_text=mapping_text
        if mapping_text is not None
        else json.dumps(record.mapping, indent=2, ensure_ascii=False),
        errors=errors,
        done=done,
        new_secret=new_secret,
        grace_hours=web.settings.kobo_secret_grace_hours,
    )


@router.post("/kobo-forms/{code}/mapping")
def replace_kobo_mapping(session: SessionDep, web: WebDep, code: str) -> Response:
    web.require(Role.admin)
    record = kobo.get_form(session, code)
    text = forms.text(web.form, "mapping")
    try:
        data = forms.validate(web.t, KoboMapping, {"mapping": _mapping(web, text)})
        with attempt(session):
            kobo.replace_mapping(session, record, data.mapping)
    except InvalidInput as exc:
        session.refresh(record)
        return _kobo_page(
            session, web, record, _errors(web, exc), mapping_text=text or "", status=422
        )
    return web.redirect(f"/kobo-forms/{record.code}?done=mapping")


@router.post("/kobo-forms/{code}/secret")
def rotate_kobo_secret(session: SessionDep, web: WebDep, code: str) -> Response:
    web.require(Role.admin)
    record = kobo.get_form(session, code)
    secret = kobo.rotate_secret_audited(session, record, None)
    # Shown in this answer only: the form's REST Service header needs it.
    return _kobo_page(session, web, record, {}, new_secret=secret)


@router.get("/kobo-quarantine")
def kobo_quarantine(session: SessionDep, web: WebDep) -> HTMLResponse:
    web.require(Role.admin)
    try:
        rows, next_cursor = keyset_page(
            session,
            kobo.quarantined(),
            created_at=KoboSubmission.received_at,
            record_id=KoboSubmission.id,
            limit=50,
            cursor=web.request.query_params.get("cursor") or None,
        )
    except InvalidInput:
        rows, next_cursor = [], None
    codes = dict(session.execute(select(KoboForm.id, KoboForm.code)).all())
    return web.render(
        "setup_kobo_quarantine.html",
        title=web.t.gettext("Kobo quarantine"),
        submissions=[
            {
                "id": s.id,
                "form": codes.get(s.form_id, ""),
                "instance_id": s.instance_id,
                "mapping_version": s.mapping_version,
                "reasons": s.reasons,
                # The question paths received, never the answers.
                "questions": sorted(json.loads(s.payload)),
                "received_at": s.received_at,
            }
            for s in rows
        ],
        outcome=web.request.query_params.get("done"),
        next_url=web.url_with(cursor=next_cursor) if next_cursor else None,
    )


@router.post("/kobo-quarantine/{submission_id}/reprocess")
def reprocess_submission(session: SessionDep, web: WebDep, submission_id: uuid.UUID) -> Response:
    web.require(Role.admin)
    submission = kobo.reprocess(session, kobo.get_submission(session, submission_id))
    done = "still" if submission.state == "quarantined" else "mapped"
    return web.redirect(f"/kobo-quarantine?done={done}")
