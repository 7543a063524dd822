"""Voluntary repatriation: households, the step machine, who verified voluntariness."""

from __future__ import annotations

import uuid

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from casework.attachments.models import Attachment
from casework.auth import service as auth_service
from casework.auth.principal import Principal
from casework.core.concurrency import check_if_match
from casework.core.db import utcnow
from casework.core.errors import Conflict, InvalidInput, NotFound
from casework.core.idempotency import insert_created, replay_or_conflict
from casework.core.pagination import keyset_page
from casework.core.workflow import flush_move, next_position, require_note
from casework.persons import service as person_service
from casework.reference.vocabularies import AttachmentKind, RepatriationStatus, Role
from casework.repatriation import permissions
from casework.repatriation.models import RepatriationEvent, RepatriationFile, RepatriationMember
from casework.repatriation.schemas import (
    RepatriationCreate,
    RepatriationEventRead,
    RepatriationQuery,
    RepatriationRead,
    RepatriationTransition,
    RepatriationUpdate,
)
from casework.repatriation.workflow import REPATRIATION_WORKFLOW

R = RepatriationStatus


def register_file(
    session: Session, principal: Principal, data: RepatriationCreate
) -> tuple[RepatriationFile, bool]:
    people = [("principal_person_id", data.principal_person_id)] + [
        (f"member_person_ids.{i}", pid) for i, pid in enumerate(data.member_person_ids)
    ]
    errors = []
    principal_person = None
    for loc, person_id in people:
        try:
            person = person_service.get_current(session, principal, person_id)
            principal_person = principal_person or person
        except NotFound:
            errors.append(
                {"loc": ["body", *loc.split(".")], "msg": "no such person", "type": "ref"}
            )
    if errors or principal_person is None:
        raise InvalidInput("Unknown persons in the household.", errors=errors)
    # The file belongs to the principal person's organisation (whoever registers it), and
    # a household is one organisation's: members of another would show through the file.
    organization_id = principal_person.organization_id
    strangers = [
        {
            "loc": ["body", "member_person_ids", i],
            "msg": "another organisation's person",
            "type": "ref",
        }
        for i, pid in enumerate(data.member_person_ids)
        if person_service.get_readable(session, principal, pid).organization_id != organization_id
    ]
    if strangers:
        raise InvalidInput(
            "Every member must belong to the principal person's organisation.", errors=strangers
        )
    fingerprint, replayed = replay_or_conflict(
        session, RepatriationFile, data, organization_id, "repatriation_files"
    )
    if replayed is not None:
        return replayed, False
    record = RepatriationFile(
        id=data.id or uuid.uuid4(),
        principal_person_id=data.principal_person_id,
        household_size=data.household_size,
        country_of_asylum=data.country_of_asylum,
        country_of_origin=data.country_of_origin,
        destination=data.destination,
        destination_pcode=data.destination_pcode,
        status=R.registered.value,
        region=principal_person.region,
        organization_id=organization_id,
        created_by_id=principal.user_id,
        create_fingerprint=fingerprint,
        member_rows=[RepatriationMember(person_id=pid) for pid in data.member_person_ids],
    )
    # The file row first: its first event refers to it.
    record, created = insert_created(
        session,
        record,
        organization_id=organization_id,
        what="repatriation file",
        may_collide=data.id is not None,
    )
    if not created:
        return record, False
    session.add(
        RepatriationEvent(
            file_id=record.id,
            seq=1,
            from_status=None,
            to_status=record.status,
            by_id=principal.user_id,
            at=utcnow(),
        )
    )
    session.flush()
    return record, True


def get_readable(session: Session, principal: Principal, file_id: uuid.UUID) -> RepatriationFile:
    record = session.scalar(
        select(RepatriationFile).where(
            RepatriationFile.id == file_id, permissions.readable(principal)
        )
    )
    if record is None:
        raise NotFound("No such repatriation file.")
    return record


def list_readable(
    session: Session, principal: Principal, query: RepatriationQuery
) -> tuple[list[RepatriationFile], str | None]:
    stmt = select(RepatriationFile).where(permissions.readable(principal))
    if query.status:
        stmt = stmt.where(RepatriationFile.status.in_([s.value for s in query.status]))
    if query.destination:
        stmt = stmt.where(func.lower(RepatriationFile.destination) == query.destination.lower())
    if query.country_of_origin:
        stmt = stmt.where(RepatriationFile.country_of_origin == query.country_of_origin)
    if query.country_of_asylum:
        stmt = stmt.where(RepatriationFile.country_of_asylum == query.country_of_asylum)
    if query.person_id:
        stmt = stmt.where(
            or_(
                RepatriationFile.principal_person_id == query.person_id,
                RepatriationFile.id.in_(
                    select(RepatriationMember.file_id).where(
                        RepatriationMember.person_id == query.person_id
                    )
                ),
            )
        )
    return keyset_page(
        session,
        stmt,
        created_at=RepatriationFile.created_at,
        record_id=RepatriationFile.id,
        limit=query.limit,
        cursor=query.cursor,
    )


