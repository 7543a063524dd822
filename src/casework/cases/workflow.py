"""Case lifecycles, on the same mechanism as referrals (core/workflow.py): one table each.

    person:     open -> closed -> open                  (a note both ways)
    SGBV case:  open -> closure_requested -> closed     (the request needs a note;
                                                         only a supervisor approves)
                closure_requested -> open               (the request is rejected or
                                                         withdrawn, with a note)
                closed -> open                          (reopening, with a note)

Roles come from the table; *which* caseworker may move a case (its owner) is
decided by the service, as the referral service decides which side may send.
"""

from __future__ import annotations

from casework.core.workflow import Transition, Workflow
from casework.reference.vocabularies import CaseStatus, Role, SgbvCaseStatus

P, G = CaseStatus, SgbvCaseStatus
PERSON_HANDLERS = frozenset({Role.caseworker, Role.gbv_caseworker, Role.supervisor})
GBV_HANDLERS = frozenset({Role.gbv_caseworker, Role.supervisor})
SUPERVISORS = frozenset({Role.supervisor})

PERSON_WORKFLOW = Workflow(
    "person's case",
    statuses=[s.value for s in P],
    final=[],
    table=[
        Transition(P.open, P.closed, PERSON_HANDLERS, note_required=True),
        Transition(P.closed, P.open, PERSON_HANDLERS, note_required=True),
    ],
)

SGBV_WORKFLOW = Workflow(
    "SGBV case",
    statuses=[s.value for s in G],
    final=[],
    table=[
        Transition(G.open, G.closure_requested, GBV_HANDLERS, note_required=True),
        Transition(G.closure_requested, G.closed, SUPERVISORS),
        Transition(G.closure_requested, G.open, GBV_HANDLERS, note_required=True),
        Transition(G.closed, G.open, GBV_HANDLERS, note_required=True),
    ],
)
