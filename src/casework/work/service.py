"""The work list: what waits for the caller, in a few queries whatever the caseload.

Each section is one indexed query bounded by ``limit``, filtered by the
domain's own ``readable`` condition (never a second copy of a scope rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Select,
    String,
    and_,
    bindparam,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from casework.auth.models import Organization
from casework.auth.principal import Principal
from casework.core.db import UTCDateTime, utcnow
from casework.persons import permissions as person_permissions
from casework.persons.models import Person
from casework.reference.vocabularies import (
    ReferralStatus,
    Role,
    TaskStatus,
    TransferStatus,
)
from casework.referrals import permissions as referral_permissions
from casework.referrals.models import Referral, referral_overdue
from casework.sgbv import permissions as sgbv_permissions
from casework.sgbv.models import SgbvCase
from casework.tasks import permissions as task_permissions
from casework.tasks.models import Task, task_overdue
from casework.transfers import permissions as transfer_permissions
from casework.transfers.models import Transfer
from casework.work.schemas import WorkList

CLOSED = "closed"
# A declined referral stays on its maker's list this long (then it is history).
DECLINED_WINDOW = timedelta(days=30)
FINAL_REFERRAL_STATUSES = (
    ReferralStatus.completed.value,
    ReferralStatus.declined.value,
    ReferralStatus.cancelled.value,
)


AnySelect = Select[*tuple[Any, ...]]
AnyCompound = CompoundSelect[*tuple[Any, ...]]


def _id(column: Any) -> Any:
    """An id as the database gives it (hex text on SQLite): the work list's validation
    reads it into a UUID in pydantic's core, faster than a UUID made per value in Python."""
    return type_coerce(column, String).label(column.key)


TASK_COLUMNS = (
    _id(Task.id),
    Task.title,
    Task.kind,
    _id(Task.person_id),
    _id(Task.sgbv_case_id),
    _id(Task.referral_id),
    _id(Task.repatriation_file_id),
    Task.due_on,
    Task.origin,
)
# What a focal point may see of a referral, and all the list shows (never the note),
# named as the work list's fields are.
REFERRAL_COLUMNS = (
    _id(Referral.id),
    Referral.status,
    Referral.actor_code.label("actor"),
    Referral.services,
    Referral.urgency,
    Referral.region,
    Referral.due_at,
)


@dataclass(frozen=True)
class Statements:
    tasks: AnySelect | None
    cases: AnyCompound | AnySelect | None
    referrals: AnySelect | None
    transfers: AnySelect | None

    def all(self) -> list[Any]:
        sections = (self.tasks, self.cases, self.referrals, self.transfers)
        return [s for s in sections if s is not None]


def parameters(now: datetime) -> dict[str, datetime]:
    """The values of the statements' time parameters at ``now``."""
    return {"now": now, "declined_since": now - DECLINED_WINDOW}


@lru_cache(maxsize=1024)
def statements(principal: Principal, limit: int) -> Statements:
    """The queries behind the work list (also what ``bench/work_list.py`` times bare),
    with the time as parameters (``parameters()``).

    Kept per caller: building them and computing their cache keys was a fifth of the
    list's time. A principal is its user's identity, role and scope at one token
    generation, so a changed role or scope is a new key.
    """
    tasks = None
    if principal.role in task_permissions.HANDLERS:
        tasks = (
            select(*TASK_COLUMNS)
            .where(Task.assignee_id == principal.user_id, Task.status == TaskStatus.open.value)
            # Overdue tasks have the earliest due dates: due date order puts them first.
            .order_by(Task.due_on.asc().nulls_last(), Task.created_at, Task.id)
            .limit(limit)
        )
    return Statements(
        tasks=tasks,
        cases=_cases(principal, limit),
        referrals=_referrals(principal, limit),
        transfers=_transfers(principal, limit),
    )


