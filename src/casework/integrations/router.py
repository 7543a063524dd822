from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import Body, Depends, Header, Response
from pydantic import Field, StringConstraints
from sqlalchemy import select

from casework.auth.principal import Principal, allow
from casework.core.db import SessionDep
from casework.core.errors import Unauthorized, problem_responses
from casework.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page, keyset_page
from casework.core.routing import api_router
from casework.core.schemas import ReadModel, WriteModel
from casework.integrations import kobo
from casework.integrations.models import KoboForm, KoboSubmission
from casework.reference.vocabularies import Role

router = api_router(prefix="/api/v1/integrations/kobo", tags=["kobo"])
Admin = Annotated[Principal, Depends(allow(Role.admin))]
FormCode = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$"), Field(examples=["gao_incidents"])
]


class KoboFormCreate(WriteModel):
    code: FormCode
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    organization: Annotated[str, StringConstraints(min_length=2, max_length=64, to_upper=True)]
    default_user: Annotated[str, StringConstraints(min_length=3, max_length=64, to_lower=True)]
    mapping: dict[str, Any]


class KoboMapping(WriteModel):
    mapping: dict[str, Any]


class KoboFormRead(ReadModel):
    id: uuid.UUID
    code: str
    name: str
    mapping: dict[str, Any]
    mapping_version: int


class KoboFormCreated(KoboFormRead):
    secret: str = Field(description="Shown once: send it as X-Kobo-Secret on every push")


class SubmissionResult(ReadModel):
    submission_id: uuid.UUID
    instance_id: str
    state: str
    incident_id: uuid.UUID | None
    reasons: list[str]


class QuarantinedRead(ReadModel):
    id: uuid.UUID
    form: str
    instance_id: str
    form_version: str | None
    mapping_version: int
    reasons: list[str]
    questions: list[str] = Field(description="The question paths received (not the answers)")
    received_at: datetime


def _result(submission: KoboSubmission) -> SubmissionResult:
    return SubmissionResult(
        submission_id=submission.id,
        instance_id=submission.instance_id,
        state=submission.state,
        incident_id=submission.incident_id,
        reasons=submission.reasons,
    )


@router.post(
    "/{form}/submissions",
    response_model=SubmissionResult,
    status_code=201,
    responses={
        200: {"model": SubmissionResult, "description": "Already received (a Kobo retry)"},
        202: {"model": SubmissionResult, "description": "Stored in quarantine, with reasons"},
        **problem_responses(401, 413, 422),
    },
    summary="KoboToolbox REST Service endpoint (one submission, X-Kobo-Secret header)",
)
def push_submission(
    session: SessionDep,
    form: FormCode,
    response: Response,
    payload: Annotated[dict[str, Any], Body()],
    secret: Annotated[str | None, Header(alias="X-Kobo-Secret", max_length=200)] = None,
) -> SubmissionResult:
    found = kobo.form_for_secret(session, form, secret)
    if found is None:
        raise Unauthorized("Unknown form or wrong X-Kobo-Secret.")
    outcome = kobo.receive(session, found, payload)
    if outcome.replay or outcome.submission.state == "superseded":
        response.status_code = 200
    elif outcome.submission.state == "quarantined":
        response.status_code = 202
    return _result(outcome.submission)


@router.post(
    "/forms",
    response_model=KoboFormCreated,
    status_code=201,
    responses=problem_responses(401, 403, 409, 422),
)
def create_form(session: SessionDep, admin: Admin, body: KoboFormCreate) -> KoboFormCreated:
    record, secret = kobo.register_form(
        session, body.code, body.name, body.organization, body.default_user, body.mapping
    )
    return KoboFormCreated(
        id=record.id,
        code=record.code,
        name=record.name,
        mapping=record.mapping,
        mapping_version=record.mapping_version,
        secret=secret,
    )


@router.get(
    "/forms",
    response_model=Page[KoboFormRead],
    responses=problem_responses(401, 403, 422),
    summary="Registered Kobo forms and their mappings, newest first",
)
def list_forms(
    session: SessionDep, admin: Admin, limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None
) -> Page[KoboFormRead]:
    rows, next_cursor = keyset_page(
        session,
        select(KoboForm),
        created_at=KoboForm.created_at,
        record_id=KoboForm.id,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=[KoboFormRead.model_validate(f) for f in rows], next_cursor=next_cursor)


@router.put(
    "/forms/{code}/mapping",
    response_model=KoboFormRead,
    responses=problem_responses(401, 403, 404, 422),
    summary="Replace a form's mapping (its version goes up); then reprocess the quarantine",
)
def replace_mapping(
    session: SessionDep, admin: Admin, code: FormCode, body: KoboMapping
) -> KoboFormRead:
    record = kobo.replace_mapping(session, kobo.get_form(session, code), body.mapping)
    return KoboFormRead.model_validate(record)


class SecretRotation(WriteModel):
    grace_hours: int | None = Field(
        default=None,
        ge=0,
        le=24 * 7,
        description="How long the old secret still works (default CASEWORK_KOBO_SECRET_GRACE_HOURS,"
        " 0: refused at once)",
    )


class SecretRotated(ReadModel):
    code: str
    secret: str = Field(description="Shown once: the new X-Kobo-Secret")
    previous_secret_valid_until: datetime | None


@router.post(
    "/forms/{code}/secret",
    response_model=SecretRotated,
    responses=problem_responses(401, 403, 404, 422),
    summary="Give a form a new secret (shown once); the old one stops working",
)
def rotate_secret(
    session: SessionDep, admin: Admin, code: FormCode, body: SecretRotation | None = None
) -> SecretRotated:
    record = kobo.get_form(session, code)
    secret = kobo.rotate_secret_audited(session, record, body.grace_hours if body else None)
    return SecretRotated(
        code=record.code,
        secret=secret,
        previous_secret_valid_until=record.previous_secret_expires_at,
    )


@router.get(
    "/quarantine",
    response_model=Page[QuarantinedRead],
    responses=problem_responses(401, 403, 422),
    summary="Submissions that could not become incidents, with their reasons, newest first",
)
def quarantine(
    session: SessionDep, admin: Admin, limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None
) -> Page[QuarantinedRead]:
    rows, next_cursor = keyset_page(
        session,
        kobo.quarantined(),
        created_at=KoboSubmission.received_at,
        record_id=KoboSubmission.id,
        limit=limit,
        cursor=cursor,
    )
    codes = {form_id: code for form_id, code in session.execute(select(KoboForm.id, KoboForm.code))}
    items = [
        QuarantinedRead(
            id=s.id,
            form=codes[s.form_id],
            instance_id=s.instance_id,
            form_version=s.form_version,
            mapping_version=s.mapping_version,
            reasons=s.reasons,
            questions=sorted(json.loads(s.payload)),
            received_at=s.received_at,
        )
        for s in rows
    ]
    return Page(items=items, next_cursor=next_cursor)


@router.post(
    "/quarantine/{submission_id}/reprocess",
    response_model=SubmissionResult,
    responses=problem_responses(401, 403, 404, 422),
    summary="Map a quarantined submission again with the form's current mapping",
)
def reprocess(session: SessionDep, admin: Admin, submission_id: uuid.UUID) -> SubmissionResult:
    return _result(kobo.reprocess(session, kobo.get_submission(session, submission_id)))
