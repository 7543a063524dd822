"""The work list: what waits for the caller, in a few queries whatever the caseload.

Each section is one indexed query bounded by ``limit``, filtered by the
domain's own ``readable`` condition (never a second copy of a scope rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from casework.auth.principal import Principal
from casework.core.db import utcnow
from casework.reference.vocabularies import (
    ReferralStatus,
    Role,
    Service,
    TaskKind,
    TaskStatus,
    Urgency,
)
from casework.referrals import permissions as referral_permissions
from casework.referrals.models import Referral, referral_overdue
from casework.tasks import permissions as task_permissions
from casework.tasks.models import Task, task_overdue
from casework.work.schemas import WorkList, WorkReferral, WorkTask

# A declined referral stays on its maker's list this long (then it is history).
DECLINED_WINDOW = timedelta(days=30)
FINAL_REFERRAL_STATUSES = (
    ReferralStatus.completed.value,
    ReferralStatus.declined.value,
    ReferralStatus.cancelled.value,
)


AnySelect = Select[*tuple[Any, ...]]
TASK_COLUMNS = (
    Task.id,
    Task.title,
    Task.kind,
    Task.person_id,
    Task.sgbv_case_id,
    Task.referral_id,
    Task.repatriation_file_id,
    Task.due_on,
    Task.origin,
)
# What a focal point may see of a referral, and all the list shows (never the note).
REFERRAL_COLUMNS = (
    Referral.id,
    Referral.status,
    Referral.actor_code,
    Referral.services,
    Referral.urgency,
    Referral.region,
    Referral.due_at,
)


@dataclass(frozen=True)
class Statements:
    tasks: AnySelect | None
    referrals: AnySelect | None


def statements(principal: Principal, limit: int) -> Statements:
    """The queries behind the work list (also what ``bench/work_list.py`` times bare)."""
    tasks = None
    if principal.role in task_permissions.HANDLERS:
        tasks = (
            select(*TASK_COLUMNS)
            .where(Task.assignee_id == principal.user_id, Task.status == TaskStatus.open.value)
            # Overdue tasks have the earliest due dates: due date order puts them first.
            .order_by(Task.due_on.asc().nulls_last(), Task.created_at, Task.id)
            .limit(limit)
        )
    return Statements(tasks=tasks, referrals=_referrals(principal, limit))


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
    now = utcnow()
    overdue = and_(Referral.status == ReferralStatus.sent.value, Referral.due_at < now)
    declined = and_(
        Referral.status == ReferralStatus.declined.value,
        Referral.updated_at >= now - DECLINED_WINDOW,
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
    tasks = session.execute(queries.tasks).all() if queries.tasks is not None else []
    referrals = session.execute(queries.referrals).all() if queries.referrals is not None else []
    now = utcnow()
    today = now.date()
    return WorkList(
        tasks=[
            WorkTask(
                id=t.id,
                title=t.title,
                kind=TaskKind(t.kind),
                person_id=t.person_id,
                sgbv_case_id=t.sgbv_case_id,
                referral_id=t.referral_id,
                repatriation_file_id=t.repatriation_file_id,
                due_on=t.due_on,
                overdue=task_overdue(TaskStatus.open.value, t.due_on, today),
                automatic=t.origin is not None,
            )
            for t in tasks
        ],
        referrals=[
            WorkReferral(
                id=r.id,
                status=ReferralStatus(r.status),
                actor=r.actor_code,
                services=[Service(s) for s in r.services],
                urgency=Urgency(r.urgency),
                region=r.region,
                due_at=r.due_at,
                overdue=referral_overdue(r.status, r.due_at, now),
            )
            for r in referrals
        ],
    )