def _cases(principal: Principal, limit: int) -> AnyCompound | AnySelect | None:
    """Open cases the caller owns, each kind under its own readable rule, in one query."""
    parts = []
    if principal.role in person_permissions.HANDLERS:
        parts.append(
            select(
                _id(Person.id),
                literal("person").label("type"),
                Person.status,
                Person.region,
                Person.updated_at,
            ).where(
                Person.owner_id == principal.user_id,
                Person.status != CLOSED,
                person_permissions.readable(principal),
            )
        )
    if principal.role in sgbv_permissions.HANDLERS:
        parts.append(
            select(
                _id(SgbvCase.id),
                literal("sgbv_case").label("type"),
                SgbvCase.status,
                SgbvCase.region,
                SgbvCase.updated_at,
            ).where(
                SgbvCase.owner_id == principal.user_id,
                SgbvCase.status != CLOSED,
                sgbv_permissions.readable(principal),
            )
        )
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0].order_by(literal_column("updated_at").desc()).limit(limit)
    return union_all(*parts).order_by(literal_column("updated_at").desc()).limit(limit)


def _transfers(principal: Principal, limit: int) -> AnySelect | None:
    """Pending transfers to the caller's organisation of a kind the caller may decide.

    ``transfers.permissions.readable`` already narrows plain caseworkers to persons.
    """
    if principal.role not in transfer_permissions.HANDLERS or principal.organization_id is None:
        return None
    sender = aliased(Organization)
    return (
        select(
            _id(Transfer.id),
            Transfer.kind,
            sender.code.label("from_organization"),
            Transfer.region,
            Transfer.created_at,
        )
        .join(sender, sender.id == Transfer.from_organization_id)
        .where(
            Transfer.to_organization_id == principal.organization_id,
            Transfer.status == TransferStatus.pending.value,
            transfer_permissions.readable(principal),
        )
        .order_by(Transfer.created_at, Transfer.id)
        .limit(limit)
    )


def _referrals(principal: Principal, limit: int) -> AnySelect | None:
    readable = referral_permissions.readable(principal)
    if principal.role is Role.actor_focal_point:
        waiting = Referral.status.not_in(FINAL_REFERRAL_STATUSES)
        return (
            select(*REFERRAL_COLUMNS)
            .where(readable, waiting)
            .order_by(Referral.due_at.asc().nulls_last(), Referral.created_at, Referral.id)
            .limit(limit)
        )
    if principal.role not in referral_permissions.CREATORS:
        return None
    now = bindparam("now", type_=UTCDateTime())
    overdue = and_(Referral.status == ReferralStatus.sent.value, Referral.due_at < now)
    declined = and_(
        Referral.status == ReferralStatus.declined.value,
        Referral.updated_at >= bindparam("declined_since", type_=UTCDateTime()),
    )
    return (
        select(*REFERRAL_COLUMNS)
        .where(
            Referral.created_by_id == principal.user_id,
            Referral.status.in_([ReferralStatus.sent.value, ReferralStatus.declined.value]),
            or_(overdue, declined),
            readable,
        )
        .order_by(Referral.due_at.asc().nulls_last(), Referral.created_at, Referral.id)
        .limit(limit)
    )


def work_list(session: Session, principal: Principal, limit: int) -> WorkList:
    queries = statements(principal, limit)
    # Columns only, no entities: Core on the session's connection skips the ORM's
    # per-statement and per-row work (a third of the list's time).
    connection = session.connection()

    now = utcnow()
    values = parameters(now)

    def rows(query: Any) -> list[Any]:
        return list(connection.execute(query, values).all()) if query is not None else []

    today = now.date()
    # Rows validated in one call, pydantic's core building the 150-odd items: faster
    # than as many model constructors and enum conversions in Python.
    return WorkList.model_validate(
        {
            "tasks": [
                {
                    **t._mapping,
                    "overdue": task_overdue(TaskStatus.open.value, t.due_on, today),
                    "automatic": t.origin is not None,
                }
                for t in rows(queries.tasks)
            ],
            "cases": [c._mapping for c in rows(queries.cases)],
            "transfers": [t._mapping for t in rows(queries.transfers)],
            "referrals": [
                {
                    **r._mapping,
                    "overdue": referral_overdue(r.status, r.due_at, now),
                }
                for r in rows(queries.referrals)
            ],
        }
    )
