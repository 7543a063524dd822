"""SGBV cases (survivor codes, never names), counselling sessions, repatriation files
as a board by step and a file page with its moves."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from casework.audit import service as audit_service
from casework.auth.models import User
from casework.core.db import SessionDep
from casework.core.errors import Conflict, InvalidInput, ProblemError
from casework.counselling import permissions as counselling_permissions
from casework.counselling import service as counselling_service
from casework.counselling.schemas import CounsellingCreate, CounsellingQuery
from casework.persons import service as person_service
from casework.reference.vocabularies import (
    Abduction,
    Disability,
    DisplacementStatus,
    GbvimsAgeGroup,
    GbvimsSex,
    GbvLocationType,
    HarmfulPractice,
    PerpetratorRelationship,
    PerpetratorSex,
    PreviouslyReported,
    RepatriationStatus,
)
from casework.referrals import service as referral_service
from casework.referrals.schemas import ReferralQuery
from casework.repatriation import permissions as repatriation_permissions
from casework.repatriation import service as repatriation_service
from casework.repatriation.models import RepatriationFile
from casework.repatriation.schemas import RepatriationQuery, RepatriationTransition
from casework.sgbv import gbvims, incident_recorder
from casework.sgbv import permissions as sgbv_permissions
from casework.sgbv import service as sgbv_service
from casework.sgbv.models import SgbvCase
from casework.sgbv.schemas import IncidentRecorderQuery, SgbvCaseCreate, SgbvCaseQuery
from casework.web import case_panel, forms
from casework.web.core import Web, WebDep, WebRoute, attempt, new_client_id
from casework.web.incident_pages import cercles, regions_for

router = APIRouter(route_class=WebRoute, include_in_schema=False)

STEPS = [
    s
    for s in RepatriationStatus
    if s not in (RepatriationStatus.withdrawn, RepatriationStatus.suspended)
]


# --- SGBV cases -------------------------------------------------------------------------


@router.get("/sgbv-cases")
def list_cases(session: SessionDep, web: WebDep) -> HTMLResponse:
    web.require(*sgbv_permissions.HANDLERS)
    today = datetime.now(UTC).date()
    period: dict[str, str | None] = {
        "from": today.replace(month=1, day=1).isoformat(),
        "to": today.isoformat(),
    }
    return _list_page(session, web, period, {})


def _list_page(
    session: SessionDep,
    web: Web,
    period: dict[str, str | None],
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    code = (web.request.query_params.get("survivor_code") or "").strip()[:64]
    rows, _ = sgbv_service.list_readable(
        session, web.me, SgbvCaseQuery(survivor_code=code or None, limit=50)
    )
    audit_service.record_reads(session, "sgbv_cases", (c.id for c in rows))
    return web.render(
        "sgbv_cases.html",
        status=status,
        title=web.t.gettext("SGBV cases"),
        cases=rows,
        code=code,
        period=period,
        errors=errors,
    )


@router.get("/sgbv-cases/incident-recorder")
def incident_recorder_download(session: SessionDep, web: WebDep) -> Response:
    """The Incident Recorder workbook, as the API's export gives it and audited alike."""
    principal = web.require(*sgbv_permissions.HANDLERS)
    params = web.request.query_params
    period = {"from": params.get("from") or None, "to": params.get("to") or None}
    try:
        query = forms.validate(web.t, IncidentRecorderQuery, {k: v for k, v in period.items() if v})
    except forms.FormInvalid as exc:
        errors = exc.field_messages
        if "" in errors:  # the period's own rule: in order, at most a year
            errors["to"] = web.t.gettext(
                "The end comes after the start, at most a year later: export year by year."
            )
        return _list_page(session, web, period, errors, status=422)
    content, filename = incident_recorder.export(session, principal, query.date_from, query.date_to)
    return Response(
        content,
        media_type=incident_recorder.MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# The intake's menus, in the order of the GBVIMS intake form.
INTAKE_SELECTS: tuple[tuple[str, type[StrEnum]], ...] = (
    ("survivor_sex", GbvimsSex),
    ("survivor_age_group", GbvimsAgeGroup),
    ("displacement_status", DisplacementStatus),
    ("disability", Disability),
    ("location_type", GbvLocationType),
    ("perpetrator_sex", PerpetratorSex),
    ("perpetrator_age_group", GbvimsAgeGroup),
    ("perpetrator_relationship", PerpetratorRelationship),
    ("previously_reported", PreviouslyReported),
    ("harmful_practice", HarmfulPractice),
    ("abduction", Abduction),
)
SELECT_NAMES = tuple(name for name, _vocabulary in INTAKE_SELECTS)


def intake_labels(web: Web) -> dict[str, str]:
    """The intake fields' names in the reader's language (the case page and its form)."""
    _ = web.t.gettext
    return {
        "survivor_sex": _("Sex of the survivor"),
        "survivor_age_group": _("Age group of the survivor"),
        "displacement_status": _("Displacement status"),
        "disability": _("Disability"),
        "first_reported_on": _("Date of the first report to any agency"),
        "location_type": _("Type of place of the incident"),
        "perpetrator_count": _("Number of alleged perpetrators"),
        "perpetrator_sex": _("Sex of the alleged perpetrators"),
        "perpetrator_age_group": _("Age group of the alleged perpetrators"),
        "perpetrator_relationship": _("Relationship of the alleged perpetrator to the survivor"),
        "previously_reported": _("Reported before"),
        "harmful_practice": _("Harmful traditional practice"),
        "goods_exchanged": _("Money, goods, benefits or services exchanged"),
        "abduction": _("Abduction"),
    }


CASE_FIELDS = ("id", "survivor_code", "occurred_on", "region", "admin2", "narrative")
INTAKE_OTHERS = ("first_reported_on", "perpetrator_count", "goods_exchanged")


@router.get("/sgbv-cases/new")
def case_form(web: WebDep) -> HTMLResponse:
    web.require(*sgbv_permissions.HANDLERS)
    values: dict[str, Any] = {
        "id": new_client_id(),
        "services_needed": [],
        "classification": {name: "no" for name in gbvims.ANSWER_NAMES},
    }
    regions = regions_for(web, sgbv_permissions.may_open_in)
    if len(regions) == 1:
        values["region"] = regions[0][0]
    return _case_form(web, values, {})


@router.get("/sgbv-cases/cercles")
def case_cercle_options(web: WebDep, region: str = "") -> HTMLResponse:
    """The cercle choices of one region, for the form's region list."""
    web.require(*sgbv_permissions.HANDLERS)
    groups = cercles(web, region or None, sgbv_permissions.may_open_in)
    return web.render("cercle_options.html", groups=groups, value=None)


def _case_form(
    web: Web, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> HTMLResponse:
    return web.render(
        "sgbv_case_form.html",
        status=status,
        title=web.t.gettext("Open an SGBV case"),
        values=values,
        errors=errors,
        regions=regions_for(web, sgbv_permissions.may_open_in),
        groups=cercles(web, values.get("region"), sgbv_permissions.may_open_in),
        questions=[(name, text) for name, _type, text in gbvims.QUESTIONS],
        selects=INTAKE_SELECTS,
        labels=intake_labels(web),
    )


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


@router.post("/sgbv-cases/new")
def open_case(session: SessionDep, web: WebDep) -> Response:
    principal = web.require(*sgbv_permissions.HANDLERS)
    form = web.form
    values: dict[str, Any] = {
        name: forms.text(form, name) for name in (*CASE_FIELDS, *SELECT_NAMES, *INTAKE_OTHERS)
    }
    values["services_needed"] = forms.many(form, "services_needed")
    values["classification"] = {
        name: forms.text(form, f"classification.{name}") for name in gbvims.ANSWER_NAMES
    }
    raw: dict[str, Any] = {k: v for k, v in values.items() if v and k != "classification"}
    raw["goods_exchanged"] = _yes_no(values["goods_exchanged"])
    # The type is never chosen here: the tool's answers give it (an unanswered question is a no).
    raw["classification"] = {
        name: _yes_no(answer) is True for name, answer in values["classification"].items()
    }
    _ = web.t.gettext
    try:
        data = forms.validate(web.t, SgbvCaseCreate, raw)
        with attempt(session):
            case, _created = sgbv_service.open_case(session, principal, data, web.settings.code_set)
    except forms.FormInvalid as exc:
        return _case_form(web, values, exc.field_messages, status=422)
    except InvalidInput as exc:
        errors = forms.translate(web.t, exc)
        # The tool's own refusals, in the reader's language.
        if "classification" in errors:
            errors["classification"] = _(
                "The answers describe no GBV incident: record it as a protection incident."
            )
        if "first_reported_on" in errors:
            errors["first_reported_on"] = _("The first report cannot come before the incident.")
        return _case_form(web, values, errors, status=422)
    except Conflict:
        errors = {"survivor_code": _("Your organisation already has a case for this code.")}
        return _case_form(web, values, errors, status=409)
    return web.redirect(f"/sgbv-cases/{case.id}")


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
        questions=[(name, text) for name, _type, text in gbvims.QUESTIONS],
        selects=INTAKE_SELECTS,
        labels=intake_labels(web),
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
