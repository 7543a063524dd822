"""A supervisor merges a duplicate person into the person kept.

Every record about the duplicate moves to the kept person: referrals, counselling
sessions, consents, SGBV cases linked to it, repatriation files (as principal or
member), attachments, tasks and past transfers. Each moved record's version goes up
(its ETag changes: a client holding the old one gets 412). Both persons gain a history
entry; the duplicate keeps answering reads with ``merged_into`` and is read-only from
then on (cases/service.require_current); its name tokens are dropped so that it is
nobody's candidate again.

Both persons must be readable by the supervisor (persons' one scope rule, 404 otherwise)
and belong to one organisation: moving records across organisations would share them
without the ``data_sharing`` consent a transfer asks for (409: transfer first).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, delete, exists, or_, select, update
from sqlalchemy.orm import Session

from casework.attachments.models import Attachment
from casework.audit import service as audit_service
from casework.auth.principal import Principal
from casework.cases import service as case_service
from casework.consent.models import Consent
from casework.core.concurrency import check_if_match
from casework.core.db import utcnow
from casework.core.errors import Conflict, NotFound
from casework.core.workflow import flush_move
from casework.counselling.models import CounsellingSession
from casework.persons import service as person_service
from casework.persons.models import Person, PersonNameToken
from casework.persons.schemas import MergeRequest
from casework.reference.vocabularies import CaseEventKind
from casework.referrals.models import Referral
from casework.repatriation.models import RepatriationFile, RepatriationMember
from casework.sgbv.models import SgbvCase
from casework.tasks.models import Task
from casework.transfers.models import Transfer

# (name in the audit entry, model, its column naming the person)
MOVED: list[tuple[str, Any, Any]] = [
    ("referrals", Referral, Referral.person_id),
    ("counselling_sessions", CounsellingSession, CounsellingSession.person_id),
    ("consents", Consent, Consent.person_id),
    ("sgbv_cases", SgbvCase, SgbvCase.person_id),
    ("repatriation_files", RepatriationFile, RepatriationFile.principal_person_id),
    ("attachments", Attachment, Attachment.person_id),
    ("tasks", Task, Task.person_id),
    ("transfers", Transfer, Transfer.person_id),
]


def merge(
    session: Session,
    principal: Principal,
    kept: Person,
    request: MergeRequest,
    *,
    if_match: str | None,
) -> tuple[Person, dict[str, int] | None]:
    """Merge ``request.duplicate_id`` into ``kept``; returns (kept, moved counts).

    Merging again what is already merged into ``kept`` changes nothing and returns
    (kept, None): a retry after a lost answer is not an error. A merge is audited here
    (on both persons), so the API and the web page record it alike.
    """
    if request.duplicate_id == kept.id:
        raise Conflict("A person cannot be merged into itself.")
    try:
        duplicate = person_service.get_readable(session, principal, request.duplicate_id)
    except NotFound:
        raise NotFound("No such person to merge (duplicate_id).") from None
    if duplicate.merged_into_id == kept.id:
        return kept, None
    check_if_match(if_match, kept.version)
    if kept.merged_into_id is not None:
        raise Conflict(
            "This person was itself merged into another: merge into that one.",
            merged_into=str(kept.merged_into_id),
        )
    if duplicate.merged_into_id is not None:
        raise Conflict(
            "The duplicate was already merged into another person.",
            merged_into=str(duplicate.merged_into_id),
        )
    if duplicate.organization_id != kept.organization_id:
        raise Conflict(
            "The two persons belong to different organisations: transfer one first "
            "(a transfer needs a data_sharing consent), then merge."
        )
    case_service.require_open(kept, "merging a duplicate into it")
    for person in (kept, duplicate):
        if case_service.pending_transfer(session, person) is not None:
            raise Conflict("A pending transfer is decided or cancelled before merging.")
    kept_seq = case_service.next_seq(session, kept)
    duplicate_seq = case_service.next_seq(session, duplicate)
    moved = _move_records(session, kept, duplicate)
    # The Core UPDATEs bypassed the identity map: reload what it holds of those records.
    session.expire_all()
    now = utcnow()
    duplicate.merged_into_id = kept.id
    duplicate.updated_at = now
    kept.updated_at = now  # a new version: the kept person's records changed
    session.add_all(
        [
            case_service.new_event(
                duplicate,
                seq=duplicate_seq,
                event=CaseEventKind.merged_into,
                from_status=duplicate.status,
                by=principal.user_id,
                note=request.note,
            ),
            case_service.new_event(
                kept,
                seq=kept_seq,
                event=CaseEventKind.merged_from,
                from_status=kept.status,
                by=principal.user_id,
                note=request.note,
            ),
        ]
    )
    session.execute(delete(PersonNameToken).where(PersonNameToken.person_id == duplicate.id))
    flush_move(session, "person")
    detail = {"merged": str(duplicate.id), "moved": moved}
    audit_service.record(session, "merge", "persons", kept.id, detail=detail)
    audit_service.record(
        session, "merged_into", "persons", duplicate.id, detail={"into": str(kept.id)}
    )
    return kept, moved


def _move_records(session: Session, kept: Person, duplicate: Person) -> dict[str, int]:
    moved = {"repatriation_memberships": _move_memberships(session, kept, duplicate)}
    now = utcnow()
    for name, model, column in MOVED:
        values: dict[str, Any] = {column.key: kept.id}
        if "version" in model.__table__.columns:
            values["version"] = model.version + 1
        if "updated_at" in model.__table__.columns:
            values["updated_at"] = now
        result = session.execute(
            update(model)
            .where(column == duplicate.id)
            .values(values)
            .execution_options(synchronize_session=False)
        )
        moved[name] = int(result.rowcount)  # type: ignore[attr-defined]
    # The kept person may now be the principal of a file it was a member of.
    session.execute(
        delete(RepatriationMember)
        .where(
            RepatriationMember.person_id == kept.id,
            RepatriationMember.file_id.in_(
                select(RepatriationFile.id).where(RepatriationFile.principal_person_id == kept.id)
            ),
        )
        .execution_options(synchronize_session=False)
    )
    return moved


def _move_memberships(session: Session, kept: Person, duplicate: Person) -> int:
    """The duplicate's household memberships become the kept person's (once per file)."""
    file_ids = list(
        session.scalars(
            select(RepatriationMember.file_id).where(RepatriationMember.person_id == duplicate.id)
        )
    )
    for file_id in file_ids:
        kept_there = session.scalar(
            select(
                or_(
                    exists().where(
                        RepatriationMember.file_id == file_id,
                        RepatriationMember.person_id == kept.id,
                    ),
                    exists().where(
                        RepatriationFile.id == file_id,
                        RepatriationFile.principal_person_id == kept.id,
                    ),
                )
            )
        )
        row = and_(
            RepatriationMember.file_id == file_id, RepatriationMember.person_id == duplicate.id
        )
        statement = (
            delete(RepatriationMember).where(row)
            if kept_there
            else update(RepatriationMember).where(row).values(person_id=kept.id)
        )
        session.execute(statement.execution_options(synchronize_session=False))
    return len(file_ids)
