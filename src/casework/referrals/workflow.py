"""The referral status machine: ONE table of who may move a referral from which status to which.

    draft -> sent -> acknowledged -> accepted | declined
    accepted -> in_progress -> completed
    any non-final -> cancelled
    sent | acknowledged | accepted | in_progress -> on_hold -> the status it left
        (by casework itself only: when the consent behind the referral is withdrawn,
        and when a new covering consent is recorded; see ``holds.py``)

The actor's answers (acknowledge ... complete) are given by the actor's focal
point, or recorded on the actor's behalf by the referring side (many actors
never log in; the caseworker records what they said on the phone). Only the
referring side sends and cancels. History rows say who did what.
"""

from __future__ import annotations

from casework.core.workflow import Transition, Workflow
from casework.reference.vocabularies import ReferralStatus, Role

S = ReferralStatus
REFERRING = frozenset({Role.caseworker, Role.gbv_caseworker, Role.supervisor})
ANSWERING = REFERRING | {Role.actor_focal_point}
SYSTEM_ONLY: frozenset[Role] = frozenset()  # no user may make these moves by hand
HOLDABLE = (S.sent, S.acknowledged, S.accepted, S.in_progress)

REFERRAL_WORKFLOW = Workflow(
    "referral",
    statuses=[s.value for s in S],
    final=[S.declined.value, S.completed.value, S.cancelled.value],
    table=[
        Transition(S.draft, S.sent, REFERRING),
        Transition(S.sent, S.acknowledged, ANSWERING),
        Transition(S.acknowledged, S.accepted, ANSWERING),
        Transition(S.acknowledged, S.declined, ANSWERING, note_required=True),
        Transition(S.accepted, S.in_progress, ANSWERING),
        Transition(S.in_progress, S.completed, ANSWERING),
        *(
            Transition(source, S.cancelled, REFERRING)
            for source in (S.draft, S.sent, S.acknowledged, S.accepted, S.in_progress, S.on_hold)
        ),
        *(Transition(source, S.on_hold, SYSTEM_ONLY) for source in HOLDABLE),
        *(Transition(S.on_hold, target, SYSTEM_ONLY) for target in HOLDABLE),
    ],
)
