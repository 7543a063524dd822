"""Tasks: the caller's list (overdue flagged), one made by hand, ticked off or reopened.

The task service decides everything (who may see a task, whom it may be given to,
the status table); these pages only carry forms to it.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from casework.core.db import SessionDep
from casework.core.errors import ProblemError
from casework.reference.vocabularies import TaskStatus
from casework.tasks import permissions
from casework.tasks import service as task_service
from casework.tasks.models import SUBJECT_FIELDS
from casework.tasks.schemas import TaskCreate, TaskQuery, TaskUpdate
from casework.tasks.workflow import TASK_WORKFLOW
from casework.web import forms
from casework.web.core import Web, WebDep, WebRoute, attempt

router = APIRouter(route_class=WebRoute, include_in_schema=False)

SUBJECT_PAGES = {
    "person_id": "/persons/",
    "sgbv_case_id": "/sgbv-cases/",
    "referral_id": "/referrals/",
    "repatriation_file_id": "/repatriation-files/",
}
VIEWS = ("open", "overdue", "done")


@router.get("/tasks")
def list_tasks(session: SessionDep, web: WebDep) -> HTMLResponse:
    principal = web.require(*permissions.HANDLERS)
    view = web.request.query_params.get("show") or "open"
    if view not in VIEWS:
        view = "open"
    filters: dict[str, Any] = {"assignee": "me", "limit": 100}
    if view == "done":
        filters["status"] = [TaskStatus.done]
    else:
        filters["status"] = [TaskStatus.open]
        filters["overdue"] = True if view == "overdue" else None
    rows, _cursor = task_service.list_readable(session, principal, TaskQuery(**filters))
    tasks = task_service.to_reads(session, rows, principal)
    # Overdue first, then by due date (undated last), as on the work list.
    tasks.sort(key=lambda t: (not t.overdue, t.due_on is None, t.due_on or t.created_at.date()))
    return web.render("tasks.html", title=web.t.gettext("My tasks"), tasks=tasks, view=view)


def safe_next(value: str | None, fallback: str) -> str:
    """Back to the page the form was on: a path of this site, never another host."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return fallback


@router.post("/tasks")
def create_task(session: SessionDep, web: WebDep) -> Response:
    principal = web.require(*permissions.HANDLERS)
    form = web.form
    values: dict[str, Any] = {
        name: forms.text(form, name) for name in ("id", "title", "kind", "due_on", *SUBJECT_FIELDS)
    }
    try:
        data = forms.validate(web.t, TaskCreate, {k: v for k, v in values.items() if v})
        with attempt(session):
            task, _created = task_service.create_task(session, principal, data)
    except ProblemError as exc:
        errors = forms.translate(web.t, exc)
        if any(name in errors for name in SUBJECT_FIELDS) or "" in errors:
            errors[""] = web.t.gettext("This task has no record you may see.")
        return _task_form(web, values, errors, status=exc.status)
    field, subject_id = task_service.subject_of(task)
    return web.redirect(f"{SUBJECT_PAGES[field]}{subject_id}#tasks")


def _task_form(
    web: Web, values: dict[str, Any], errors: dict[str, str], status: int
) -> HTMLResponse:
    subject = next(((name, values[name]) for name in SUBJECT_FIELDS if values.get(name)), None)
    return web.render(
        "task_form.html",
        status=status,
        title=web.t.gettext("Add a task"),
        values=values,
        errors=errors,
        subject=subject,
        back=f"{SUBJECT_PAGES[subject[0]]}{subject[1]}" if subject else "/tasks",
    )


@router.get("/tasks/{task_id}")
def read_task(session: SessionDep, web: WebDep, task_id: uuid.UUID) -> HTMLResponse:
    """One task (the page the e-mail about an assigned task links to)."""
    principal = web.require(*permissions.HANDLERS)
    task = task_service.get_readable(session, principal, task_id)
    read = task_service.to_read(session, task, principal)
    field, subject_id = task_service.subject_of(task)
    moves = TASK_WORKFLOW.next_statuses(task.status, principal.role)
    return web.render(
        "task.html",
        title=web.t.gettext("Task"),
        task=read,
        subject_url=f"{SUBJECT_PAGES[field]}{subject_id}",
        subject_field=field,
        moves=moves,
    )


@router.post("/tasks/{task_id}/status")
def set_status(session: SessionDep, web: WebDep, task_id: uuid.UUID) -> Response:
    principal = web.require(*permissions.HANDLERS)
    task = task_service.get_readable(session, principal, task_id)
    form = web.form
    version = forms.text(form, "version")
    back = safe_next(forms.text(form, "next"), "/tasks")
    try:
        change = forms.validate(web.t, TaskUpdate, {"status": forms.text(form, "to")})
        with attempt(session):
            task_service.update_task(
                session, principal, task, change, if_match=f'"{version}"' if version else None
            )
    except ProblemError as exc:
        _ = web.t.gettext
        message = {
            412: _("Someone changed this task while you were reading it. Look again."),
            409: _("This task cannot be moved that way now."),
        }.get(exc.status, _("This value is not valid."))
        return web.render(
            "error.html", status=exc.status, title=_("Not possible now"), message=message
        )
    return web.redirect(back)
