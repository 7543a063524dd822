"""Incidents: the monitor's form, the organisation's list with filters, one incident."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from casework.audit import service as audit_service
from casework.auth.principal import Principal
from casework.core.db import SessionDep
from casework.core.errors import InvalidInput
from casework.incidents import permissions
from casework.incidents import service as incident_service
from casework.incidents.schemas import IncidentCreate, IncidentQuery, IncidentUpdate
from casework.reference.codesets import get_code_set
from casework.reference.vocabularies import IncidentStatus
from casework.referrals.permissions import CREATORS as REFERRERS
from casework.web import forms
from casework.web.core import Web, WebDep, WebRoute, attempt, new_client_id

router = APIRouter(route_class=WebRoute, include_in_schema=False)

VICTIMS = ("female_adults", "male_adults", "female_children", "male_children")
FILTERS = ("region", "incident_type", "status", "urgency", "occurred_from", "occurred_to")


def regions_for(
    web: Web, allowed: Callable[[Principal, str], bool] | None = None
) -> list[tuple[str, str]]:
    """The regions the caller may choose (by the domain's own rule), in their language."""
    code_set = get_code_set(web.settings.code_set)
    allowed = allowed or permissions.may_create_in
    return [
        (code, web.t.region(code_set.name, code))
        for code in code_set.regions
        if allowed(web.me, code)
    ]


def cercles(
    web: Web,
    region: str | None,
    allowed: Callable[[Principal, str], bool] | None = None,
) -> list[tuple[str, list[tuple[str, str]]]]:
    """Cercles grouped by region: all of the caller's regions, or the chosen one."""
    code_set = get_code_set(web.settings.code_set)
    groups = []
    for code, name in regions_for(web, allowed):
        if region and code != region:
            continue
        units = sorted((a.pcode, a.name) for a in code_set.regions[code].admin2)
        groups.append((name, sorted(units, key=lambda unit: unit[1])))
    return groups


@router.get("/incidents/new")
def incident_form(web: WebDep) -> HTMLResponse:
    web.require(*permissions.CREATORS)
    values: dict[str, Any] = {"id": new_client_id(), "urgency": "normal"}
    regions = regions_for(web)
    if len(regions) == 1:
        values["region"] = regions[0][0]
    return _form(web, values, {})


@router.get("/incidents/cercles")
def cercle_options(web: WebDep, region: str = "") -> HTMLResponse:
    """The cercle choices of one region (the form asks for them when the region changes)."""
    web.require(*permissions.CREATORS)
    return web.render("cercle_options.html", groups=cercles(web, region or None), value=None)


def _form(
    web: Web, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> HTMLResponse:
    return web.render(
        "incident_form.html",
        status=status,
        title=web.t.gettext("Report an incident"),
        values=values,
        errors=errors,
        regions=regions_for(web),
        groups=cercles(web, values.get("region")),
    )


@router.post("/incidents")
def create_incident(session: SessionDep, web: WebDep) -> Response:
    principal = web.require(*permissions.CREATORS)
    form = web.form
    values: dict[str, Any] = {
        "id": forms.text(form, "id"),
        "occurred_on": forms.text(form, "occurred_on"),
        "region": forms.text(form, "region"),
        "admin2": forms.text(form, "admin2"),
        "locality": forms.text(form, "locality"),
        "incident_type": forms.text(form, "incident_type"),
        "perpetrator_category": forms.text(form, "perpetrator_category") or "unknown",
        "population_group": forms.text(form, "population_group"),
        "urgency": forms.text(form, "urgency") or "normal",
        "description": forms.text(form, "description"),
        "victims": {name: forms.text(form, f"victims.{name}") or "0" for name in VICTIMS},
    }
    try:
        data = forms.validate(web.t, IncidentCreate, values)
        with attempt(session):
            outcome = incident_service.create_incident(
                session, principal, data, web.settings.code_set
            )
    except forms.FormInvalid as exc:
        return _form(web, values, exc.field_messages, status=422)
    except InvalidInput as exc:
        return _form(web, values, forms.translate(web.t, exc), status=422)
    return web.redirect(f"/incidents/{outcome.incident.id}?created=1")


@router.get("/incidents")
def list_incidents(session: SessionDep, web: WebDep) -> HTMLResponse:
    principal = web.require(*permissions.READERS)
    params = web.request.query_params
    filters = {name: params.get(name) or None for name in FILTERS}
    raw: dict[str, Any] = {k: v for k, v in filters.items() if v}
    for name in ("region", "incident_type"):
        if name in raw:
            raw[name] = [raw[name]]
    raw["limit"] = 50
    raw["cursor"] = params.get("cursor") or None
    errors: dict[str, str] = {}
    try:
        query = forms.validate(web.t, IncidentQuery, raw)
        rows, next_cursor = incident_service.list_readable(session, principal, query)
    except forms.FormInvalid as exc:
        errors, rows, next_cursor = exc.field_messages, [], None
    except InvalidInput as exc:  # a cursor that is not ours
        errors, rows, next_cursor = forms.translate(web.t, exc), [], None
    code_set = get_code_set(web.settings.code_set)
    regions = [(code, web.t.region(code_set.name, code)) for code in code_set.regions]
    return web.render(
        "incidents.html",
        title=web.t.gettext("Incidents"),
        block={"items": rows},
        filters=filters,
        errors=errors,
        regions=regions,
        next_url=web.url_with(cursor=next_cursor) if next_cursor else None,
        may_create=web.has_role(*permissions.CREATORS),
    )


@router.get("/incidents/{incident_id}")
def read_incident(session: SessionDep, web: WebDep, incident_id: uuid.UUID) -> HTMLResponse:
    principal = web.require(*permissions.READERS)
    incident = incident_service.get_readable(session, principal, incident_id)
    read = incident_service.to_read(incident, principal)
    if read.description is not None:
        audit_service.record(session, "read", "incidents.description", incident.id)
    moves = []
    if permissions.may_change_status(principal) and permissions.may_edit(principal, incident):
        moves = [s for s in (IncidentStatus.verified, IncidentStatus.closed) if s != read.status]
    return web.render(
        "incident.html",
        title=web.t.gettext("Incident"),
        incident=read,
        moves=moves,
        created=web.request.query_params.get("created") == "1",
        may_refer=web.has_role(*REFERRERS),
    )


@router.post("/incidents/{incident_id}/status")
def change_status(session: SessionDep, web: WebDep, incident_id: uuid.UUID) -> Response:
    principal = web.require(*permissions.EDITORS)
    incident = incident_service.get_readable(session, principal, incident_id)
    change = forms.validate(web.t, IncidentUpdate, {"status": forms.text(web.form, "to")})
    version = forms.text(web.form, "version")
    incident_service.update_incident(
        session,
        principal,
        incident,
        change,
        if_match=f'"{version}"' if version else None,
        code_set=web.settings.code_set,
    )
    return web.redirect(f"/incidents/{incident.id}")
