"""Task rules: subjects and assignees, the status table, and the tasks the system makes."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import date
from functools import lru_cache

from sqlalchemy import ColumnElement, and_, not_, select
from sqlalchemy.orm import Session

from casework.auth.models import Organization, User
from casework.auth.principal import Principal, principal_for
from casework.cases import service as case_service
from casework.core.concurrency import check_if_match
from casework.core.config import get_settings
from casework.core.crypto import keyring
from casework.core.db import utcnow
from casework.core.errors import InvalidInput, NotFound
from casework.core.idempotency import insert_created, replay_or_conflict
from casework.core.pagination import keyset_page
from casework.notifications import service as notifications
from casework.persons.models import Person
from casework.reference.vocabularies import ReferralStatus, TaskKind, TaskStatus
from casework.referrals.models import Referral
from casework.tasks import permissions
from casework.tasks.models import SUBJECT_FIELDS, Task
from casework.tasks.schemas import TaskCreate, TaskQuery, TaskRead, TaskUpdate
from casework.tasks.workflow import TASK_WORKFLOW

SUBJECT_NAMES = {
    "person_id": "person",
    "sgbv_case_id": "SGBV case",
    "referral_id": "referral",
    "repatriation_file_id": "repatriation file",
}


def _field_error(field: str, message: str) -> InvalidInput:
    return InvalidInput(
        f"{field}: {message}.", errors=[{"loc": ["body", field], "msg": message, "type": "ref"}]
    )


def may_read_subject(
    session: Session, principal: Principal, field: str, subject_id: uuid.UUID
) -> bool:
    model, readable = permissions.SUBJECTS[field]
    found = session.scalar(select(model.id).where(model.id == subject_id, readable(principal)))
    return found is not None


def _check_assignee(
    session: Session, assignee_id: uuid.UUID, field: str, subject_id: uuid.UUID
) -> User:
    """An active case handler who may read the subject, else 422 (never says why not)."""
    user = session.get(User, assignee_id)
    if (
        user is None
        or not user.is_active
        or user.role not in {role.value for role in permissions.HANDLERS}
        or not may_read_subject(session, principal_for(user), field, subject_id)
    ):
        raise _field_error(
            "assignee", f"not an active user who may read this {SUBJECT_NAMES[field]}"
        )
    return user


def create_task(session: Session, principal: Principal, data: TaskCreate) -> tuple[Task, bool]:
    field, subject_id = data.subject()
    if not may_read_subject(session, principal, field, subject_id):
        raise _field_error(field, f"no such {SUBJECT_NAMES[field]}")
    if field == "person_id":  # a merged person takes no new work: it goes to the kept one
        case_service.require_current(session.get_one(Person, subject_id))
    assignee_id = data.assignee or principal.user_id
    if assignee_id != principal.user_id:
        _check_assignee(session, assignee_id, field, subject_id)
    fingerprint, replayed = replay_or_conflict(
        session, Task, data, principal.organization_id, "tasks"
    )
    if replayed is not None:
        return replayed, False
    assert principal.organization_id is not None  # case handlers belong to an organisation
    task = Task(
        id=data.id or uuid.uuid4(),
        title=data.title,
        kind=data.kind.value,
        assignee_id=assignee_id,
        created_by_id=principal.user_id,
        due_on=data.due_on,
        status=TaskStatus.open.value,
        organization_id=principal.organization_id,
        create_fingerprint=fingerprint,
        **{field: subject_id},
    )
    task, created = insert_created(
        session,
        task,
        organization_id=principal.organization_id,
        what="task",
        may_collide=data.id is not None,
    )
    if created and assignee_id != principal.user_id:
        notifications.on_task_assigned(session, task)
    return task, created


def get_readable(session: Session, principal: Principal, task_id: uuid.UUID) -> Task:
    task = session.scalar(select(Task).where(Task.id == task_id, permissions.readable(principal)))
    if task is None:
        raise NotFound("No such task.")
    return task


def overdue_condition(today: date) -> ColumnElement[bool]:
    return and_(Task.status == TaskStatus.open.value, Task.due_on.is_not(None), Task.due_on < today)


def list_readable(
    session: Session, principal: Principal, query: TaskQuery
) -> tuple[list[Task], str | None]:
    stmt = select(Task).where(permissions.readable(principal))
    if query.status:
        stmt = stmt.where(Task.status.in_([s.value for s in query.status]))
    if query.assignee is not None:
        who = principal.user_id if query.assignee == "me" else query.assignee
        stmt = stmt.where(Task.assignee_id == who)
    if query.kind:
        stmt = stmt.where(Task.kind == query.kind.value)
    for name in SUBJECT_FIELDS:
        value = getattr(query, name)
        if value is not None:
            stmt = stmt.where(getattr(Task, name) == value)
    if query.overdue is not None:
        late = overdue_condition(utcnow().date())
        stmt = stmt.where(late if query.overdue else not_(late))
    return keyset_page(
        session,
        stmt,
        created_at=Task.created_at,
        record_id=Task.id,
        limit=query.limit,
        cursor=query.cursor,
    )


def update_task(
    session: Session,
    principal: Principal,
    task: Task,
    changes: TaskUpdate,
    *,
    if_match: str | None,
) -> Task:
    check_if_match(if_match, task.version)
    fields = changes.model_dump(exclude_unset=True)
    reassigned = False
    if "assignee" in fields and fields["assignee"] != task.assignee_id:
        field, subject_id = subject_of(task)
        _check_assignee(session, fields["assignee"], field, subject_id)
        task.assignee_id = fields["assignee"]
        reassigned = True
    if "status" in fields and fields["status"] != task.status:
        TASK_WORKFLOW.check(task.status, fields["status"].value, principal.role)
        _set_status(task, fields["status"].value)
    if "title" in fields:
        task.title = fields["title"]
    if "kind" in fields:
        task.kind = fields["kind"].value
    if "due_on" in fields:
        task.due_on = fields["due_on"]
    session.flush()
    if reassigned and task.assignee_id != principal.user_id:
        notifications.on_task_assigned(session, task)
    return task


def subject_of(task: Task) -> tuple[str, uuid.UUID]:
    for name in SUBJECT_FIELDS:
        value = getattr(task, name)
        if value is not None:
            return name, value
    raise AssertionError("a task has one subject")  # pragma: no cover


def _set_status(task: Task, status: str) -> None:
    task.status = status
    task.completed_at = None if status == TaskStatus.open.value else utcnow()


# --- tasks the system makes --------------------------------------------------------------

TITLES = {
    "referral": {
        "fr": "Suivre le référencement vers {actor}",
        "en": "Follow up the referral to {actor}",
    },
    "counselling": {
        "fr": "Suivi de la séance de conseil du {held_on}",
        "en": "Follow-up of the counselling session of {held_on}",
    },
    "hold": {
        "fr": "Référencement vers {actor} suspendu (consentement retiré) : "
        "recueillir un nouveau consentement ou annuler",
        "en": "Referral to {actor} on hold (consent withdrawn): record a new consent or cancel it",
    },
}


def title_in(title: str, language: str) -> str:
    """A system-made task's title in another language.

    The stored title is in the default language of when it was made; the web pages
    show it in the reader's. A title that is no system title is returned unchanged.
    """
    for templates in TITLES.values():
        for text in templates.values():
            found = _title_pattern(text).fullmatch(title)
            if found and language in templates:
                return templates[language].format(**found.groupdict())
    return title


@lru_cache
def _title_pattern(text: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", text)
    pattern = "".join(
        re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)"
        for index, part in enumerate(parts)
    )
    return re.compile(pattern)


def _title(kind: str, **values: str) -> str:
    language = get_settings().default_language
    return TITLES[kind][language].format(**values)


def _system_task(
    session: Session,
    *,
    origin: str,
    kind: TaskKind,
    title: str,
    field: str,
    subject_id: uuid.UUID,
    assignee_id: uuid.UUID,
    organization_id: uuid.UUID,
    due_on: date | None,
) -> Task:
    """The task a fact makes, once: a second notice of the same fact finds the first task."""
    existing = session.scalar(select(Task).where(Task.origin == origin))
    if existing is not None:
        return existing
    task = Task(
        title=title,
        kind=kind.value,
        assignee_id=assignee_id,
        created_by_id=assignee_id,
        due_on=due_on,
        status=TaskStatus.open.value,
        origin=origin,
        organization_id=organization_id,
        # Made by the system, never by a client create: the fingerprint is of its origin.
        create_fingerprint=keyring().blind_index(origin, purpose="fingerprint:tasks"),
        **{field: subject_id},
    )
    session.add(task)
    session.flush()
    return task


def on_referral_status(session: Session, referral: Referral, by: Principal) -> None:
    """Sent: a follow-up task for the sender. Acknowledged: done. Cancelled: cancelled."""
    status = referral.status
    if status == ReferralStatus.sent.value:
        assert referral.due_at is not None  # set on sending
        _system_task(
            session,
            origin=f"referral:{referral.id}",
            kind=TaskKind.referral_follow_up,
            title=_title("referral", actor=referral.actor_code),
            field="referral_id",
            subject_id=referral.id,
            assignee_id=by.user_id,
            organization_id=referral.organization_id,
            due_on=referral.due_at.date(),
        )
        return
    closing = {
        ReferralStatus.acknowledged.value: TaskStatus.done.value,
        ReferralStatus.cancelled.value: TaskStatus.cancelled.value,
    }.get(status)
    if closing is None:
        return
    kinds = [TaskKind.referral_follow_up.value]
    if status == ReferralStatus.cancelled.value:
        kinds.append(TaskKind.review.value)  # cancelled while on hold settles the hold too
    _close_system_tasks(session, referral, kinds, closing)


def _close_system_tasks(
    session: Session, referral: Referral, kinds: Sequence[str], status: str
) -> None:
    for task in session.scalars(
        select(Task).where(
            Task.referral_id == referral.id,
            Task.kind.in_(kinds),
            Task.origin.is_not(None),
            Task.status == TaskStatus.open.value,
        )
    ):
        _set_status(task, status)
    session.flush()


def on_referral_hold(session: Session, referral: Referral, hold_position: int) -> None:
    """Consent withdrawn put a referral on hold: the caseworker who sent it decides what next.

    The task goes to the sender while their account is active, else to the subject's
    owner; with neither, the hold still shows on the referral and in the timeline.
    """
    assignee = session.get(User, referral.created_by_id)
    if assignee is None or not assignee.is_active:
        assignee = _subject_owner(session, referral)
    if assignee is None:
        return
    _system_task(
        session,
        origin=f"referral-hold:{referral.id}:{hold_position}",
        kind=TaskKind.review,
        title=_title("hold", actor=referral.actor_code),
        field="referral_id",
        subject_id=referral.id,
        assignee_id=assignee.id,
        organization_id=referral.organization_id,
        due_on=utcnow().date(),
    )


def on_referral_resumed(session: Session, referral: Referral) -> None:
    """A new consent resumed the referral: the hold's task is done by itself."""
    _close_system_tasks(session, referral, [TaskKind.review.value], TaskStatus.done.value)


