"""Transfers between organisations: the request, the receiver's decision, the handover.

On acceptance the case (a person or an SGBV case) moves to the receiving
organisation and to the user who accepted it. Nothing else moves: the records
the sender made (counselling sessions, referrals, repatriation files) stay the
sender's, and the sender, no longer holding the case, stops seeing it (404).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.auth import service as auth_service
from casework.auth.models import User
from casework.auth.principal import Principal
from casework.cases import service as case_service
from casework.consent.models import Consent
from casework.core.concurrency import check_if_match
from casework.core.db import upsert_insert, utcnow
from casework.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from casework.core.idempotency import insert_created, replay_or_conflict
from casework.core.pagination import keyset_page
from casework.core.workflow import flush_move, next_position, require_note
from casework.notifications import service as notifications
from casework.notifications.models import UserNotification
from casework.persons import service as person_service
from casework.persons.models import Person
from casework.reference.vocabularies import CaseEventKind, ConsentPurpose, Role, TransferStatus
from casework.sgbv import service as sgbv_service
from casework.sgbv.models import SgbvCase
from casework.transfers import permissions
from casework.transfers.models import Transfer, TransferEvent
from casework.transfers.schemas import (
    Direction,
    TransferCreate,
    TransferEventRead,
    TransferQuery,
    TransferRead,
    TransferTransition,
)
from casework.transfers.workflow import TRANSFER_WORKFLOW

T = TransferStatus
CASE_EVENT = {
    T.accepted.value: CaseEventKind.transferred,
    T.rejected.value: CaseEventKind.transfer_rejected,
    T.cancelled.value: CaseEventKind.transfer_cancelled,
}


def _subject(session: Session, principal: Principal, data: TransferCreate) -> case_service.Case:
    """The case to transfer; one the caller cannot see 'does not exist' (422, as for referrals)."""
    try:
        if data.person_id is not None:
            return person_service.get_readable(session, principal, data.person_id)
        assert data.sgbv_case_id is not None
        return sgbv_service.get_readable(session, principal, data.sgbv_case_id)
    except NotFound as exc:
        field = "person_id" if data.person_id is not None else "sgbv_case_id"
        raise InvalidInput(
            exc.detail, errors=[{"loc": ["body", field], "msg": exc.detail, "type": "ref"}]
        ) from None


def data_sharing_in_force(session: Session, case: case_service.Case) -> bool:
    subject = (
        Consent.person_id == case.id
        if isinstance(case, Person)
        else Consent.sgbv_case_id == case.id
    )
    return (
        session.scalar(
            select(Consent.id)
            .where(
                subject,
                Consent.purpose == ConsentPurpose.data_sharing.value,
                Consent.withdrawn_at.is_(None),
                Consent.given_at <= utcnow(),
            )
            .limit(1)
        )
        is not None
    )


def request_transfer(
    session: Session, principal: Principal, data: TransferCreate
) -> tuple[Transfer, bool]:
    case = _subject(session, principal, data)
    # Requests for one case take turns: its row is locked before the checks read anything,
    # so a second request waits, then sees the first one's pending transfer (409). Without
    # the lock, a request that read "no pending transfer" just before the first committed
    # took the next history position and made a second pending transfer.
    model = type(case)
    session.execute(select(model.id).where(model.id == case.id).with_for_update())
    session.refresh(case)
    case_service.require_current(case)
    kind = case_service.kind_of(case)
    if not permissions.may_request(principal, case.owner_id):
        raise Forbidden(f"Only the owner of this {kind.name} or a supervisor may transfer it.")
    if data.consent_override_reason is not None and principal.role is not Role.supervisor:
        raise Forbidden("Only supervisors may transfer without a data_sharing consent.")
    receiver = auth_service.get_organization_by_code(session, data.to_organization)
    if receiver is None or receiver.id == case.organization_id:
        problem = "no such organisation" if receiver is None else "the case is already theirs"
        raise InvalidInput(
            f"Cannot transfer to {data.to_organization}: {problem}.",
            errors=[{"loc": ["body", "to_organization"], "msg": problem, "type": "ref"}],
        )
    fingerprint, replayed = replay_or_conflict(
        session, Transfer, data, case.organization_id, "transfers"
    )
    if replayed is not None:
        return replayed, False
    if case.status != "open":
        raise Conflict(f"Only an open {kind.name} can be transferred.", current=case.status)
    if case_service.pending_transfer(session, case) is not None:
        raise Conflict(f"This {kind.name} already has a pending transfer.")
    if data.consent_override_reason is None and not data_sharing_in_force(session, case):
        raise Conflict(
            "No data_sharing consent in force for this case. Record the consent first, or ask "
            "a supervisor to transfer with a consent_override_reason.",
            missing="consent",
        )
    position = case_service.next_seq(session, case)
    transfer = Transfer(
        id=data.id or uuid.uuid4(),
        kind=data.kind.value,
        person_id=data.person_id,
        sgbv_case_id=data.sgbv_case_id,
        status=T.pending.value,
        from_organization_id=case.organization_id,
        to_organization_id=receiver.id,
        region=case.region,
        note=data.note,
        requested_by_id=principal.user_id,
        organization_id=case.organization_id,
        create_fingerprint=fingerprint,
    )
    first = TransferEvent(
        transfer_id=transfer.id,
        seq=1,
        from_status=None,
        to_status=T.pending.value,
        by_id=principal.user_id,
        at=utcnow(),
        note=data.note,
        consent_override_reason=data.consent_override_reason,
    )
    on_case = case_service.new_event(
        case,
        seq=position,
        event=CaseEventKind.transfer_requested,
        from_status=case.status,
        by=principal.user_id,
        note=data.note,
        transfer_id=transfer.id,
    )
    # The transfer row first: its events refer to it (no ORM relationship orders them).
    transfer, created = insert_created(
        session, transfer, organization_id=case.organization_id, what="transfer"
    )
    if created:
        session.add_all([first, on_case])
        # Two requests racing for one case meet on the case's next history position.
        flush_move(session, kind.name)
        on_received(session, transfer)
    return transfer, created


def on_received(session: Session, transfer: Transfer) -> None:
    """Tell the receiving organisation: an inbox entry (``GET /notifications``,
    event ``transfer.received``) for each of its users who may decide.

    This is the hook for other channels (e-mail): it runs in the transaction
    that made the request, so a rolled-back request tells nobody.
    """
    roles = [Role.gbv_caseworker.value, Role.supervisor.value]
    if transfer.kind == "person":
        roles.append(Role.caseworker.value)
    recipients = session.scalars(
        select(User.id).where(
            User.organization_id == transfer.to_organization_id,
            User.role.in_(roles),
            User.is_active.is_(True),
        )
    ).all()
    for user_id in recipients:
        session.execute(
            upsert_insert(session, UserNotification)
            .values(
                id=uuid.uuid4(),
                user_id=user_id,
                dedupe_key=f"transfer:{transfer.id}:received",
                event_type="transfer.received",
                referral_id=None,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing()
        )
    notifications.on_transfer_received(session, transfer.id, recipients)  # and by e-mail


def get_readable(session: Session, principal: Principal, transfer_id: uuid.UUID) -> Transfer:
    transfer = session.scalar(
        select(Transfer).where(Transfer.id == transfer_id, permissions.readable(principal))
    )
    if transfer is None:
        raise NotFound("No such transfer.")
    return transfer


def list_readable(
    session: Session, principal: Principal, query: TransferQuery
) -> tuple[list[Transfer], str | None]:
    stmt = select(Transfer).where(permissions.readable(principal))
    if query.direction is Direction.incoming:
        stmt = stmt.where(Transfer.to_organization_id == principal.organization_id)
    elif query.direction is Direction.outgoing:
        stmt = stmt.where(Transfer.from_organization_id == principal.organization_id)
    if query.status:
        stmt = stmt.where(Transfer.status.in_([s.value for s in query.status]))
    if query.kind:
        stmt = stmt.where(Transfer.kind == query.kind.value)
    if query.person_id:
        stmt = stmt.where(Transfer.person_id == query.person_id)
    if query.sgbv_case_id:
        stmt = stmt.where(Transfer.sgbv_case_id == query.sgbv_case_id)
    return keyset_page(
        session,
        stmt,
        created_at=Transfer.created_at,
        record_id=Transfer.id,
        limit=query.limit,
        cursor=query.cursor,
    )


def case_of(session: Session, transfer: Transfer) -> case_service.Case:
    case: case_service.Case | None = (
        session.get(Person, transfer.person_id)
        if transfer.person_id is not None
        else session.get(SgbvCase, transfer.sgbv_case_id)
    )
    assert case is not None  # RESTRICT foreign keys keep it
    return case


def transition(
    session: Session,
    principal: Principal,
    transfer: Transfer,
    move: TransferTransition,
    *,
    if_match: str | None,
) -> Transfer:
    # Decisions on one transfer take turns: its row is locked before anything else is read,
    # so a concurrent decision waits, then sees the new version (412) or the final status
    # (409). Without the lock both wrote the case and its history and could meet in a
    # deadlock on PostgreSQL (the history's foreign key locks the case row).
    session.execute(select(Transfer.id).where(Transfer.id == transfer.id).with_for_update())
    session.refresh(transfer)
    check_if_match(if_match, transfer.version)
    source, target = transfer.status, move.to.value
    rule = TRANSFER_WORKFLOW.check(source, target, principal.role)
    require_note(rule, move.note)
    case = case_of(session, transfer)
    if target == T.cancelled.value:
        if not permissions.may_cancel(principal, transfer, case.owner_id):
            raise Forbidden("Only the sending side may cancel a transfer.")
    elif not permissions.may_decide(principal, transfer):
        raise Forbidden("Only the receiving organisation may accept or reject a transfer.")
    if target == T.accepted.value:
        _check_handover(session, transfer, case)
    # Positions first: the queries autoflush, so nothing may have changed yet.
    transfer_position = next_position(
        session, TransferEvent.seq, TransferEvent.transfer_id == transfer.id
    )
    case_position = case_service.next_seq(session, case)
    now = utcnow()
    transfer.status = target
    transfer.decided_by_id, transfer.decided_at = principal.user_id, now
    if target == T.accepted.value:
        case.organization_id = transfer.to_organization_id
        case.owner_id = principal.user_id
    session.add_all(
        [
            TransferEvent(
                transfer_id=transfer.id,
                seq=transfer_position,
                from_status=source,
                to_status=target,
                by_id=principal.user_id,
                at=now,
                note=move.note,
            ),
            case_service.new_event(
                case,
                seq=case_position,
                event=CASE_EVENT[target],
                from_status=case.status,
                by=principal.user_id,
                note=move.note,
                transfer_id=transfer.id,
            ),
        ]
    )
    flush_move(session, "transfer")
    return transfer


def _check_handover(session: Session, transfer: Transfer, case: case_service.Case) -> None:
    """The case is still the sender's and open, and lands on no duplicate at the receiver."""
    if case.organization_id != transfer.from_organization_id or case.status != "open":
        raise Conflict("The case changed since the transfer was requested; cancel it.")
    if isinstance(case, Person):
        clash = case.registration_number_index is not None and session.scalar(
            select(Person.id).where(
                Person.organization_id == transfer.to_organization_id,
                Person.registration_number_index == case.registration_number_index,
            )
        )
        what = "a person with this registration number"
    else:
        clash = session.scalar(
            select(SgbvCase.id).where(
                SgbvCase.organization_id == transfer.to_organization_id,
                SgbvCase.survivor_code == case.survivor_code,
            )
        )
        what = "a case with this survivor code"
    if clash:
        raise Conflict(f"Your organisation already holds {what}; reject the transfer instead.")


