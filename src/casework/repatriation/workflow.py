"""The repatriation status machine, run by the same mechanism as referrals (core/workflow.py).

    registered -> counselled -> voluntariness_verified -> documents_ready -> departed -> arrived
    any non-final -> withdrawn | suspended   (a note is required for both)
    suspended -> the step it was suspended at | withdrawn

The table lists suspended -> every step; the service narrows it to the one
step a given file left (``Workflow.check(..., only=...)``).
"""

from __future__ import annotations

import itertools

from casework.core.workflow import Transition, Workflow
from casework.reference.vocabularies import RepatriationStatus, Role

R = RepatriationStatus
HANDLERS = frozenset({Role.caseworker, Role.gbv_caseworker, Role.supervisor})
STEPS = (
    R.registered,
    R.counselled,
    R.voluntariness_verified,
    R.documents_ready,
    R.departed,
    R.arrived,
)
FINAL = (R.arrived, R.withdrawn)
NON_FINAL = tuple(s for s in R if s not in FINAL)

REPATRIATION_WORKFLOW = Workflow(
    "repatriation file",
    statuses=[s.value for s in R],
    final=[s.value for s in FINAL],
    table=[
        *(Transition(a, b, HANDLERS) for a, b in itertools.pairwise(STEPS)),
        *(Transition(R.suspended, s, HANDLERS) for s in STEPS if s is not R.arrived),
        *(Transition(s, R.withdrawn, HANDLERS, note_required=True) for s in NON_FINAL),
        *(
            Transition(s, R.suspended, HANDLERS, note_required=True)
            for s in NON_FINAL
            if s is not R.suspended
        ),
    ],
)