def _subject_owner(session: Session, referral: Referral) -> User | None:
    from casework.persons.models import Person
    from casework.sgbv.models import SgbvCase

    subject: Person | SgbvCase | None = (
        session.get(Person, referral.person_id)
        if referral.person_id is not None
        else session.get(SgbvCase, referral.sgbv_case_id)
    )
    if subject is None or subject.owner_id is None:
        return None
    owner = session.get(User, subject.owner_id)
    return owner if owner is not None and owner.is_active else None


def on_counselling_follow_up(
    session: Session,
    *,
    session_id: uuid.UUID,
    person_id: uuid.UUID,
    counsellor_id: uuid.UUID,
    organization_id: uuid.UUID,
    held_on: date,
    follow_up_on: date | None,
) -> None:
    """A session's follow-up date makes (or moves, or cancels) its counsellor's task."""
    origin = f"counselling:{session_id}"
    existing = session.scalar(select(Task).where(Task.origin == origin))
    if existing is None:
        if follow_up_on is None:
            return
        _system_task(
            session,
            origin=origin,
            kind=TaskKind.follow_up,
            title=_title("counselling", held_on=held_on.isoformat()),
            field="person_id",
            subject_id=person_id,
            assignee_id=counsellor_id,
            organization_id=organization_id,
            due_on=follow_up_on,
        )
        return
    if existing.status != TaskStatus.open.value:
        return  # done or cancelled by hand: the person's follow-up is settled
    if follow_up_on is None:
        _set_status(existing, TaskStatus.cancelled.value)
    else:
        existing.due_on = follow_up_on
    session.flush()