def update_file(
    session: Session, record: RepatriationFile, changes: RepatriationUpdate, *, if_match: str | None
) -> RepatriationFile:
    check_if_match(if_match, record.version)
    fields = changes.model_dump(exclude_unset=True)
    size = fields.get("household_size", record.household_size)
    if size < 1 + len(record.member_rows):
        raise InvalidInput(
            "household_size counts the principal and every member.",
            errors=[{"loc": ["body", "household_size"], "msg": "too small", "type": "value_error"}],
        )
    for name, value in fields.items():
        setattr(record, name, value)
    session.flush()
    return record


def narrowed(record: RepatriationFile) -> set[str] | None:
    """A suspended file resumes only at the step it left (or is withdrawn)."""
    if record.status == R.suspended.value and record.suspended_from:
        return {record.suspended_from, R.withdrawn.value}
    return None


def next_moves(record: RepatriationFile, role: Role) -> list[str]:
    """The moves this role may make on this file now, in the table's order."""
    only = narrowed(record)
    return [
        status
        for status in REPATRIATION_WORKFLOW.next_statuses(record.status, role)
        if only is None or status in only
    ]


def transition(
    session: Session,
    principal: Principal,
    record: RepatriationFile,
    move: RepatriationTransition,
    *,
    if_match: str | None,
) -> RepatriationFile:
    check_if_match(if_match, record.version)
    source, target = record.status, move.to.value
    rule = REPATRIATION_WORKFLOW.check(source, target, principal.role, only=narrowed(record))
    require_note(rule, move.note)
    if target == R.documents_ready.value:
        _require_signed_form(session, record)
    position = next_position(session, RepatriationEvent.seq, RepatriationEvent.file_id == record.id)
    now = utcnow()
    if target == R.suspended.value:
        record.suspended_from = source
    elif source == R.suspended.value:
        record.suspended_from = None
    if target == R.voluntariness_verified.value:
        record.voluntariness_verified_by_id, record.voluntariness_verified_at = (
            principal.user_id,
            now,
        )
    record.status = target
    session.add(
        RepatriationEvent(
            file_id=record.id,
            seq=position,
            from_status=source,
            to_status=target,
            by_id=principal.user_id,
            at=now,
            note=move.note,
        )
    )
    flush_move(session, "repatriation file")
    return record


def _require_signed_form(session: Session, record: RepatriationFile) -> None:
    """A file is not documents_ready without its signed voluntary repatriation form."""
    forms = session.scalar(
        select(func.count())
        .select_from(Attachment)
        .where(
            Attachment.repatriation_file_id == record.id,
            Attachment.kind == AttachmentKind.repatriation_form.value,
        )
    )
    if not forms:
        raise Conflict(
            "documents_ready needs the signed voluntary repatriation form: upload it to "
            "POST /api/v1/attachments with kind=repatriation_form and this "
            "repatriation_file_id first.",
            missing="repatriation_form",
        )


def history(session: Session, record: RepatriationFile) -> list[RepatriationEventRead]:
    events = list(
        session.scalars(
            select(RepatriationEvent)
            .where(RepatriationEvent.file_id == record.id)
            .order_by(RepatriationEvent.seq)
        )
    )
    names = auth_service.usernames(session, (e.by_id for e in events))
    return [
        RepatriationEventRead(
            from_=e.from_status,
            to=e.to_status,
            by=e.by_id,
            by_username=names.get(e.by_id),
            at=e.at,
            note=e.note,
        )
        for e in events
    ]


def to_read(session: Session, record: RepatriationFile) -> RepatriationRead:
    return RepatriationRead(
        id=record.id,
        principal_person_id=record.principal_person_id,
        member_person_ids=record.member_person_ids,
        household_size=record.household_size,
        country_of_asylum=record.country_of_asylum,
        country_of_origin=record.country_of_origin,
        destination=record.destination,
        destination_pcode=record.destination_pcode,
        status=record.status,
        suspended_from=record.suspended_from,
        voluntariness_verified_by=record.voluntariness_verified_by_id,
        voluntariness_verified_at=record.voluntariness_verified_at,
        region=record.region,
        organization=auth_service.organization_code(session, record.organization_id),
        version=record.version,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )
