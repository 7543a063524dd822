"""The work list: what waits for the caller, in a few queries whatever the caseload.

Each section is one indexed query bounded by ``limit``, filtered by the
domain's own ``readable`` condition (never a second copy of a scope rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from casework.auth.principal import Principal
from casework.core.db import utcnow
from casework.reference.vocabularies import ReferralStatus, Role, Service, TaskStatus, Urgency
from casework.referrals import permissions as referral_permissions
from casework.referrals.models import Referral
from casework.tasks import permissions as task_permissions
from casework.tasks import service as task_service
from casework.tasks.models import Task
from casework.work.schemas import WorkList, WorkReferral

# A declined referral stays on its maker's list this long (then it is history).
DECLINED_WINDOW = timedelta(days=30)
FINAL_REFERRAL_STATUSES = (
    ReferralStatus.completed.value,
    ReferralStatus.declined.value,
    ReferralStatus.cancelled.value,
)


@dataclass(frozen=True)
class Statements:
    tasks: Select[Task] | None
    referrals: Select[Referral] | None


def statements(principal: Principal, limit: int) -> Statements:
    """The queries behind the work list (also what ``bench/work_list.py`` times bare)."""
    tasks = None
    if principal.role in task_permissions.HANDLERS:
        tasks = (
            select(Task)
            .where(Task.assignee_id == principal.user_id, Task.status == TaskStatus.open.value)
            # Overdue tasks have the earliest due dates: due date order puts them first.
            .order_by(Task.due_on.asc().nulls_last(), Task.created_at, Task.id)
            .limit(limit)
        )
    return Statements(tasks=tasks, referrals=_referrals(principal, limit))


def _referrals(principal: Principal, limit: int) -> Select[Referral] | None:
    readable = referral_permissions.readable(principal)
    if principal.role is Role.actor_focal_point:
        waiting = Referral.status.not_in(FINAL_REFERRAL_STATUSES)
        return (
            select(Referral)
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
        select(Referral)
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
    tasks = list(session.scalars(queries.tasks)) if queries.tasks is not None else []
    referrals = list(session.scalars(queries.referrals)) if queries.referrals is not None else []
    now = utcnow()
    return WorkList(
        tasks=task_service.to_reads(session, tasks),
        referrals=[
            WorkReferral(
                id=r.id,
                status=ReferralStatus(r.status),
                actor=r.actor_code,
                services=[Service(s) for s in r.services],
                urgency=Urgency(r.urgency),
                region=r.region,
                due_at=r.due_at,
                overdue=r.overdue(now),
            )
            for r in referrals
        ],
    )