# --- reading ---------------------------------------------------------------------------


def to_reads(
    session: Session, tasks: Sequence[Task], principal: Principal | None = None
) -> list[TaskRead]:
    """Read models for a page of tasks, with at most two small lookups for the whole page.

    What the caller already knows (their own username and organisation code) is not
    looked up again.
    """
    usernames: dict[uuid.UUID, str] = {}
    codes: dict[uuid.UUID, str] = {}
    if principal is not None:
        usernames[principal.user_id] = principal.username
        if principal.organization_id and principal.organization_code:
            codes[principal.organization_id] = principal.organization_code
    missing_users = {task.assignee_id for task in tasks} - usernames.keys()
    if missing_users:
        rows = session.execute(select(User.id, User.username).where(User.id.in_(missing_users)))
        usernames.update({user_id: name for user_id, name in rows})
    missing_orgs = {task.organization_id for task in tasks} - codes.keys()
    if missing_orgs:
        rows = session.execute(
            select(Organization.id, Organization.code).where(Organization.id.in_(missing_orgs))
        )
        codes.update({org_id: code for org_id, code in rows})
    today = utcnow().date()
    return [
        TaskRead(
            id=task.id,
            title=task.title,
            kind=TaskKind(task.kind),
            person_id=task.person_id,
            sgbv_case_id=task.sgbv_case_id,
            referral_id=task.referral_id,
            repatriation_file_id=task.repatriation_file_id,
            assignee=task.assignee_id,
            assignee_username=usernames.get(task.assignee_id, ""),
            created_by=task.created_by_id,
            due_on=task.due_on,
            status=TaskStatus(task.status),
            overdue=task.overdue(today),
            completed_at=task.completed_at,
            automatic=task.origin is not None,
            organization=codes[task.organization_id],
            version=task.version,
            created_at=task.created_at,
            updated_at=task.updated_at,
        )
        for task in tasks
    ]


def to_read(session: Session, task: Task, principal: Principal | None = None) -> TaskRead:
    return to_reads(session, [task], principal)[0]
