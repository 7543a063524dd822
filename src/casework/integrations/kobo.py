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
from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from casework.audit import service as audit_service
from casework.auth.models import Organization, User
from casework.auth.principal import principal_for
from casework.core.config import get_settings
from casework.core.db import utcnow
from casework.core.errors import Conflict, InvalidInput, NotFound, ProblemError
from casework.incidents import service as incident_service
from casework.incidents.models import Incident
from casework.incidents.schemas import IncidentCreate, IncidentUpdate, Victims
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
    check_users(session, organization_id, default_user, mapping)
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
    """The form, if the secret is its current one (or the previous one, in its grace)."""
    form = session.scalar(select(KoboForm).where(KoboForm.code == code))
    if form is None or not secret:
        return None
    digest = secret_digest(secret)
    if secrets.compare_digest(form.secret_hash, digest):
        return form
    in_grace = (
        form.previous_secret_hash is not None
        and form.previous_secret_expires_at is not None
        and form.previous_secret_expires_at > utcnow()
    )
    if in_grace and secrets.compare_digest(form.previous_secret_hash or "", digest):
        return form
    return None


def rotate_secret(session: Session, form: KoboForm, grace: timedelta) -> str:
    """A new secret for the form, shown once. The old one stops working at once, or at the
    end of the grace period (time to update the Kobo REST Service header)."""
    secret = secrets.token_urlsafe(32)
    if grace > timedelta(0):
        form.previous_secret_hash = form.secret_hash
        form.previous_secret_expires_at = utcnow() + grace
    else:
        form.previous_secret_hash = form.previous_secret_expires_at = None
    form.secret_hash = secret_digest(secret)
    session.flush()
    return secret


def check_users(
    session: Session, organization_id: uuid.UUID, default_user: User, mapping: dict[str, Any]
) -> None:
    """Every user a form may act as belongs to the form's organisation."""
    problems = []
    if default_user.organization_id != organization_id:
        problems.append(("default_user", "the default user belongs to another organisation"))
    for kobo_user, username in (mapping.get("users") or {}).items():
        user = session.scalar(select(User).where(User.username == str(username).lower()))
        if user is None:
            problems.append(("mapping", f"users.{kobo_user}: no such user"))
        elif user.organization_id != organization_id:
            problems.append(("mapping", f"users.{kobo_user}: a user of another organisation"))
    if problems:
        raise InvalidInput(
            "A form acts only as users of its own organisation.",
            errors=[{"loc": ["body", loc], "msg": msg, "type": "scope"} for loc, msg in problems],
        )


def instance_id_of(payload: dict[str, Any]) -> str | None:
    value = payload.get("meta/instanceID") or payload.get("_uuid")
    return str(value)[:200] if value else None


@dataclass(frozen=True)
class Outcome:
    submission: KoboSubmission
    replay: bool


def _same_form(instance_id: str, value: object) -> str | None:
    """An instance id as this form writes them (``uuid:`` prefix or not)."""
    if not value:
        return None
    text = str(value)[:200]
    if instance_id.startswith("uuid:") and not text.startswith("uuid:"):
        text = f"uuid:{text}"[:200]
    return text


def _by_instance(session: Session, form: KoboForm, instance_id: str) -> KoboSubmission | None:
    return session.scalar(
        select(KoboSubmission).where(
            KoboSubmission.form_id == form.id, KoboSubmission.instance_id == instance_id
        )
    )


def receive(session: Session, form: KoboForm, payload: dict[str, Any]) -> Outcome:
    """Store a submission once; map it (or quarantine it) the first time it is seen.

    An edit made in Kobo arrives with a new ``meta/instanceID`` and names the version it
    replaces in ``meta/deprecatedID`` (newer Kobo also sends the first one as
    ``meta/rootUuid``): it updates the incident of the first version, never makes a
    second one. A version older than one already received is kept as ``superseded``.
    """
    instance_id = instance_id_of(payload)
    if instance_id is None:
        raise InvalidInput(
            "A submission needs meta/instanceID or _uuid.",
            errors=[{"loc": ["body", "meta/instanceID"], "msg": "missing", "type": "missing"}],
        )
    existing = _by_instance(session, form, instance_id)
    if existing is not None:
        return Outcome(existing, replay=True)
    deprecated = _same_form(instance_id, payload.get("meta/deprecatedID"))
    prior = _by_instance(session, form, deprecated) if deprecated else None
    if prior is not None:
        root = prior.root
    else:
        root = _same_form(instance_id, payload.get("meta/rootUuid")) or deprecated or instance_id
    newer = session.scalar(
        select(KoboSubmission.id).where(
            KoboSubmission.form_id == form.id,
            KoboSubmission.root_instance_id == instance_id,
        )
    )
    submission = KoboSubmission(
        form_id=form.id,
        instance_id=instance_id,
        form_version=str(payload.get("__version__"))[:100] if payload.get("__version__") else None,
        payload=json.dumps(payload, sort_keys=True),
        state="quarantined",
        reasons=[],
        mapping_version=form.mapping_version,
        root_instance_id=None if root == instance_id else root,
        replaces_id=prior.id if prior else None,
    )
    session.add(submission)
    session.flush()
    if newer is not None:
        # The first version arriving after one of its edits: nothing to apply.
        submission.state = "superseded"
        session.flush()
        return Outcome(submission, replay=False)
    process(session, form, submission)
    return Outcome(submission, replay=False)


