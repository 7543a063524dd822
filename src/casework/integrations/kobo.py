"""KoboToolbox ingestion: map a submission to an incident, or quarantine it with reasons.

A submission is a flat JSON object keyed by question paths (``incident/type``),
``select_multiple`` answers space-separated, plus metadata (``_uuid``, ``_id``,
``_submission_time``, ``_submitted_by``, ``meta/instanceID``, ``formhub/uuid``,
``__version__``). A form's mapping says which path feeds which incident field,
how choice names translate to casework codes, and which Kobo user is which
monitor:

    {"fields": {"occurred_on": "incident/date", "region": "location/region", ...,
                "victims.female_adults": "victims/women"},
     "choices": {"incident_type": {"extorsion": "extortion"}, "region": {"gao": "ML07"}},
     "users": {"kobo_username": "casework.username"}}

The incident's id is derived from the form and the submission's instance id,
so Kobo's retries, a pull after a push, or a reprocess never make a second one.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.auth.models import User
from casework.auth.principal import principal_for
from casework.core.config import get_settings
from casework.core.db import utcnow
from casework.core.errors import Conflict, InvalidInput, NotFound, ProblemError
from casework.incidents import service as incident_service
from casework.incidents.schemas import IncidentCreate, Victims
from casework.integrations.models import KoboForm, KoboSubmission

NAMESPACE = uuid.UUID("0c7f3f50-3c1d-4b8e-9d0a-4a6c1b9e2f11")
# Every client field of an incident can be mapped (victim counts one by one).
FIELDS = {name for name in IncidentCreate.model_fields if name not in ("id", "victims")} | {
    f"victims.{name}" for name in Victims.model_fields
}
SINGLE_CHOICE = {
    "region",
    "admin2",
    "incident_type",
    "perpetrator_category",
    "population_group",
    "urgency",
}


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_mapping(mapping: dict[str, Any]) -> None:
    fields = mapping.get("fields")
    problems = []
    if not isinstance(fields, dict) or not fields:
        problems.append("mapping.fields must map incident fields to question paths")
    else:
        problems += [f"unknown incident field {name!r}" for name in fields if name not in FIELDS]
        problems += [
            f"{name} must name a question path"
            for name, path in fields.items()
            if not isinstance(path, str) or not path
        ]
    for key in ("choices", "users"):
        if not isinstance(mapping.get(key, {}), dict):
            problems.append(f"mapping.{key} must be an object")
    if problems:
        raise InvalidInput(
            "The mapping is not valid.",
            errors=[{"loc": ["body", "mapping"], "msg": p, "type": "mapping"} for p in problems],
        )


def create_form(
    session: Session,
    code: str,
    name: str,
    organization_id: uuid.UUID,
    default_user: User,
    mapping: dict[str, Any],
) -> tuple[KoboForm, str]:
    check_mapping(mapping)
    if session.scalar(select(KoboForm.id).where(KoboForm.code == code)):
        raise Conflict(f"Form {code} already exists.")
    secret = secrets.token_urlsafe(32)
    form = KoboForm(
        code=code,
        name=name,
        secret_hash=secret_digest(secret),
        organization_id=organization_id,
        default_user_id=default_user.id,
        mapping=mapping,
    )
    session.add(form)
    session.flush()
    return form, secret


def form_for_secret(session: Session, code: str, secret: str | None) -> KoboForm | None:
    form = session.scalar(select(KoboForm).where(KoboForm.code == code))
    if form is None or not secret:
        return None
    return form if secrets.compare_digest(form.secret_hash, secret_digest(secret)) else None


def instance_id_of(payload: dict[str, Any]) -> str | None:
    value = payload.get("meta/instanceID") or payload.get("_uuid")
    return str(value)[:200] if value else None


@dataclass(frozen=True)
class Outcome:
    submission: KoboSubmission
    replay: bool


def receive(session: Session, form: KoboForm, payload: dict[str, Any]) -> Outcome:
    """Store a submission once; map it (or quarantine it) the first time it is seen."""
    instance_id = instance_id_of(payload)
    if instance_id is None:
        raise InvalidInput(
            "A submission needs meta/instanceID or _uuid.",
            errors=[{"loc": ["body", "meta/instanceID"], "msg": "missing", "type": "missing"}],
        )
    existing = session.scalar(
        select(KoboSubmission).where(
            KoboSubmission.form_id == form.id, KoboSubmission.instance_id == instance_id
        )
    )
    if existing is not None:
        return Outcome(existing, replay=True)
    submission = KoboSubmission(
        form_id=form.id,
        instance_id=instance_id,
        form_version=str(payload.get("__version__"))[:100] if payload.get("__version__") else None,
        payload=json.dumps(payload, sort_keys=True),
        state="quarantined",
        mapping_version=form.mapping_version,
    )
    session.add(submission)
    session.flush()
    process(session, form, submission)
    return Outcome(submission, replay=False)


def process(session: Session, form: KoboForm, submission: KoboSubmission) -> None:
    """Map with the form's current mapping; accepted with an incident, or quarantined."""
    payload = json.loads(submission.payload)
    submission.mapping_version = form.mapping_version
    submission.processed_at = utcnow()
    reasons, body = map_submission(form.mapping, payload)
    incident_id = uuid.uuid5(NAMESPACE, f"{form.code}:{submission.instance_id}")
    user = _submitter(session, form, payload)
    # Audit: a push has no logged-in caller; its writes are the monitor's. An admin
    # reprocessing stays the one named.
    session.info.setdefault("current_user", user)
    if not reasons:
        try:
            data = IncidentCreate.model_validate({**body, "id": str(incident_id)})
            with session.begin_nested():
                incident_service.create_incident(
                    session, principal_for(user), data, get_settings().code_set
                )
        except ValidationError as exc:
            reasons = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        except ProblemError as exc:
            reasons = [exc.detail] + [
                f"{'.'.join(map(str, e['loc'][1:]))}: {e['msg']}" for e in exc.errors or []
            ]
    if reasons:
        submission.state, submission.reasons, submission.incident_id = "quarantined", reasons, None
    else:
        submission.state, submission.reasons, submission.incident_id = "accepted", [], incident_id
    session.flush()


