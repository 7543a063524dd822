"""Referrals: make one (the actor's services only; consent explained), the list, the page
with its history and exactly the moves the caller may make."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from casework.actors import service as actor_service
from casework.audit import service as audit_service
from casework.auth.models import User
from casework.core.db import SessionDep
from casework.core.errors import Conflict, Forbidden, InvalidInput, ProblemError
from casework.incidents import service as incident_service
from casework.persons import service as person_service
from casework.reference.vocabularies import ReferralStatus, Role, Service
from casework.referrals import permissions
from casework.referrals import service as referral_service
from casework.referrals.models import Referral
from casework.referrals.schemas import ReferralCreate, ReferralQuery, ReferralTransition
from casework.referrals.workflow import REFERRAL_WORKFLOW
from casework.sgbv import service as sgbv_service
from casework.web import forms
from casework.web.core import Web, WebDep, WebRoute, attempt, new_client_id

router = APIRouter(route_class=WebRoute, include_in_schema=False)

SUBJECTS = ("person_id", "incident_id", "sgbv_case_id")


def move_label(web: Web, target: str) -> str:
    """Buttons are named after the move."""
    _ = web.t.gettext
    return {
        "sent": _("Send"),
        "acknowledged": _("Acknowledge"),
        "accepted": _("Accept"),
        "declined": _("Decline"),
        "in_progress": _("Mark in progress"),
        "completed": _("Complete"),
        "cancelled": _("Cancel the referral"),
    }.get(target, target)


@router.get("/referrals")
def list_referrals(session: SessionDep, web: WebDep) -> HTMLResponse:
    principal = web.require(*permissions.READERS)
    params = web.request.query_params
    status = params.get("status") or None
    overdue = params.get("overdue") == "true" or None
    try:
        query = forms.validate(
            web.t,
            ReferralQuery,
            {
                "status": [status] if status else None,
                "overdue": overdue,
                "limit": 50,
                "cursor": params.get("cursor") or None,
            },
        )
        rows, next_cursor = referral_service.list_readable(session, principal, query)
    except InvalidInput:
        rows, next_cursor = [], None
    return web.render(
        "referrals.html",
        title=web.t.gettext("Referrals"),
        block={"items": [referral_service.to_read(session, principal, r) for r in rows]},
        chosen=status,
        overdue=bool(overdue),
        next_url=web.url_with(cursor=next_cursor) if next_cursor else None,
    )


# --- making a referral ------------------------------------------------------------------


def _subject_of(session: SessionDep, web: Web, values: dict[str, Any]) -> tuple[str, str, str]:
    """(field, id, what to call it) of the record referred from; 404 outside scope."""
    principal = web.me
    for name in SUBJECTS:
        raw = values.get(name)
        if not raw:
            continue
        try:
            record_id = uuid.UUID(str(raw))
        except ValueError:
            break
        if name == "person_id":
            person = person_service.get_readable(session, principal, record_id)
            audit_service.record(session, "read", "persons", person.id)
            return name, str(record_id), person_service.to_read(session, person).full_name
        if name == "incident_id":
            incident = incident_service.get_readable(session, principal, record_id)
            label = web.t.gettext("Incident of %(date)s") % {
                "date": web.t.date(incident.occurred_on)
            }
            return name, str(record_id), label
        case = sgbv_service.get_readable(session, principal, record_id)
        return name, str(record_id), case.survivor_code
    raise InvalidInput(web.t.gettext("Open the referral form from a person, case or incident."))


def _referral_form(
    session: SessionDep,
    web: Web,
    values: dict[str, Any],
    errors: dict[str, str],
    *,
    status: int = 200,
    consent_missing: bool = False,
) -> HTMLResponse:
    subject_field, subject_id, subject_label = _subject_of(session, web, values)
    actors = actor_service.list_actors(session, include_inactive=False)
    chosen = next((a for a in actors if a.code == values.get("actor")), None)
    return web.render(
        "referral_form.html",
        status=status,
        title=web.t.gettext("Make a referral"),
        values=values,
        errors=errors,
        subject_field=subject_field,
        subject_id=subject_id,
        subject_label=subject_label,
        actors=[(a.code, f"{a.code} — {a.name}") for a in actors],
        actor=chosen,
        services=[(s, web.t.label(Service, s)) for s in (chosen.services if chosen else [])],
        consent_missing=consent_missing,
    )


@router.get("/referrals/new")
def referral_form(session: SessionDep, web: WebDep) -> HTMLResponse:
    principal = web.require(*permissions.CREATORS)
    params = web.request.query_params
    values: dict[str, Any] = {name: params.get(name) for name in SUBJECTS}
    values.update(id=new_client_id(), actor=params.get("actor"), services=[], urgency="normal")
    if principal.role is Role.caseworker and values.get("sgbv_case_id"):
        raise Forbidden(web.t.gettext("Your role may not open this page."))
    return _referral_form(session, web, values, {})


@router.post("/referrals")
def make_referral(session: SessionDep, web: WebDep) -> Response:
    principal = web.require(*permissions.CREATORS)
    form = web.form
    values: dict[str, Any] = {name: forms.text(form, name) for name in SUBJECTS}
    values.update(
        id=forms.text(form, "id"),
        actor=forms.text(form, "actor"),
        services=forms.many(form, "services"),
        urgency=forms.text(form, "urgency") or "normal",
        note=forms.text(form, "note"),
    )
    send = forms.text(form, "action") != "draft"
    try:
        data = forms.validate(web.t, ReferralCreate, {k: v for k, v in values.items() if v})
        with attempt(session):
            referral, _created = referral_service.create_referral(session, principal, data)
            if send and referral.status == ReferralStatus.draft.value:
                referral_service.transition(
                    session,
                    principal,
                    referral,
                    ReferralTransition(to=ReferralStatus.sent),
                    web.settings,
                    if_match=None,
                )
    except forms.FormInvalid as exc:
        errors = exc.field_messages
        if "services" in errors:
            errors["services"] = web.t.gettext("Choose at least one service.")
        return _referral_form(session, web, values, errors, status=422)
    except Conflict as exc:
        if exc.extra.get("missing") == "consent":
            return _referral_form(session, web, values, {}, status=409, consent_missing=True)
        raise
    except InvalidInput as exc:
        return _referral_form(session, web, values, forms.translate(web.t, exc), status=422)
    return web.redirect(f"/referrals/{referral.id}")


# --- one referral -----------------------------------------------------------------------


def _names(session: SessionDep, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    return {user_id: user.username for user_id in ids if (user := session.get(User, user_id))}


def _referral_page(
    session: SessionDep,
    web: Web,
    referral: Referral,
    *,
    problem: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    principal = web.me
    read = referral_service.to_read(session, principal, referral)
    if read.note:
        audit_service.record(session, "read", "referrals.note", referral.id)
    history = referral_service.history(session, principal, referral)
    names = _names(session, {e.by for e in history if e.by})
    subject = None
    if not permissions.sees_minimum_only(principal) and referral.person_id:
        person = person_service.get_readable(session, principal, referral.person_id)
        audit_service.record(session, "read", "persons", person.id)
        subject = ("/persons/" + str(person.id), person_service.to_read(session, person).full_name)
    elif not permissions.sees_minimum_only(principal) and referral.incident_id:
        subject = ("/incidents/" + str(referral.incident_id), web.t.gettext("The incident"))
    moves = [
        (target, move_label(web, target), _needs_note(referral.status, target))
        for target in REFERRAL_WORKFLOW.next_statuses(referral.status, principal.role)
    ]
    return web.render(
        "referral.html",
        status=status,
        title=web.t.gettext("Referral"),
        referral=read,
        version=referral.version,
        history=history,
        names=names,
        subject=subject,
        moves=moves,
        minimal=permissions.sees_minimum_only(principal),
        problem=problem,
        consent_link=_consent_link(referral),
    )


def _needs_note(source: str, target: str) -> bool:
    return any(
        row.note_required
        for row in REFERRAL_WORKFLOW.table
        if row.source == source and row.target == target
    )


def _consent_link(referral: Referral) -> str | None:
    if referral.person_id is None:
        return None
    query = "&".join(
        [f"actor={referral.actor_code}", *(f"services={s}" for s in referral.services)]
    )
    return f"/consents/new?person_id={referral.person_id}&{query}"


@router.get("/referrals/{referral_id}")
def read_referral(session: SessionDep, web: WebDep, referral_id: uuid.UUID) -> HTMLResponse:
    principal = web.require(*permissions.READERS)
    referral = referral_service.get_readable(session, principal, referral_id)
    return _referral_page(session, web, referral)


@router.post("/referrals/{referral_id}/transitions")
def move_referral(session: SessionDep, web: WebDep, referral_id: uuid.UUID) -> Response:
    principal = web.require(*permissions.READERS)
    referral = referral_service.get_readable(session, principal, referral_id)
    form = web.form
    version = forms.text(form, "version")
    try:
        move = forms.validate(
            web.t,
            ReferralTransition,
            {"to": forms.text(form, "to"), "note": forms.text(form, "note")},
        )
        with attempt(session):
            referral_service.transition(
                session,
                principal,
                referral,
                move,
                web.settings,
                if_match=f'"{version}"' if version else None,
            )
    except ProblemError as exc:
        session.refresh(referral)
        message = _move_problem(web, exc)
        return _referral_page(session, web, referral, problem=message, status=exc.status)
    return web.redirect(f"/referrals/{referral.id}")


def _move_problem(web: Web, exc: ProblemError) -> str:
    _ = web.t.gettext
    if exc.extra.get("missing") == "consent":
        return _(
            "No consent in force covers this actor and these services. Record the person's "
            "consent first, then send again."
        )
    if exc.status == 412:
        return _("Someone changed this referral while you were reading it. Look again.")
    if exc.status == 422:
        return _("Give the reason in the note.")
    if exc.status == 409:
        return _("This move is not possible from the current status.")
    return _("You may not make this move.")