def process(session: Session, form: KoboForm, submission: KoboSubmission) -> None:
    """Map with the form's current mapping; accepted with an incident, or quarantined."""
    payload = json.loads(submission.payload)
    submission.mapping_version = form.mapping_version
    submission.processed_at = utcnow()
    reasons, body = map_submission(form.mapping, payload)
    incident_id = uuid.uuid5(NAMESPACE, f"{form.code}:{submission.root}")
    user = _submitter(session, form, payload)
    # Audit: a push has no logged-in caller; its writes are the monitor's. An admin
    # reprocessing stays the one named.
    session.info.setdefault("current_user", user)
    if user.organization_id != form.organization_id:
        reasons.append("_submitted_by: maps to a user outside the form's organisation")
    if not reasons:
        reasons = _apply(session, form, submission, user, body, incident_id)
    if reasons:
        submission.state, submission.reasons, submission.incident_id = "quarantined", reasons, None
    else:
        submission.state, submission.reasons, submission.incident_id = "accepted", [], incident_id
    session.flush()


def _apply(
    session: Session,
    form: KoboForm,
    submission: KoboSubmission,
    user: User,
    body: dict[str, Any],
    incident_id: uuid.UUID,
) -> list[str]:
    """Create the incident, or update it for an edit; the reasons it failed (no answers)."""
    principal = principal_for(user)
    code_set = get_settings().code_set
    try:
        with session.begin_nested():
            incident = session.get(Incident, incident_id)
            if incident is None:
                data = IncidentCreate.model_validate({**body, "id": str(incident_id)})
                incident_service.create_incident(session, principal, data, code_set)
            else:
                changes = IncidentUpdate.model_validate(
                    {k: v for k, v in body.items() if k in IncidentUpdate.model_fields}
                )
                incident_service.update_incident(
                    session, principal, incident, changes, if_match=None, code_set=code_set
                )
                audit_service.record(
                    session,
                    "kobo.edit",
                    "incidents",
                    incident.id,
                    detail={"form": form.code, "instance": submission.instance_id},
                )
    except ValidationError as exc:
        # Pydantic's messages name the rule, never the input (which stays out of reasons).
        return [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
    except ProblemError as exc:
        # Service details name codes that already passed validation (a region P-code).
        return [exc.detail] + [
            f"{'.'.join(map(str, e['loc'][1:]))}: {e['msg']}" for e in exc.errors or []
        ]
    return []


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
        # Reasons name question paths and fields, never an answer: answers are names,
        # ages, places ("Fatoumata (age 14)") and reasons are shown to administrators.
        if field in SINGLE_CHOICE and " " in value:
            reasons.append(f"{path}: several answers for the single field {field}")
            continue
        if field in choices:
            if value not in choices[field]:
                reasons.append(f"{path}: an answer that is not a known choice for {field}")
                continue
            value = choices[field][value]
        if field.startswith("victims."):
            try:
                body["victims"][field.split(".", 1)[1]] = int(value)
            except ValueError:
                reasons.append(f"{path}: not a whole number")
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


# --- administration (the API's routes and the web pages call these) ----------------------


def get_form(session: Session, code: str) -> KoboForm:
    record = session.scalar(select(KoboForm).where(KoboForm.code == code))
    if record is None:
        raise NotFound("No such form.")
    return record


def register_form(
    session: Session,
    code: str,
    name: str,
    organization_code: str,
    default_username: str,
    mapping: dict[str, Any],
) -> tuple[KoboForm, str]:
    """A form registered by an administrator, named by codes; its secret is shown once."""
    organization = session.scalar(
        select(Organization).where(Organization.code == organization_code.upper())
    )
    user = session.scalar(select(User).where(User.username == default_username.lower()))
    if organization is None or user is None:
        raise InvalidInput(
            "Unknown organisation or user.",
            errors=[
                {
                    "loc": ["body", "organization" if organization is None else "default_user"],
                    "msg": "unknown",
                    "type": "ref",
                }
            ],
        )
    return create_form(session, code, name, organization.id, user, mapping)


def replace_mapping(session: Session, form: KoboForm, mapping: dict[str, Any]) -> KoboForm:
    """A new mapping (its version goes up); quarantined submissions can then be reprocessed."""
    check_mapping(mapping)
    default_user = session.get(User, form.default_user_id)
    assert default_user is not None  # a foreign key guarantees it
    check_users(session, form.organization_id, default_user, mapping)
    form.mapping, form.mapping_version = mapping, form.mapping_version + 1
    session.flush()
    return form


def rotate_secret_audited(session: Session, form: KoboForm, grace_hours: int | None) -> str:
    """``rotate_secret`` with the configured grace by default, recorded in the audit trail."""
    hours = get_settings().kobo_secret_grace_hours if grace_hours is None else grace_hours
    secret = rotate_secret(session, form, timedelta(hours=hours))
    audit_service.record(session, "kobo.secret_rotated", "kobo_forms", form.id)
    return secret


def quarantined() -> Select[KoboSubmission]:
    return select(KoboSubmission).where(KoboSubmission.state == "quarantined")


def reprocess(session: Session, submission: KoboSubmission) -> KoboSubmission:
    """Map a quarantined submission again with its form's current mapping (else unchanged)."""
    if submission.state == "quarantined":
        form = session.get(KoboForm, submission.form_id)
        assert form is not None
        process(session, form, submission)
    return submission
