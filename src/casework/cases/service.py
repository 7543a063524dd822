"""Persons and SGBV cases as cases: owners, assignment, the lifecycle and one history.

Both kinds share these rules; ``CaseKind`` holds what differs (the status table,
who may own, the history table). Every change appends to the case's history at
the next position (unique per case), so two racing writers never both succeed:
the loser's flush fails on the case's version or on the position (412).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from casework.auth import service as auth_service
from casework.auth.models import User
from casework.auth.principal import Principal
from casework.cases.schemas import (
    AssignRequest,
    CaseEventRead,
    PersonTransition,
    SgbvCaseTransition,
)
from casework.cases.workflow import PERSON_WORKFLOW, SGBV_WORKFLOW
from casework.core.concurrency import check_if_match
from casework.core.db import utcnow
from casework.core.errors import Conflict, Forbidden, InvalidInput
from casework.core.workflow import Workflow, flush_move, next_position, require_note
from casework.persons.models import Person, PersonEvent
from casework.reference.vocabularies import CaseEventKind, Role, TransferStatus
from casework.sgbv.models import SgbvCase, SgbvCaseEvent
from casework.transfers.models import Transfer

Case = Person | SgbvCase
CaseEvent = PersonEvent | SgbvCaseEvent
CLOSED = "closed"


@dataclass(frozen=True)
class CaseKind:
    name: str
    workflow: Workflow
    owner_roles: frozenset[Role]
    event_model: type[PersonEvent] | type[SgbvCaseEvent]
    event_key: str

    def events_of(self, case: Case) -> ColumnElement[bool]:
        column = getattr(self.event_model, self.event_key)
        return column == case.id  # type: ignore[no-any-return]


PERSON = CaseKind(
    name="person",
    workflow=PERSON_WORKFLOW,
    owner_roles=frozenset({Role.caseworker, Role.gbv_caseworker}),
    event_model=PersonEvent,
    event_key="person_id",
)
SGBV = CaseKind(
    name="SGBV case",
    workflow=SGBV_WORKFLOW,
    owner_roles=frozenset({Role.gbv_caseworker}),
    event_model=SgbvCaseEvent,
    event_key="sgbv_case_id",
)


def kind_of(case: Case) -> CaseKind:
    return PERSON if isinstance(case, Person) else SGBV


def new_event(
    case: Case,
    *,
    seq: int,
    event: CaseEventKind,
    from_status: str | None,
    by: uuid.UUID,
    note: str | None = None,
    transfer_id: uuid.UUID | None = None,
) -> CaseEvent:
    """A history row describing the case as it is now (owner, organisation, status)."""
    kind = kind_of(case)
    values: dict[str, Any] = {
        kind.event_key: case.id,
        "seq": seq,
        "event": event.value,
        "from_status": from_status,
        "to_status": case.status,
        "owner_id": case.owner_id,
        "organization_id": case.organization_id,
        "transfer_id": transfer_id,
        "by_id": by,
        "at": utcnow(),
        "note": note,
    }
    return kind.event_model(**values)


def creation_event(case: Case, by: uuid.UUID) -> CaseEvent:
    return new_event(case, seq=1, event=CaseEventKind.created, from_status=None, by=by)


def next_seq(session: Session, case: Case) -> int:
    """The case's next history position. Read it before changing the case: it autoflushes."""
    kind = kind_of(case)
    return next_position(session, kind.event_model.seq, kind.events_of(case))


def require_current(case: Case) -> None:
    """A person merged into another is read-only for good: work goes to the kept one (409)."""
    merged_into = getattr(case, "merged_into_id", None)
    if merged_into is not None:
        raise Conflict(
            "This person was merged into another and is read-only: use that person.",
            merged_into=str(merged_into),
        )


def require_open(case: Case, doing: str) -> None:
    """A closed case is read-only until reopened (409); a merged person for good."""
    require_current(case)
    if case.status == CLOSED:
        raise Conflict(
            f"This {kind_of(case).name} is closed and read-only: reopen it before {doing}.",
            current=case.status,
        )


def manages(principal: Principal, case: Case) -> bool:
    """The owner, or a supervisor (scope is checked by the lookup, 404 outside it).

    A case without an owner (registered before owners existed, by someone who left)
    may be handled by any caseworker of its organisation allowed to own it.
    """
    if principal.role is Role.supervisor:
        return True
    if case.owner_id is None:
        return (
            principal.role in kind_of(case).owner_roles
            and principal.organization_id == case.organization_id
        )
    return case.owner_id == principal.user_id


def owner_condition(
    column: Any, principal: Principal, owner: str | None
) -> ColumnElement[bool] | None:
    """``?owner=me``, ``?owner=none`` (unassigned) or ``?owner=<user id>``."""
    if owner is None:
        return None
    if owner == "me":
        return column == principal.user_id  # type: ignore[no-any-return]
    if owner == "none":
        return column.is_(None)  # type: ignore[no-any-return]
    return column == uuid.UUID(owner)  # type: ignore[no-any-return]


