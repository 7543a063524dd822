"""Counselling sessions: recording, scope, filters."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.auth import service as auth_service
from casework.auth.principal import Principal
from casework.cases import service as case_service
from casework.core.concurrency import check_if_match
from casework.core.db import utcnow
from casework.core.errors import Forbidden, InvalidInput, NotFound
from casework.core.idempotency import insert_created, replay_or_conflict
from casework.core.pagination import keyset_page
from casework.counselling import permissions
from casework.counselling.models import CounsellingConcern, CounsellingSession
from casework.counselling.schemas import (
    CounsellingCreate,
    CounsellingQuery,
    CounsellingRead,
    CounsellingUpdate,
)
from casework.persons import service as person_service
from casework.reference.service import check_location


def record_session(
    session: Session, principal: Principal, data: CounsellingCreate, code_set: str
) -> tuple[CounsellingSession, bool]:
    sex, population_group, region = (
        data.sex.value if data.sex else None,
        data.population_group.value if data.population_group else None,
        data.region,
    )
    if data.person_id is not None:
        try:
            person = person_service.get_readable(session, principal, data.person_id)
        except NotFound:
            raise InvalidInput(
                "No such person.",
                errors=[{"loc": ["body", "person_id"], "msg": "no such person", "type": "ref"}],
            ) from None
        case_service.require_open(person, "recording sessions with them")
        sex = person.sex
        population_group = population_group or person.population_group
        region = region or person.region
    assert region is not None  # the schema requires it for anonymous visitors
    check_location(region, None, code_set)
    if not permissions.may_hold_in(principal, region):
        raise Forbidden(f"You may not record sessions in region {region}.")
    fingerprint, replayed = replay_or_conflict(
        session, CounsellingSession, data, principal.organization_id, "counselling_sessions"
    )
    if replayed is not None:
        return replayed, False
    record = CounsellingSession(
        id=data.id or uuid.uuid4(),
        held_on=data.held_on,
        office=data.office,
        counsellor_id=principal.user_id,
        person_id=data.person_id,
        sex=sex,
        age_group=data.age_group.value if data.age_group else None,
        population_group=population_group,
        region=region,
        code_set=code_set,
        notes=data.notes,
        outcome=data.outcome,
        organization_id=principal.organization_id,
        create_fingerprint=fingerprint,
        concern_rows=[CounsellingConcern(concern=c.value) for c in sorted(set(data.concerns))],
    )
    return insert_created(
        session,
        record,
        organization_id=principal.organization_id,
        what="counselling session",
        may_collide=data.id is not None,
    )


def get_readable(
    session: Session, principal: Principal, session_id: uuid.UUID
) -> CounsellingSession:
    record = session.scalar(
        select(CounsellingSession).where(
            CounsellingSession.id == session_id, permissions.readable(principal)
        )
    )
    if record is None:
        raise NotFound("No such counselling session.")
    return record


def list_readable(
    session: Session, principal: Principal, query: CounsellingQuery
) -> tuple[list[CounsellingSession], str | None]:
    stmt = select(CounsellingSession).where(permissions.readable(principal))
    if query.held_from:
        stmt = stmt.where(CounsellingSession.held_on >= query.held_from)
    if query.held_to:
        stmt = stmt.where(CounsellingSession.held_on <= query.held_to)
    if query.office:
        stmt = stmt.where(CounsellingSession.office == query.office)
    if query.person_id:
        stmt = stmt.where(CounsellingSession.person_id == query.person_id)
    if query.region:
        stmt = stmt.where(CounsellingSession.region.in_(query.region))
    if query.concern:
        stmt = stmt.where(
            CounsellingSession.id.in_(
                select(CounsellingConcern.session_id).where(
                    CounsellingConcern.concern.in_([c.value for c in query.concern])
                )
            )
        )
    return keyset_page(
        session,
        stmt,
        created_at=CounsellingSession.created_at,
        record_id=CounsellingSession.id,
        limit=query.limit,
        cursor=query.cursor,
    )


def update_session(
    session: Session,
    record: CounsellingSession,
    changes: CounsellingUpdate,
    *,
    if_match: str | None,
) -> CounsellingSession:
    check_if_match(if_match, record.version)
    fields = changes.model_dump(exclude_unset=True)
    if changes.concerns is not None:
        fields.pop("concerns")
        wanted = sorted({c.value for c in changes.concerns})
        if wanted != record.concerns:
            record.concern_rows = [CounsellingConcern(concern=c) for c in wanted]
            # Touch the parent row so its version (the ETag) moves with its concerns.
            record.updated_at = utcnow()
    for name, value in fields.items():
        setattr(record, name, value)
    session.flush()
    return record


def to_read(session: Session, record: CounsellingSession) -> CounsellingRead:
    return CounsellingRead(
        id=record.id,
        held_on=record.held_on,
        office=record.office,
        counsellor_id=record.counsellor_id,
        person_id=record.person_id,
        sex=record.sex,
        age_group=record.age_group,
        population_group=record.population_group,
        region=record.region,
        concerns=record.concerns,
        notes=record.notes,
        outcome=record.outcome,
        organization=auth_service.organization_code(session, record.organization_id),
        version=record.version,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )
