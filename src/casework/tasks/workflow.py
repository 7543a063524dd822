"""The task status table, run by ``core/workflow.py`` like every other workflow."""

from __future__ import annotations

from casework.core.workflow import Transition, Workflow
from casework.reference.vocabularies import Role, TaskStatus

HANDLERS = frozenset({Role.supervisor, Role.caseworker, Role.gbv_caseworker})
OPEN, DONE, CANCELLED = TaskStatus.open.value, TaskStatus.done.value, TaskStatus.cancelled.value

TASK_WORKFLOW = Workflow(
    "task",
    statuses=[OPEN, DONE, CANCELLED],
    final=[],
    table=[
        Transition(OPEN, DONE, HANDLERS),
        Transition(OPEN, CANCELLED, HANDLERS),
        # Reopen: a task ticked off by mistake, or needed after all.
        Transition(DONE, OPEN, HANDLERS),
        Transition(CANCELLED, OPEN, HANDLERS),
    ],
)