def assign(
    session: Session,
    principal: Principal,
    case: Case,
    request: AssignRequest,
    *,
    if_match: str | None,
) -> Case:
    check_if_match(if_match, case.version)
    require_current(case)
    kind = kind_of(case)
    if not may_assign(principal, case):
        raise Forbidden(f"Only the owner of this {kind.name} or a supervisor may assign it.")
    new_owner = _user_by_reference(session, request.owner)
    if new_owner is None or not may_own(new_owner, case):
        roles = " or ".join(sorted(kind.owner_roles))
        raise InvalidInput(
            f"The new owner must be an active {roles} of the case's organisation.",
            errors=[{"loc": ["body", "owner"], "msg": "not an eligible owner", "type": "ref"}],
        )
    if new_owner.id == case.owner_id:
        raise Conflict(f"{new_owner.username} already owns this {kind.name}.")
    position = next_seq(session, case)
    case.owner_id = new_owner.id
    session.add(
        new_event(
            case,
            seq=position,
            event=CaseEventKind.assigned,
            from_status=case.status,
            by=principal.user_id,
            note=request.note,
        )
    )
    flush_move(session, kind.name)
    return case


def may_own(user: User, case: Case) -> bool:
    """An active caseworker of the kind the case needs, in the case's organisation."""
    return (
        user.is_active
        and user.role in {r.value for r in kind_of(case).owner_roles}
        and user.organization_id == case.organization_id
    )


def eligible_owners(session: Session, case: Case) -> list[User]:
    """Who ``assign`` would accept as the new owner (the web form offers them by name)."""
    candidates = session.scalars(
        select(User)
        .where(
            User.organization_id == case.organization_id,
            User.is_active.is_(True),
            User.role.in_([r.value for r in kind_of(case).owner_roles]),
        )
        .order_by(User.username)
    )
    return [user for user in candidates if may_own(user, case)]


def may_assign(principal: Principal, case: Case) -> bool:
    """The owner or a supervisor (``assign`` refuses anyone else with 403)."""
    return principal.role is Role.supervisor or case.owner_id == principal.user_id


def _user_by_reference(session: Session, reference: str) -> User | None:
    """A user id, or a username (a caseworker knows colleagues by name, not by id)."""
    try:
        return session.get(User, uuid.UUID(reference))
    except ValueError:
        return session.scalar(select(User).where(User.username == reference.lower()))


def transition(
    session: Session,
    principal: Principal,
    case: Case,
    move: PersonTransition | SgbvCaseTransition,
    *,
    if_match: str | None,
) -> Case:
    check_if_match(if_match, case.version)
    require_current(case)
    kind = kind_of(case)
    source, target = case.status, move.to.value
    rule = kind.workflow.check(source, target, principal.role)
    require_note(rule, move.note)
    if not manages(principal, case):
        raise Forbidden(f"Only the owner of this {kind.name} or a supervisor may move it.")
    if target != "open" and pending_transfer(session, case) is not None:
        raise Conflict(
            f"This {kind.name} has a pending transfer: it is decided or cancelled first."
        )
    position = next_seq(session, case)
    case.status = target
    session.add(
        new_event(
            case,
            seq=position,
            event=CaseEventKind.status,
            from_status=source,
            by=principal.user_id,
            note=move.note,
        )
    )
    flush_move(session, kind.name)
    return case


def pending_transfer(session: Session, case: Case) -> Transfer | None:
    subject = (
        Transfer.person_id == case.id
        if isinstance(case, Person)
        else Transfer.sgbv_case_id == case.id
    )
    return session.scalar(
        select(Transfer).where(subject, Transfer.status == TransferStatus.pending.value)
    )


def usernames(session: Session, user_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(user_ids)))
    return {row.id: row.username for row in rows}


def owner_username(session: Session, case: Case) -> str | None:
    if case.owner_id is None:
        return None
    owner = session.get(User, case.owner_id)
    return owner.username if owner else None


def history(session: Session, principal: Principal, case: Case) -> list[CaseEventRead]:
    """Oldest first. Notes written while another organisation held the case stay with it
    (need-to-know), except for supervisors, who oversee both."""
    kind = kind_of(case)
    events: list[CaseEvent] = list(
        session.scalars(
            select(kind.event_model).where(kind.events_of(case)).order_by(kind.event_model.seq)
        )
    )
    names = usernames(
        session, {e.by_id for e in events} | {e.owner_id for e in events if e.owner_id}
    )
    sees_all_notes = principal.role is Role.supervisor
    return [
        CaseEventRead(
            event=CaseEventKind(e.event),
            from_=e.from_status,
            to=e.to_status,
            by=e.by_id,
            by_username=names.get(e.by_id, ""),
            at=e.at,
            note=e.note
            if sees_all_notes or e.organization_id == principal.organization_id
            else None,
            owner=e.owner_id,
            owner_username=names.get(e.owner_id) if e.owner_id else None,
            organization=auth_service.organization_code(session, e.organization_id),
            transfer_id=e.transfer_id,
        )
        for e in events
    ]