def history(session: Session, transfer: Transfer) -> list[TransferEventRead]:
    events = list(
        session.scalars(
            select(TransferEvent)
            .where(TransferEvent.transfer_id == transfer.id)
            .order_by(TransferEvent.seq)
        )
    )
    names = case_service.usernames(session, {e.by_id for e in events})
    return [
        TransferEventRead(
            from_=e.from_status,
            to=e.to_status,
            by=e.by_id,
            by_username=names.get(e.by_id, ""),
            at=e.at,
            note=e.note,
            consent_override_reason=e.consent_override_reason,
        )
        for e in events
    ]


def to_read(session: Session, transfer: Transfer) -> TransferRead:
    people = {transfer.requested_by_id}
    if transfer.decided_by_id is not None:
        people.add(transfer.decided_by_id)
    names = case_service.usernames(session, people)
    return TransferRead(
        id=transfer.id,
        kind=transfer.kind,
        person_id=transfer.person_id,
        sgbv_case_id=transfer.sgbv_case_id,
        status=transfer.status,
        from_organization=auth_service.organization_code(session, transfer.from_organization_id),
        to_organization=auth_service.organization_code(session, transfer.to_organization_id),
        region=transfer.region,
        note=transfer.note,
        requested_by=transfer.requested_by_id,
        requested_by_username=names.get(transfer.requested_by_id, ""),
        decided_by=transfer.decided_by_id,
        decided_by_username=names.get(transfer.decided_by_id) if transfer.decided_by_id else None,
        decided_at=transfer.decided_at,
        version=transfer.version,
        created_at=transfer.created_at,
        updated_at=transfer.updated_at,
    )
