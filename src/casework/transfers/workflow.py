"""The transfer status machine, on the same mechanism as referrals (core/workflow.py).

    pending -> accepted | rejected     (the receiving organisation; a note to reject)
    pending -> cancelled               (the sending side)

The table says which roles may make each move; the service adds which side of
the transfer they must be on (``permissions.may_decide`` / ``may_cancel``).
"""

from __future__ import annotations

from casework.core.workflow import Transition, Workflow
from casework.reference.vocabularies import Role, TransferStatus

T = TransferStatus
HANDLERS = frozenset({Role.caseworker, Role.gbv_caseworker, Role.supervisor})

TRANSFER_WORKFLOW = Workflow(
    "transfer",
    statuses=[s.value for s in T],
    final=[T.accepted.value, T.rejected.value, T.cancelled.value],
    table=[
        Transition(T.pending, T.accepted, HANDLERS),
        Transition(T.pending, T.rejected, HANDLERS, note_required=True),
        Transition(T.pending, T.cancelled, HANDLERS),
    ],
)
