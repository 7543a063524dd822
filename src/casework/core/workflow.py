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
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.orm.exc import StaleDataError

from casework.core.errors import Conflict, Forbidden, InvalidInput, StaleVersion
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

    def has_move(self, source: str, target: str) -> bool:
        """Is there a row for this move at all (for moves casework makes by itself)?"""
        return any(row.source == source and row.target == target for row in self.table)

    def check(
        self, source: str, target: str, role: Role, *, only: Iterable[str] | None = None
    ) -> Transition:
        """The table row allowing this move, or Conflict (409) / Forbidden (403).

        ``only`` narrows the table for one record, when the record's own data
        decides (a suspended repatriation resumes only at the step it left).
        """
        narrowed = None if only is None else set(only)
        rows = [
            row
            for row in self.table
            if row.source == source
            and row.target == target
            and (narrowed is None or row.target in narrowed)
        ]
        if not rows:
            allowed = [
                status
                for status in self.next_statuses(source, role)
                if narrowed is None or status in narrowed
            ]
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


def require_note(rule: Transition, note: str | None) -> None:
    """422 when the move needs a reason and none was given."""
    if rule.note_required and not note:
        raise InvalidInput(
            f"Moving to {rule.target} needs a note (the reason).",
            errors=[{"loc": ["body", "note"], "msg": "required for this move", "type": "missing"}],
        )


def next_position(session: Session, seq: InstrumentedAttribute[int], *where: Any) -> int:
    """The next history position. Read it before changing anything: a query autoflushes."""
    last = session.scalar(select(func.max(seq)).where(*where))
    return (last or 0) + 1


def flush_move(session: Session, what: str) -> None:
    """Write the move; a concurrent writer that got there first makes this a 412.

    The record's version column (its UPDATE ... WHERE version = read version) and the
    unique (record, position) of its history both catch the race.
    """
    try:
        with session.begin_nested():
            session.flush()
    except (StaleDataError, IntegrityError):
        raise StaleVersion(
            f"The {what} was changed by someone else meanwhile; read it again."
        ) from None
