"""Persons of concern: find (exact registration number), register, the person page;
consent recorded from it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from casework.actors import service as actor_service
from casework.attachments import permissions as attachment_permissions
from casework.attachments import service as attachment_service
from casework.attachments import storage, upload
from casework.attachments.models import Attachment
from casework.attachments.router import content_disposition
from casework.attachments.schemas import AttachmentQuery
from casework.audit import service as audit_service
from casework.auth import service as auth_service
from casework.auth.principal import Principal
from casework.consent import permissions as consent_permissions
from casework.consent import service as consent_service
from casework.consent.schemas import ConsentCreate, ConsentQuery
from casework.core.config import get_settings
from casework.core.db import SessionDep
from casework.core.errors import Conflict, InvalidInput, ProblemError
from casework.persons import duplicates, permissions
from casework.persons import merge as merge_service
from casework.persons import service as person_service
from casework.persons.models import Person
from casework.persons.schemas import MergeRequest, PersonCreate, PersonQuery
from casework.reference.vocabularies import Role
from casework.referrals import service as referral_service
from casework.referrals.permissions import CREATORS as REFERRERS
from casework.referrals.schemas import ReferralQuery
from casework.timeline import service as timeline_service
from casework.web import case_panel, forms, problems, sessions
from casework.web.core import (
    UploadRoute,
    Web,
    WebDep,
    WebRoute,
    attempt,
    csrf_secrets,
    error_page,
    new_client_id,
    signed_in,
)
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
    return _person_page(session, web, person)


def _person_page(
    session: Session,
    web: Web,
    person: Person,
    *,
    problem: str | None = None,
    upload_problem: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    principal = web.me
    audit_service.record(session, "read", "persons", person.id)
    consents, _ = consent_service.list_readable(
        session, principal, ConsentQuery(person_id=person.id, limit=100)
    )
    audit_service.record_reads(session, "consents", (c.id for c in consents))
    referrals, _ = referral_service.list_readable(
        session, principal, ReferralQuery(person_id=person.id, limit=100)
    )
    attachments, _ = attachment_service.list_readable(
        session, principal, AttachmentQuery(person_id=person.id, limit=100)
    )
    audit_service.record_reads(session, "attachments", (a.id for a in attachments))
    timeline = timeline_service.person_timeline(session, principal, person.id)
    return web.render(
        "person.html",
        status=status,
        title=web.t.gettext("Person"),
        person=person_service.to_read(session, person),
        consents=[consent_service.to_read(c) for c in consents],
        block={"items": [referral_service.to_read(session, principal, r) for r in referrals]},
        timeline=timeline.items,
        may_refer=web.has_role(*REFERRERS),
        panel=case_panel.panel(session, web, person),
        subject_kind="person",
        problem=problem,
        attachments=[attachment_service.to_read(a) for a in attachments],
        uploaders=auth_service.usernames(session, (a.uploaded_by_id for a in attachments)),
        upload_problem=upload_problem,
        new_attachment_id=new_client_id(),
    )


@router.post("/persons/{person_id}/assign")
def assign_person(session: SessionDep, web: WebDep, person_id: uuid.UUID) -> Response:
    principal = web.require(*permissions.HANDLERS)
    person = person_service.get_readable(session, principal, person_id)
    refused = case_panel.assign(session, web, person)
    if refused:
        return _person_page(session, web, person, problem=refused[0], status=refused[1])
    return web.redirect(f"/persons/{person.id}#case")


@router.post("/persons/{person_id}/transitions")
def move_person(session: SessionDep, web: WebDep, person_id: uuid.UUID) -> Response:
    principal = web.require(*permissions.HANDLERS)
    person = person_service.get_readable(session, principal, person_id)
    refused = case_panel.transition(session, web, person)
    if refused:
        return _person_page(session, web, person, problem=refused[0], status=refused[1])
    return web.redirect(f"/persons/{person.id}#case")


# --- duplicates and merge ----------------------------------------------------------------


def reason_labels(web: Web) -> dict[str, str]:
    """The reasons ``persons.duplicates`` gives for a candidate, in the reader's language."""
    _ = web.t.gettext
    return {
        "same_registration_number": _("same registration number"),
        "same_name": _("same name"),
        "similar_name": _("similar name"),
        "same_birth_year": _("same year of birth"),
        "close_birth_year": _("close year of birth"),
        "same_sex": _("same sex"),
        "same_phone": _("same phone"),
    }


@router.get("/persons/{person_id}/duplicates")
def person_duplicates(session: SessionDep, web: WebDep, person_id: uuid.UUID) -> HTMLResponse:
    principal = web.require(*permissions.HANDLERS)
    person = person_service.get_readable(session, principal, person_id)
    return _duplicates_page(session, web, person)