def map_submission(
    mapping: dict[str, Any], payload: dict[str, Any]
) -> tuple[list[str], dict[str, Any]]:
    reasons: list[str] = []
    body: dict[str, Any] = {"victims": {}}
    choices: dict[str, dict[str, str]] = mapping.get("choices", {})
    for field, path in mapping["fields"].items():
        raw = payload.get(path)
        if raw is None or raw == "":
            continue
        value = str(raw).strip()
        if field in SINGLE_CHOICE and " " in value:
            reasons.append(f"{path}: several answers ({value!r}) for the single field {field}")
            continue
        if field in choices:
            if value not in choices[field]:
                reasons.append(f"{path}: unknown choice {value!r} for {field}")
                continue
            value = choices[field][value]
        if field.startswith("victims."):
            try:
                body["victims"][field.split(".", 1)[1]] = int(value)
            except ValueError:
                reasons.append(f"{path}: {value!r} is not a number")
        else:
            body[field] = value
    missing = [
        p
        for f, p in mapping["fields"].items()
        if f in ("occurred_on", "region", "incident_type") and payload.get(p) in (None, "")
    ]
    reasons += [f"{path}: no answer, and the incident needs one" for path in missing]
    return reasons, body


def _submitter(session: Session, form: KoboForm, payload: dict[str, Any]) -> User:
    users: dict[str, str] = form.mapping.get("users", {})
    username = users.get(str(payload.get("_submitted_by") or ""))
    if username:
        user = session.scalar(select(User).where(User.username == username))
        if user is not None and user.is_active:
            return user
    user = session.get(User, form.default_user_id)
    assert user is not None
    return user


def get_submission(session: Session, submission_id: uuid.UUID) -> KoboSubmission:
    submission = session.get(KoboSubmission, submission_id)
    if submission is None:
        raise NotFound("No such submission.")
    return submission
