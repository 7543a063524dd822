"""Transfers between organisations: the request (with consent, or a supervisor's
override), the list, and the page where the receiver accepts or rejects and the
sender may cancel. Every rule is the transfer service's."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from casework.audit import service as audit_service
from casework.auth import service as auth_service
from casework.cases import service as case_service
from casework.core.db import SessionDep
from casework.core.errors import InvalidInput, NotFound, ProblemError
from casework.persons import service as person_service
from casework.persons.models import Person
from casework.reference.vocabularies import Role, TransferStatus
from casework.sgbv import service as sgbv_service
from casework.transfers import permissions
from casework.transfers import service as transfer_service
from casework.transfers.models import Transfer
from casework.transfers.schemas import Direction, TransferCreate, TransferQuery, TransferTransition
from casework.web import forms
from casework.web.core import Web, WebDep, WebRoute, attempt, new_client_id

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/transfers")
def list_transfers(session: SessionDep, web: WebDep) -> HTMLResponse:
    principal = web.require(*permissions.HANDLERS)
    params = web.request.query_params
    direction = params.get("direction") or ""
    status = params.get("status") or ""
    query = TransferQuery(
        direction=Direction(direction) if direction in Direction.__members__ else None,
        status=[TransferStatus(status)] if status in TransferStatus.__members__ else None,
        limit=100,
    )
    rows, _cursor = transfer_service.list_readable(session, principal, query)
    return web.render(
        "transfers.html",
        title=web.t.gettext("Transfers"),
        transfers=[transfer_service.to_read(session, t) for t in rows],
        direction=query.direction.value if query.direction else "",
        chosen_status=status if query.status else "",
    )


def _subject(session: Session, web: Web, field: str, value: str | None) -> case_service.Case:
    try:
        subject_id = uuid.UUID(value or "")
    except ValueError:
        raise NotFound("No such case.") from None
    if field == "person_id":
        return person_service.get_readable(session, web.me, subject_id)
    return sgbv_service.get_readable(session, web.me, subject_id)


def _subject_of_request(session: Session, web: Web, source: Any) -> tuple[str, case_service.Case]:
    field = "person_id" if source.get("person_id") else "sgbv_case_id"
    return field, _subject(session, web, field, source.get(field))


@router.get("/transfers/new")
def transfer_form(session: SessionDep, web: WebDep) -> HTMLResponse:
    web.require(*permissions.HANDLERS)
    field, case = _subject_of_request(session, web, web.request.query_params)
    values = {"id": new_client_id(), field: str(case.id)}
    return _transfer_form(session, web, field, case, values, {})


def _transfer_form(
    session: Session,
    web: Web,
    field: str,
    case: case_service.Case,
    values: dict[str, Any],
    errors: dict[str, str],
    *,
    consent_missing: bool = False,
    status: int = 200,
) -> HTMLResponse:
    organizations = [
        (o.code, f"{o.code} — {o.name}")
        for o in auth_service.list_organizations(session)
        if o.id != case.organization_id
    ]
    if isinstance(case, Person):
        audit_service.record(session, "read", "persons", case.id)
        name = person_service.to_read(session, case).full_name
    else:
        name = case.survivor_code
    return web.render(
        "transfer_form.html",
        status=status,
        title=web.t.gettext("Transfer a case"),
        field=field,
        case_id=case.id,
        case_name=name,
        case_url=("/persons/" if field == "person_id" else "/sgbv-cases/") + str(case.id),
        values=values,
        errors=errors,
        organizations=organizations,
        consent_missing=consent_missing,
        may_override=web.has_role(Role.supervisor),
    )


@router.post("/transfers")
def request_transfer(session: SessionDep, web: WebDep) -> Response:
    principal = web.require(*permissions.HANDLERS)
    form = web.form
    field, case = _subject_of_request(session, web, form)
    values: dict[str, Any] = {
        name: forms.text(form, name)
        for name in ("id", "to_organization", "note", "consent_override_reason")
    }
    values[field] = str(case.id)
    try:
        data = forms.validate(web.t, TransferCreate, {k: v for k, v in values.items() if v})
        with attempt(session):
            transfer, _created = transfer_service.request_transfer(session, principal, data)
    except ProblemError as exc:
        _ = web.t.gettext
        consent_missing = exc.extra.get("missing") == "consent"
        if isinstance(exc, InvalidInput):
            errors = forms.translate(web.t, exc)
            if "to_organization" in errors:
                errors["to_organization"] = _("Choose another organisation.")
        elif consent_missing:
            errors = {"": _("No data-sharing consent in force for this case.")}
        elif exc.status == 409:
            errors = {"": _("Only an open case without a pending transfer can be transferred.")}
        else:
            errors = {"": _("Only the case's owner or a supervisor may transfer it.")}
        return _transfer_form(
            session,
            web,
            field,
            case,
            values,
            errors,
            consent_missing=consent_missing,
            status=exc.status,
        )
    return web.redirect(f"/transfers/{transfer.id}")


def _transfer_page(
    session: Session,
    web: Web,
    transfer: Transfer,
    *,
    problem: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    principal = web.me
    read = transfer_service.to_read(session, transfer)
    subject = None
    try:
        if transfer.person_id is not None:
            person = person_service.get_readable(session, principal, transfer.person_id)
            audit_service.record(session, "read", "persons", person.id)
            subject = (f"/persons/{person.id}", person_service.to_read(session, person).full_name)
        elif transfer.sgbv_case_id is not None:
            case = sgbv_service.get_readable(session, principal, transfer.sgbv_case_id)
            subject = (f"/sgbv-cases/{case.id}", case.survivor_code)
    except NotFound:
        subject = None  # the receiver sees the case once it has accepted it
    moves: list[tuple[str, bool]] = []
    if transfer.status == TransferStatus.pending.value:
        if permissions.may_decide(principal, transfer):
            moves += [("accepted", False), ("rejected", True)]
        owner = transfer_service.case_of(session, transfer).owner_id
        if permissions.may_cancel(principal, transfer, owner):
            moves.append(("cancelled", False))
    return web.render(
        "transfer.html",
        status=status,
        title=web.t.gettext("Transfer"),
        transfer=read,
        history=transfer_service.history(session, transfer),
        subject=subject,
        moves=moves,
        problem=problem,
    )


@router.get("/transfers/{transfer_id}")
def read_transfer(session: SessionDep, web: WebDep, transfer_id: uuid.UUID) -> HTMLResponse:
    principal = web.require(*permissions.HANDLERS)
    transfer = transfer_service.get_readable(session, principal, transfer_id)
    return _transfer_page(session, web, transfer)


@router.post("/transfers/{transfer_id}/transitions")
def move_transfer(session: SessionDep, web: WebDep, transfer_id: uuid.UUID) -> Response:
    principal = web.require(*permissions.HANDLERS)
    transfer = transfer_service.get_readable(session, principal, transfer_id)
    form = web.form
    version = forms.text(form, "version")
    try:
        move = forms.validate(
            web.t,
            TransferTransition,
            {"to": forms.text(form, "to"), "note": forms.text(form, "note")},
        )
        with attempt(session):
            transfer_service.transition(
                session, principal, transfer, move, if_match=f'"{version}"' if version else None
            )
    except ProblemError as exc:
        session.refresh(transfer)
        _ = web.t.gettext
        message = {
            412: _("Someone changed this transfer while you were reading it. Look again."),
            422: _("Give the reason in the note."),
            409: _(
                "This transfer cannot be decided now: the case changed, or your "
                "organisation already holds it."
            ),
        }.get(exc.status, _("You may not make this move."))
        return _transfer_page(session, web, transfer, problem=message, status=exc.status)
    return web.redirect(f"/transfers/{transfer.id}")
