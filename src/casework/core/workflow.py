"""Explicit state machines: one transition table per workflow, one mechanism for all.

A workflow is a list of ``Transition(source, target, roles)`` rows: who may move
a record from which status to which. Referrals and repatriation files each
declare their table; ``Workflow.check`` is the single place that decides
whether a move is legal (409 with the allowed next statuses when it is not,
403 when the status move exists but not for this role).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from casework.core.errors import Conflict, Forbidden
from casework.reference.vocabularies import Role


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    roles: frozenset[Role]
    note_required: bool = False


class Workflow:
    def __init__(
        self, name: str, statuses: Iterable[str], final: Iterable[str], table: Iterable[Transition]
    ) -> None:
        self.name = name
        self.statuses = tuple(statuses)
        self.final = frozenset(final)
        self.table = tuple(table)
        known = set(self.statuses)
        for row in self.table:
            if row.source not in known or row.target not in known:
                raise ValueError(f"{name}: {row.source} -> {row.target} names an unknown status")
            if row.source in self.final:
                raise ValueError(f"{name}: {row.source} is final and cannot be left")

    def next_statuses(self, source: str, role: Role | None = None) -> list[str]:
        """Statuses reachable from ``source`` (by ``role``, when given), in table order."""
        seen: list[str] = []
        for row in self.table:
            reachable = row.source == source and (role is None or role in row.roles)
            if reachable and row.target not in seen:
                seen.append(row.target)
        return seen

    def check(self, source: str, target: str, role: Role) -> Transition:
        rows = [row for row in self.table if row.source == source and row.target == target]
        if not rows:
            allowed = self.next_statuses(source, role)
            if allowed:
                hint = f" Allowed next: {', '.join(allowed)}."
            elif source in self.final:
                hint = f" {source} is final."
            else:
                hint = f" No move from {source} is open to the {role} role."
            raise Conflict(
                f"A {self.name} cannot go from {source} to {target}.{hint}",
                allowed=allowed,
                current=source,
            )
        for row in rows:
            if role in row.roles:
                return row
        raise Forbidden(f"The {role} role may not move a {self.name} from {source} to {target}.")
