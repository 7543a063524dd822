"""What the person page and the SGBV case page share as cases: the owner and the
re-assign form, the lifecycle's moves, transfers, tasks and the history.

Every rule comes from ``casework.cases`` (and the transfer and task services):
the page only offers what those services would accept, and posts go through them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from casework.cases import service as case_service
from casework.cases.schemas import AssignRequest, PersonTransition, SgbvCaseTransition
from casework.core.errors import ProblemError
from casework.persons.models import Person
from casework.reference.vocabularies import Role, TaskStatus
from casework.tasks import permissions as task_permissions
from casework.tasks import service as task_service
from casework.tasks.schemas import TaskQuery
from casework.transfers import permissions as transfer_permissions
from casework.web import forms
from casework.web.core import Web, attempt, new_client_id


@dataclass(frozen=True)
class Move:
    target: str
    label: str
    needs_note: bool
    danger: bool


def base_url(case: case_service.Case) -> str:
    return f"/persons/{case.id}" if isinstance(case, Person) else f"/sgbv-cases/{case.id}"


def subject_field(case: case_service.Case) -> str:
    return "person_id" if isinstance(case, Person) else "sgbv_case_id"


def _needs_note(case: case_service.Case, source: str, target: str) -> bool:
    workflow = case_service.kind_of(case).workflow
    return any(r.note_required for r in workflow.table if r.source == source and r.target == target)


def move_label(web: Web, case: case_service.Case, target: str) -> str:
    _ = web.t.gettext
    source = case.status
    if target == "closure_requested":
        return _("Request closure")
    if target == "closed":
        return _("Approve the closure") if source == "closure_requested" else _("Close the case")
    if source == "closure_requested":
        if web.has_role(Role.supervisor):
            return _("Reject the closure request")
        return _("Withdraw the closure request")
    return _("Reopen the case")


def panel(session: Session, web: Web, case: case_service.Case) -> dict[str, Any]:
    """The template context of the case section of a person or SGBV case page."""
    principal = web.me
    kind = case_service.kind_of(case)
    moves: list[Move] = []
    # A person merged into another is read-only for good: no move, no form.
    current = getattr(case, "merged_into_id", None) is None
    if current and case_service.manages(principal, case):
        for target in kind.workflow.next_statuses(case.status, principal.role):
            rejecting = (
                case.status == "closure_requested"
                and target == "open"
                and principal.role is Role.supervisor
            )
            moves.append(
                Move(
                    target,
                    move_label(web, case, target),
                    _needs_note(case, case.status, target),
                    danger=(target == "closed" and case.status == "open") or rejecting,
                )
            )
    may_assign = current and case_service.may_assign(principal, case) and case.status != "closed"
    owners = (
        [
            (u.username, u.username)
            for u in case_service.eligible_owners(session, case)
            if u.id != case.owner_id
        ]
        if may_assign
        else []
    )
    pending = case_service.pending_transfer(session, case)
    may_transfer = (
        current
        and principal.role in transfer_permissions.HANDLERS
        and transfer_permissions.may_request(principal, case.owner_id)
        and case.status == "open"
        and pending is None
    )
    tasks: list[Any] = []
    if principal.role in task_permissions.HANDLERS:
        rows, _cursor = task_service.list_readable(
            session,
            principal,
            TaskQuery(
                status=[TaskStatus.open, TaskStatus.done],
                limit=50,
                **{subject_field(case): case.id},
            ),
        )
        tasks = task_service.to_reads(session, rows, principal)
    return {
        "case_url": base_url(case),
        "case_status": case.status,
        "case_version": case.version,
        "owner_name": case_service.owner_username(session, case),
        "moves": moves,
        "may_assign": may_assign and bool(owners),
        "owners": owners,
        "pending_transfer": pending,
        "may_transfer": may_transfer,
        "tasks": tasks,
        "may_add_task": current and principal.role in task_permissions.HANDLERS,
        "task_subject": (subject_field(case), case.id),
        "new_task_id": new_client_id(),
        "case_history": case_service.history(session, principal, case),
    }


def _if_match(web: Web) -> str | None:
    version = forms.text(web.form, "version")
    return f'"{version}"' if version else None


def assign(session: Session, web: Web, case: case_service.Case) -> tuple[str, int] | None:
    """Re-assign from the form; ``(message, status)`` when refused, nothing changed."""
    form = web.form
    try:
        request = forms.validate(
            web.t,
            AssignRequest,
            {"owner": forms.text(form, "owner") or "", "note": forms.text(form, "note")},
        )
        with attempt(session):
            case_service.assign(session, web.me, case, request, if_match=_if_match(web))
    except ProblemError as exc:
        session.refresh(case)
        return _problem(session, web, case, exc, assigning=True), exc.status
    return None


def transition(session: Session, web: Web, case: case_service.Case) -> tuple[str, int] | None:
    """Close, reopen, request closure, approve or reject it; ``(message, status)`` when refused."""
    form = web.form
    fields = {"to": forms.text(form, "to"), "note": forms.text(form, "note")}
    try:
        move: PersonTransition | SgbvCaseTransition = (
            forms.validate(web.t, PersonTransition, fields)
            if isinstance(case, Person)
            else forms.validate(web.t, SgbvCaseTransition, fields)
        )
        with attempt(session):
            case_service.transition(session, web.me, case, move, if_match=_if_match(web))
    except ProblemError as exc:
        session.refresh(case)
        return _problem(session, web, case, exc, assigning=False), exc.status
    return None


def _problem(
    session: Session, web: Web, case: case_service.Case, exc: ProblemError, *, assigning: bool
) -> str:
    _ = web.t.gettext
    if exc.status == 412:
        return _("Someone changed this case while you were reading it. Look again.")
    if exc.status == 422:
        if assigning:
            return _("Choose an active caseworker of the case's organisation.")
        return _("Give the reason in the note.")
    if exc.status == 409:
        if case_service.pending_transfer(session, case) is not None:
            return _("This case has a pending transfer: it is decided or cancelled first.")
        if assigning:
            return _("This caseworker already owns the case.")
        return _("This move is not possible from the current status.")
    return _("You may not make this move.")
