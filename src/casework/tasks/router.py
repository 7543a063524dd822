from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Response

from casework.auth.principal import Principal, allow
from casework.core.concurrency import IfMatchHeader, set_etag
from casework.core.db import SessionDep
from casework.core.errors import problem_responses
from casework.core.pagination import Page
from casework.core.routing import api_router
from casework.tasks import permissions
from casework.tasks import service as task_service
from casework.tasks.schemas import TaskCreate, TaskQuery, TaskRead, TaskUpdate

router = api_router(prefix="/api/v1/tasks", tags=["tasks"])

Handler = Annotated[Principal, Depends(allow(*permissions.HANDLERS))]


@router.post(
    "",
    response_model=TaskRead,
    status_code=201,
    responses={
        200: {"model": TaskRead, "description": "Replay of an identical earlier create"},
        **problem_responses(401, 403, 409, 413, 422),
    },
    summary="Make a task about a person, an SGBV case, a referral or a repatriation file",
)
def create_task(
    session: SessionDep, principal: Handler, body: TaskCreate, response: Response
) -> TaskRead:
    task, created = task_service.create_task(session, principal, body)
    response.status_code = 201 if created else 200
    set_etag(response, task.version)
    return task_service.to_read(session, task, principal)


@router.get(
    "",
    response_model=Page[TaskRead],
    responses=problem_responses(401, 403, 422),
    summary="Tasks you may see; ?assignee=me, ?status=open, ?overdue=true",
)
def list_tasks(
    session: SessionDep, principal: Handler, query: Annotated[TaskQuery, Query()]
) -> Page[TaskRead]:
    rows, next_cursor = task_service.list_readable(session, principal, query)
    return Page(items=task_service.to_reads(session, rows, principal), next_cursor=next_cursor)


@router.get("/{task_id}", response_model=TaskRead, responses=problem_responses(401, 403, 404, 422))
def read_task(
    session: SessionDep, principal: Handler, task_id: uuid.UUID, response: Response
) -> TaskRead:
    task = task_service.get_readable(session, principal, task_id)
    set_etag(response, task.version)
    return task_service.to_read(session, task, principal)


@router.patch(
    "/{task_id}",
    response_model=TaskRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
    summary="Change a task: title, kind, assignee, due date, status (open, done, cancelled)",
)
def update_task(
    session: SessionDep,
    principal: Handler,
    task_id: uuid.UUID,
    body: TaskUpdate,
    response: Response,
    if_match: IfMatchHeader = None,
) -> TaskRead:
    task = task_service.get_readable(session, principal, task_id)
    task_service.update_task(session, principal, task, body, if_match=if_match)
    set_etag(response, task.version)
    return task_service.to_read(session, task, principal)
