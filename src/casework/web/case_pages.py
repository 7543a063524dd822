"""SGBV cases (survivor codes, never names), counselling sessions, repatriation files
as a board by step and a file page with its moves."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from casework.audit import service as audit_service
from casework.auth.models import User
from casework.core.db import SessionDep
from casework.core.errors import InvalidInput, ProblemError
from casework.counselling import permissions as counselling_permissions
from casework.counselling import service as counselling_service
from casework.counselling.schemas import CounsellingCreate, CounsellingQuery
from casework.persons import service as person_service
from casework.reference.vocabularies import RepatriationStatus
from casework.referrals import service as referral_service
from casework.referrals.schemas import ReferralQuery
from casework.repatriation import permissions as repatriation_permissions
from casework.repatriation import service as repatriation_service
from casework.repatriation.models import RepatriationFile
from casework.repatriation.schemas import RepatriationQuery, RepatriationTransition
from casework.sgbv import permissions as sgbv_permissions
from casework.sgbv import service as sgbv_service
from casework.sgbv.models import SgbvCase
from casework.sgbv.schemas import SgbvCaseQuery
from casework.web import case_panel, forms
from casework.web.core import Web, WebDep, WebRoute, attempt, new_client_id
from casework.web.incident_pages import regions_for

router = APIRouter(route_class=WebRoute, include_in_schema=False)

STEPS = [
    s
    for s in RepatriationStatus
    if s not in (RepatriationStatus.withdrawn, RepatriationStatus.suspended)
]


# --- SGBV cases -------------------------------------------------------------------------


@router.get("/sgbv-cases")
def list_cases(session: SessionDep, web: WebDep) -> HTMLResponse:
    principal = web.require(*sgbv_permissions.HANDLERS)
    code = (web.request.query_params.get("survivor_code") or "").strip()[:64]
    rows, _ = sgbv_service.list_readable(
        session, principal, SgbvCaseQuery(survivor_code=code or None, limit=50)
    )
    audit_service.record_reads(session, "sgbv_cases", (c.id for c in rows))
    return web.render("sgbv_cases.html", title=web.t.gettext("SGBV cases"), cases=rows, code=code)


@router.get("/sgbv-cases/{case_id}")
def read_case(session: SessionDep, web: WebDep, case_id: uuid.UUID) -> HTMLResponse:
    principal = web.require(*sgbv_permissions.HANDLERS)
    case = sgbv_service.get_readable(session, principal, case_id)
    return _case_page(session, web, case)


def _case_page(
    session: SessionDep,
    web: Web,
    case: SgbvCase,
    *,
    problem: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    principal = web.me
    audit_service.record(session, "read", "sgbv_cases", case.id)
    referrals, _ = referral_service.list_readable(
        session, principal, ReferralQuery(sgbv_case_id=case.id, limit=100)
    )
    return web.render(
        "sgbv_case.html",
        status=status,
        title=case.survivor_code,
        case=sgbv_service.to_read(session, case),
        block={"items": [referral_service.to_read(session, principal, r) for r in referrals]},
        panel=case_panel.panel(session, web, case),
        subject_kind="sgbv_case",
        problem=problem,
    )


@router.post("/sgbv-cases/{case_id}/assign")
def assign_case(session: SessionDep, web: WebDep, case_id: uuid.UUID) -> Response:
    principal = web.require(*sgbv_permissions.HANDLERS)
    case = sgbv_service.get_readable(session, principal, case_id)
    refused = case_panel.assign(session, web, case)
    if refused:
        return _case_page(session, web, case, problem=refused[0], status=refused[1])
    return web.redirect(f"/sgbv-cases/{case.id}#case")


@router.post("/sgbv-cases/{case_id}/transitions")
def move_case(session: SessionDep, web: WebDep, case_id: uuid.UUID) -> Response:
    """Request closure, approve or reject it (supervisor), withdraw it, reopen."""
    principal = web.require(*sgbv_permissions.HANDLERS)
    case = sgbv_service.get_readable(session, principal, case_id)
    refused = case_panel.transition(session, web, case)
    if refused:
        return _case_page(session, web, case, problem=refused[0], status=refused[1])
    return web.redirect(f"/sgbv-cases/{case.id}#case")


# --- counselling ------------------------------------------------------------------------


@router.get("/counselling-sessions")
def list_sessions(session: SessionDep, web: WebDep) -> HTMLResponse:
    principal = web.require(*counselling_permissions.HANDLERS)
    rows, _ = counselling_service.list_readable(session, principal, CounsellingQuery(limit=50))
    return web.render(
        "counselling_sessions.html",
        title=web.t.gettext("Counselling sessions"),
        visits=[counselling_service.to_read(session, r) for r in rows],
    )


@router.get("/counselling-sessions/new")
def session_form(session: SessionDep, web: WebDep) -> HTMLResponse:
    web.require(*counselling_permissions.HANDLERS)
    values: dict[str, Any] = {
        "id": new_client_id(),
        "person_id": web.request.query_params.get("person_id") or None,
        "held_on": datetime.now(UTC).date().isoformat(),
        "concerns": [],
    }
    return _session_form(session, web, values, {})


def _session_form(
    session: SessionDep,
    web: Web,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    person_name = None
    if values.get("person_id"):
        try:
            person_id = uuid.UUID(str(values["person_id"]))
        except ValueError:
            raise InvalidInput(web.t.gettext("This value is not valid.")) from None
        person = person_service.get_readable(session, web.me, person_id)
        audit_service.record(session, "read", "persons", person.id)
        person_name = person_service.to_read(session, person).full_name
    return web.render(
        "counselling_form.html",
        status=status,
        title=web.t.gettext("Record a counselling session"),
        values=values,
        errors=errors,
        person_name=person_name,
        regions=regions_for(web, counselling_permissions.may_hold_in),
    )


@router.post("/counselling-sessions")
def record_session(session: SessionDep, web: WebDep) -> Response:
    principal = web.require(*counselling_permissions.HANDLERS)
    form = web.form
    values: dict[str, Any] = {
        name: forms.text(form, name)
        for name in (
            "id",
            "person_id",
            "held_on",
            "office",
            "sex",
            "age_group",
            "population_group",
            "region",
            "notes",
            "outcome",
        )
    }
    values["concerns"] = forms.many(form, "concerns")
    try:
        data = forms.validate(web.t, CounsellingCreate, {k: v for k, v in values.items() if v})
        with attempt(session):
            record, _created = counselling_service.record_session(
                session, principal, data, web.settings.code_set
            )
    except forms.FormInvalid as exc:
        errors = exc.field_messages
        if "" in errors:
            errors[""] = web.t.gettext(
                "For a visitor who is not registered, give their sex and the region."
            )
        return _session_form(session, web, values, errors, status=422)
    except InvalidInput as exc:
        return _session_form(session, web, values, forms.translate(web.t, exc), status=422)
    return web.redirect(f"/counselling-sessions/{record.id}")


@router.get("/counselling-sessions/{session_id}")
def read_session(session: SessionDep, web: WebDep, session_id: uuid.UUID) -> HTMLResponse:
    principal = web.require(*counselling_permissions.HANDLERS)
    record = counselling_service.get_readable(session, principal, session_id)
    read = counselling_service.to_read(session, record)
    audit_service.record(session, "read", "counselling_sessions", record.id)
    counsellor = session.get(User, read.counsellor_id)
    return web.render(
        "counselling_session.html",
        title=web.t.gettext("Counselling session"),
        visit=read,
        counsellor=counsellor.username if counsellor else "",
    )


# --- repatriation -----------------------------------------------------------------------


@router.get("/repatriation-files")
def board(session: SessionDep, web: WebDep) -> HTMLResponse:
    principal = web.require(*repatriation_permissions.HANDLERS)
    rows, _ = repatriation_service.list_readable(session, principal, RepatriationQuery(limit=500))
    columns: dict[str, list[RepatriationFile]] = {
        status.value: [] for status in [*STEPS, RepatriationStatus.suspended]
    }
    for row in rows:
        columns.setdefault(row.status, []).append(row)
    columns.pop(RepatriationStatus.withdrawn.value, None)
    return web.render(
        "repatriation_board.html",
        title=web.t.gettext("Voluntary repatriation"),
        columns=columns,
    )


def _file_page(
    session: SessionDep,
    web: Web,
    record: RepatriationFile,
    *,
    problem: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    principal = web.me
    read = repatriation_service.to_read(session, record)
    history = repatriation_service.history(session, record)
    names = {e.by: user.username for e in history if (user := session.get(User, e.by)) is not None}
    household = []
    for person_id in [read.principal_person_id, *read.member_person_ids]:
        person = person_service.get_readable(session, principal, person_id)
        audit_service.record(session, "read", "persons", person.id)
        household.append((person.id, person_service.to_read(session, person).full_name))
    moves = [
        (target, target in (RepatriationStatus.withdrawn, RepatriationStatus.suspended))
        for target in repatriation_service.next_moves(record, principal.role)
    ]
    return web.render(
        "repatriation_file.html",
        status=status,
        title=web.t.gettext("Repatriation file"),
        file=read,
        household=household,
        history=history,
        names=names,
        moves=moves,
        problem=problem,
    )


@router.get("/repatriation-files/{file_id}")
def read_file(session: SessionDep, web: WebDep, file_id: uuid.UUID) -> HTMLResponse:
    principal = web.require(*repatriation_permissions.HANDLERS)
    record = repatriation_service.get_readable(session, principal, file_id)
    return _file_page(session, web, record)


@router.post("/repatriation-files/{file_id}/transitions")
def move_file(session: SessionDep, web: WebDep, file_id: uuid.UUID) -> Response:
    principal = web.require(*repatriation_permissions.HANDLERS)
    record = repatriation_service.get_readable(session, principal, file_id)
    form = web.form
    version = forms.text(form, "version")
    try:
        move = forms.validate(
            web.t,
            RepatriationTransition,
            {"to": forms.text(form, "to"), "note": forms.text(form, "note")},
        )
        with attempt(session):
            repatriation_service.transition(
                session, principal, record, move, if_match=f'"{version}"' if version else None
            )
    except ProblemError as exc:
        session.refresh(record)
        _ = web.t.gettext
        message = {
            412: _("Someone changed this file while you were reading it. Look again."),
            422: _("Give the reason in the note."),
            409: _("This move is not possible from the current step."),
        }.get(exc.status, _("You may not make this move."))
        return _file_page(session, web, record, problem=message, status=exc.status)
    return web.redirect(f"/repatriation-files/{record.id}")
