"""Persons of concern: find (exact registration number), register, the person page;
consent recorded from it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from casework.actors import service as actor_service
from casework.audit import service as audit_service
from casework.consent import permissions as consent_permissions
from casework.consent import service as consent_service
from casework.consent.schemas import ConsentCreate, ConsentQuery
from casework.core.db import SessionDep
from casework.core.errors import Conflict, InvalidInput
from casework.persons import permissions
from casework.persons import service as person_service
from casework.persons.schemas import PersonCreate, PersonQuery
from casework.referrals import service as referral_service
from casework.referrals.permissions import CREATORS as REFERRERS
from casework.referrals.schemas import ReferralQuery
from casework.timeline import service as timeline_service
from casework.web import forms
from casework.web.core import Web, WebDep, WebRoute, attempt, new_client_id
from casework.web.incident_pages import regions_for

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PERSON_FIELDS = (
    "id",
    "registration_number",
    "full_name",
    "phone",
    "sex",
    "birth_year",
    "nationality",
    "population_group",
    "region",
)


@router.get("/persons")
def find_persons(session: SessionDep, web: WebDep) -> HTMLResponse:
    principal = web.require(*permissions.HANDLERS)
    number = (web.request.query_params.get("registration_number") or "").strip()
    query = PersonQuery(registration_number=number or None, limit=20)
    rows, _cursor = person_service.list_readable(session, principal, query)
    audit_service.record_reads(session, "persons", (p.id for p in rows))
    return web.render(
        "persons.html",
        title=web.t.gettext("Persons"),
        number=number,
        persons=[person_service.to_read(session, p) for p in rows],
    )


@router.get("/persons/new")
def person_form(web: WebDep) -> HTMLResponse:
    web.require(*permissions.HANDLERS)
    number = web.request.query_params.get("registration_number") or ""
    return _person_form(web, {"id": new_client_id(), "registration_number": number}, {})


def _person_form(
    web: Web, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> HTMLResponse:
    return web.render(
        "person_form.html",
        status=status,
        title=web.t.gettext("Register a person"),
        values=values,
        errors=errors,
        regions=regions_for(web, permissions.may_register_in),
    )


@router.post("/persons")
def register_person(session: SessionDep, web: WebDep) -> Response:
    principal = web.require(*permissions.HANDLERS)
    values: dict[str, Any] = {name: forms.text(web.form, name) for name in PERSON_FIELDS}
    try:
        data = forms.validate(web.t, PersonCreate, values)
        with attempt(session):
            person, _created = person_service.create_person(
                session, principal, data, web.settings.code_set
            )
    except forms.FormInvalid as exc:
        return _person_form(web, values, exc.field_messages, status=422)
    except InvalidInput as exc:
        return _person_form(web, values, forms.translate(web.t, exc), status=422)
    except Conflict:
        errors = {
            "registration_number": web.t.gettext(
                "A person with this registration number is already registered."
            )
        }
        return _person_form(web, values, errors, status=409)
    return web.redirect(f"/persons/{person.id}")


@router.get("/persons/{person_id}")
def read_person(session: SessionDep, web: WebDep, person_id: uuid.UUID) -> HTMLResponse:
    principal = web.require(*permissions.HANDLERS)
    person = person_service.get_readable(session, principal, person_id)
    audit_service.record(session, "read", "persons", person.id)
    consents, _ = consent_service.list_readable(
        session, principal, ConsentQuery(person_id=person.id, limit=100)
    )
    audit_service.record_reads(session, "consents", (c.id for c in consents))
    referrals, _ = referral_service.list_readable(
        session, principal, ReferralQuery(person_id=person.id, limit=100)
    )
    timeline = timeline_service.person_timeline(session, principal, person.id)
    return web.render(
        "person.html",
        title=web.t.gettext("Person"),
        person=person_service.to_read(session, person),
        consents=[consent_service.to_read(c) for c in consents],
        block={"items": [referral_service.to_read(session, principal, r) for r in referrals]},
        timeline=timeline.items,
        may_refer=web.has_role(*REFERRERS),
    )


# --- consent ----------------------------------------------------------------------------


@router.get("/consents/new")
def consent_form(session: SessionDep, web: WebDep, person_id: uuid.UUID) -> HTMLResponse:
    principal = web.require(*consent_permissions.HANDLERS)
    person = person_service.get_readable(session, principal, person_id)
    params = web.request.query_params
    values = {
        "id": new_client_id(),
        "purpose": params.get("purpose") or "services",
        "actors": params.getlist("actor"),
        "services": params.getlist("services"),
        "given_by": "person",
        "given_on": datetime.now(UTC).date().isoformat(),
    }
    return _consent_form(session, web, person.id, values, {})


def _consent_form(
    session: SessionDep,
    web: Web,
    person_id: uuid.UUID,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    actors = [
        (a.code, f"{a.code} — {a.name}")
        for a in actor_service.list_actors(session, include_inactive=False)
    ]
    return web.render(
        "consent_form.html",
        status=status,
        title=web.t.gettext("Record consent"),
        person_id=person_id,
        values=values,
        errors=errors,
        actors=actors,
    )


@router.post("/consents")
def record_consent(session: SessionDep, web: WebDep) -> Response:
    principal = web.require(*consent_permissions.HANDLERS)
    form = web.form
    person_id = forms.text(form, "person_id")
    try:
        person = person_service.get_readable(session, principal, uuid.UUID(person_id or ""))
    except ValueError:
        raise InvalidInput("No person given.") from None
    values: dict[str, Any] = {
        "id": forms.text(form, "id"),
        "purpose": forms.text(form, "purpose"),
        "actors": forms.many(form, "actors"),
        "services": forms.many(form, "services"),
        "given_by": forms.text(form, "given_by"),
        "given_on": forms.text(form, "given_on"),
    }
    try:
        given_at: object = values["given_on"]
        if values["given_on"]:
            try:
                day = datetime.strptime(values["given_on"], "%Y-%m-%d").replace(tzinfo=UTC).date()
                given_at = min(datetime.combine(day, time(12), UTC), datetime.now(UTC))
            except ValueError:
                pass
        data = forms.validate(
            web.t,
            ConsentCreate,
            {
                **{k: v for k, v in values.items() if k != "given_on"},
                "given_at": given_at,
                "person_id": person.id,
            },
        )
        with attempt(session):
            consent_service.record_consent(session, principal, data)
    except forms.FormInvalid as exc:
        errors = exc.field_messages
        if "given_at" in errors:
            errors["given_on"] = errors.pop("given_at")
        if "" in errors or "person_id" in errors:
            errors[""] = web.t.gettext(
                "A consent to referral names at least one actor and one service."
            )
        return _consent_form(session, web, person.id, values, errors, status=422)
    except InvalidInput as exc:
        return _consent_form(
            session, web, person.id, values, forms.translate(web.t, exc), status=422
        )
    return web.redirect(f"/persons/{person.id}#consents")
