"""Incident rules: location checks, scope, idempotent creation, batches, patches."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.auth.models import Organization
from casework.auth.principal import Principal
from casework.core.concurrency import check_if_match
from casework.core.errors import (
    Forbidden,
    NotFound,
    ProblemError,
    invalid_from_pydantic,
    problem_of,
)
from casework.core.idempotency import insert_created, replay_of
from casework.core.pagination import keyset_page
from casework.incidents import permissions
from casework.incidents.models import Incident
from casework.incidents.schemas import (
    BatchItemResult,
    IncidentCreate,
    IncidentQuery,
    IncidentRead,
    IncidentUpdate,
    Victims,
)
from casework.reference.service import check_location
from casework.reference.vocabularies import IncidentStatus

VICTIM_FIELDS = tuple(Victims.model_fields)


@dataclass(frozen=True)
class CreateOutcome:
    incident: Incident
    created: bool  # False: an identical earlier create was replayed


def fingerprint(data: IncidentCreate) -> str:
    canonical = json.dumps(
        data.model_dump(mode="json", exclude={"id"}), sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def create_incident(
    session: Session, principal: Principal, data: IncidentCreate, code_set: str
) -> CreateOutcome:
    check_location(data.region, data.admin2, code_set)
    if not permissions.may_create_in(principal, data.region):
        raise Forbidden(f"You may not submit incidents in region {data.region}.")
    body_fingerprint = fingerprint(data)
    if data.id is not None:
        existing = session.get(Incident, data.id)
        if existing is not None:
            replayed = replay_of(existing, body_fingerprint, principal.organization_id)
            return CreateOutcome(replayed, created=False)

    assert principal.organization_id is not None  # creators always have one
    incident = Incident(
        id=data.id or uuid.uuid4(),
        occurred_on=data.occurred_on,
        region=data.region,
        admin2=data.admin2,
        code_set=code_set,
        locality=data.locality,
        incident_type=data.incident_type.value,
        perpetrator_category=data.perpetrator_category.value,
        population_group=data.population_group.value if data.population_group else None,
        urgency=data.urgency.value,
        description=data.description,
        status=IncidentStatus.submitted.value,
        # From the identity map (authentication loaded it): no extra query.
        organization=session.get(Organization, principal.organization_id),
        reported_by_id=principal.user_id,
        create_fingerprint=body_fingerprint,
        **data.victims.model_dump(),
    )
    stored, created = insert_created(
        session,
        incident,
        organization_id=principal.organization_id,
        what="incident",
        may_collide=data.id is not None,
    )
    return CreateOutcome(stored, created)


def create_batch(
    session: Session, principal: Principal, items: list[Any], code_set: str
) -> list[tuple[BatchItemResult, Incident | None]]:
    """Store every good item; each bad one fails alone with the status it would have had."""
    results: list[tuple[BatchItemResult, Incident | None]] = []
    for index, raw in enumerate(items):
        item_id = _item_id(raw)
        try:
            try:
                data = IncidentCreate.model_validate(raw)
            except ValidationError as exc:
                raise invalid_from_pydantic(exc, prefix=("body", "items", str(index))) from exc
            with session.begin_nested():
                outcome = create_incident(session, principal, data, code_set)
        except ProblemError as exc:
            results.append(
                (
                    BatchItemResult(
                        index=index, id=item_id, status=exc.status, error=problem_of(exc)
                    ),
                    None,
                )
            )
            continue
        status = 201 if outcome.created else 200
        results.append(
            (BatchItemResult(index=index, id=outcome.incident.id, status=status), outcome.incident)
        )
    return results


def _item_id(raw: Any) -> uuid.UUID | None:
    if isinstance(raw, dict) and isinstance(raw.get("id"), str):
        try:
            return uuid.UUID(raw["id"])
        except ValueError:
            return None
    return None


def get_readable(session: Session, principal: Principal, incident_id: uuid.UUID) -> Incident:
    incident = session.scalar(
        select(Incident).where(Incident.id == incident_id, permissions.readable(principal))
    )
    if incident is None:
        raise NotFound("No such incident.")
    return incident


def list_readable(
    session: Session, principal: Principal, query: IncidentQuery
) -> tuple[list[Incident], str | None]:
    stmt = select(Incident).where(permissions.readable(principal))
    if query.region:
        stmt = stmt.where(Incident.region.in_(query.region))
    if query.admin2:
        stmt = stmt.where(Incident.admin2 == query.admin2)
    if query.incident_type:
        stmt = stmt.where(Incident.incident_type.in_([t.value for t in query.incident_type]))
    for name in ("perpetrator_category", "population_group", "status", "urgency"):
        value = getattr(query, name)
        if value is not None:
            stmt = stmt.where(getattr(Incident, name) == value.value)
    if query.occurred_from:
        stmt = stmt.where(Incident.occurred_on >= query.occurred_from)
    if query.occurred_to:
        stmt = stmt.where(Incident.occurred_on <= query.occurred_to)
    return keyset_page(
        session,
        stmt,
        created_at=Incident.created_at,
        record_id=Incident.id,
        limit=query.limit,
        cursor=query.cursor,
    )


def update_incident(
    session: Session,
    principal: Principal,
    incident: Incident,
    changes: IncidentUpdate,
    *,
    if_match: str | None,
    code_set: str,
) -> Incident:
    check_if_match(if_match, incident.version)
    if not permissions.may_edit(principal, incident):
        raise Forbidden("You may read this incident but not change it.")
    fields = changes.model_dump(exclude_unset=True)
    if "status" in fields and not permissions.may_change_status(principal):
        raise Forbidden("Only supervisors change an incident's status.")

    region = fields.get("region", incident.region)
    admin2 = fields.get("admin2", incident.admin2)
    if "region" in fields or "admin2" in fields:
        check_location(region, admin2, code_set)
        if not principal.covers_region(region):
            raise Forbidden(f"You may not move incidents to region {region}.")
        incident.region, incident.admin2, incident.code_set = region, admin2, code_set

    fields.pop("victims", None)
    if changes.victims is not None:
        # The counts are replaced as a whole: unsent counts are 0, as on create.
        for name, value in changes.victims.model_dump().items():
            setattr(incident, name, value)
    for name in (
        "occurred_on",
        "locality",
        "incident_type",
        "perpetrator_category",
        "population_group",
        "urgency",
        "description",
        "status",
    ):
        if name in fields:
            value = fields[name]
            setattr(incident, name, value.value if hasattr(value, "value") else value)
    session.flush()
    return incident


def to_read(incident: Incident, principal: Principal) -> IncidentRead:
    return IncidentRead(
        id=incident.id,
        occurred_on=incident.occurred_on,
        region=incident.region,
        admin2=incident.admin2,
        code_set=incident.code_set,
        locality=incident.locality,
        incident_type=incident.incident_type,
        perpetrator_category=incident.perpetrator_category,
        population_group=incident.population_group,
        victims=Victims(**{name: getattr(incident, name) for name in VICTIM_FIELDS}),
        urgency=incident.urgency,
        description=incident.description
        if permissions.sees_description(principal, incident)
        else None,
        status=incident.status,
        organization=incident.organization.code,
        reported_by=incident.reported_by_id,
        version=incident.version,
        created_at=incident.created_at,
        updated_at=incident.updated_at,
    )
