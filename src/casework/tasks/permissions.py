"""Who sees a task: the one place for its row-level scope.

A task is visible to its assignee and to whoever may read its subject, by the
subject's own rule (``persons``, ``sgbv``, ``referrals``, ``repatriation``
permissions: never a second copy). Tasks are for case handlers: supervisors,
caseworkers and GBV caseworkers; every other role gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from casework.auth.principal import Principal
from casework.persons import permissions as person_permissions
from casework.persons.models import Person
from casework.reference.vocabularies import Role
from casework.referrals import permissions as referral_permissions
from casework.referrals.models import Referral
from casework.repatriation import permissions as repatriation_permissions
from casework.repatriation.models import RepatriationFile
from casework.sgbv import permissions as sgbv_permissions
from casework.sgbv.models import SgbvCase
from casework.tasks.models import Task

HANDLERS = (Role.supervisor, Role.caseworker, Role.gbv_caseworker)

# Subject field -> (its model, its domain's readable condition).
SUBJECTS: dict[str, tuple[Any, Callable[[Principal], ColumnElement[bool]]]] = {
    "person_id": (Person, person_permissions.readable),
    "sgbv_case_id": (SgbvCase, sgbv_permissions.readable),
    "referral_id": (Referral, referral_permissions.readable),
    "repatriation_file_id": (RepatriationFile, repatriation_permissions.readable),
}


def subject_readable(principal: Principal, field: str) -> ColumnElement[bool]:
    """The condition on ``Task.<field>`` that its subject is one the principal may read."""
    model, readable = SUBJECTS[field]
    column: InstrumentedAttribute[Any] = getattr(Task, field)
    return column.in_(select(model.id).where(readable(principal)))


def readable(principal: Principal) -> ColumnElement[bool]:
    if principal.role not in HANDLERS:
        return Task.assignee_id == principal.user_id
    return or_(
        Task.assignee_id == principal.user_id,
        *(subject_readable(principal, field) for field in SUBJECTS),
    )