def _duplicates_page(
    session: Session, web: Web, person: Person, *, problem: str | None = None, status: int = 200
) -> HTMLResponse:
    """The candidates of ``persons.duplicates`` (the API's), and a supervisor's merge forms."""
    principal = web.me
    found = duplicates.candidates_read(session, principal, person)
    labels = reason_labels(web)
    candidates = [
        {
            "person": person_service.to_read(
                session, person_service.get_readable(session, principal, c.person_id)
            ),
            "score": c.score,
            "reasons": [labels.get(reason, reason) for reason in c.reasons],
        }
        for c in found
    ]
    audit_service.record_reads(session, "persons", (c.person_id for c in found))
    return web.render(
        "duplicates.html",
        status=status,
        title=web.t.gettext("Possible duplicates"),
        person=person_service.to_read(session, person),
        candidates=candidates,
        may_merge=principal.role is Role.supervisor and person.merged_into_id is None,
        problem=problem,
    )


@router.post("/persons/{person_id}/merge")
def merge_person(session: SessionDep, web: WebDep, person_id: uuid.UUID) -> Response:
    """A supervisor merges a candidate into this person, through the API's merge service."""
    principal = web.require(Role.supervisor)
    kept = person_service.get_readable(session, principal, person_id)
    form = web.form
    version = forms.text(form, "version")
    try:
        if forms.text(form, "confirm") != "yes":
            raise forms.FormInvalid(
                {"confirm": web.t.gettext("Tick the box once you have checked both records.")}
            )
        request = forms.validate(
            web.t,
            MergeRequest,
            {"duplicate_id": forms.text(form, "duplicate_id"), "note": forms.text(form, "note")},
        )
        with attempt(session):
            merge_service.merge(
                session, principal, kept, request, if_match=f'"{version}"' if version else None
            )
    except forms.FormInvalid as exc:
        message = " ".join(exc.field_messages.values())
        return _duplicates_page(session, web, kept, problem=message, status=422)
    except ProblemError as exc:
        session.refresh(kept)
        message = problems.translate_detail(exc.detail, web.t.language)
        return _duplicates_page(session, web, kept, problem=message, status=exc.status)
    return web.redirect(f"/persons/{kept.id}#case-history")


# --- attachments ------------------------------------------------------------------------


async def upload_attachment(
    request: Request, session: SessionDep, person_id: uuid.UUID
) -> Response:
    """A file for the person, from a plain multipart form (no script needed).

    The body is streamed into the store by the API's own parser (type judged by
    content, size counted, sealed); the CSRF token travels as a form field, so it
    is checked once the body is read, and a refused upload's blob is deleted.
    """
    web = await run_in_threadpool(signed_in, request, session)
    principal = web.require(*attachment_permissions.HANDLERS)
    await run_in_threadpool(person_service.get_readable, session, principal, person_id)
    settings = get_settings()
    store = storage.store_for(settings)
    try:
        received = await upload.receive(
            request, store, settings.keyring(), settings.attachment_max_bytes
        )
    except ProblemError as exc:
        return await run_in_threadpool(_upload_refused, session, web, person_id, exc)
    token = received.fields.pop("csrf_token", None)
    # The subject is the one in the address, checked above before a byte was read.
    received.fields = {
        **{k: v for k, v in received.fields.items() if k in ("id", "kind")},
        "person_id": str(person_id),
    }
    if not sessions.csrf_valid(settings, token, csrf_secrets(request, settings)):
        await run_in_threadpool(store.delete, received.blob_name)
        return error_page(request, 403, web.t.gettext("The form has expired."))
    try:
        _attachment, created = await run_in_threadpool(_record_upload, session, principal, received)
    except ProblemError as exc:
        await run_in_threadpool(store.delete, received.blob_name)
        return await run_in_threadpool(_upload_refused, session, web, person_id, exc)
    if not created:  # the same form sent twice: the first upload stands
        await run_in_threadpool(store.delete, received.blob_name)
    return web.redirect(f"/persons/{person_id}#attachments")


def _record_upload(
    session: Session, principal: Principal, received: upload.Received
) -> tuple[Attachment, bool]:
    with attempt(session):
        return attachment_service.record_upload(session, principal, received)


def _upload_refused(
    session: Session, web: Web, person_id: uuid.UUID, exc: ProblemError
) -> HTMLResponse:
    _ = web.t.gettext
    message = {
        413: _("The file is too large."),
        415: _("Only PDF, JPEG, PNG and WebP files are accepted."),
    }.get(exc.status, _("Choose a file and its kind."))
    person = person_service.get_readable(session, web.me, person_id)
    return _person_page(session, web, person, upload_problem=message, status=exc.status)


# A fixed path (the person in the query): the body size limit knows it as an upload.
UPLOAD_PATH = "/attachments"
router.add_api_route(
    UPLOAD_PATH,
    upload_attachment,
    methods=["POST"],
    route_class_override=UploadRoute,
)


@router.get("/attachments/{attachment_id}")
def download_attachment(session: SessionDep, web: WebDep, attachment_id: uuid.UUID) -> Response:
    """The file, decrypted on the fly; every download is audited, as over the API."""
    principal = web.require(*attachment_permissions.HANDLERS)
    attachment = attachment_service.get_readable(session, principal, attachment_id)
    audit_service.record(session, "read", "attachments", attachment.id, detail={"content": True})
    settings = web.settings
    chunks = attachment_service.content(storage.store_for(settings), settings.keyring(), attachment)
    return StreamingResponse(
        chunks,
        media_type=attachment.media_type,
        headers={
            "Content-Disposition": content_disposition(attachment.filename),
            "Content-Length": str(attachment.size),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
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
