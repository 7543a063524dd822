from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from casework.core.schemas import ReadModel, WriteModel
from casework.reference.vocabularies import TaskKind, TaskStatus
from casework.tasks.models import SUBJECT_FIELDS

Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
# A due date a person could mean: not before 2000, not after 2100.
DueDate = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]


class TaskCreate(WriteModel):
    id: uuid.UUID | None = Field(default=None, description="Client-generated id (safe retries)")
    title: Title = Field(description="What to do; encrypted at rest")
    kind: TaskKind = TaskKind.other
    person_id: uuid.UUID | None = None
    sgbv_case_id: uuid.UUID | None = None
    referral_id: uuid.UUID | None = None
    repatriation_file_id: uuid.UUID | None = None
    assignee: uuid.UUID | None = Field(
        default=None,
        description="User id; the caller by default. Must be able to read the subject.",
    )
    due_on: DueDate | None = None

    @model_validator(mode="after")
    def _one_subject(self) -> TaskCreate:
        if sum(getattr(self, name) is not None for name in SUBJECT_FIELDS) != 1:
            raise ValueError("give exactly one of " + ", ".join(SUBJECT_FIELDS))
        return self

    def subject(self) -> tuple[str, uuid.UUID]:
        for name in SUBJECT_FIELDS:
            value = getattr(self, name)
            if value is not None:
                return name, value
        raise AssertionError("validated: one subject")  # pragma: no cover


class TaskUpdate(WriteModel):
    title: Title | None = None
    kind: TaskKind | None = None
    assignee: uuid.UUID | None = None
    due_on: DueDate | None = None
    status: TaskStatus | None = None

    @model_validator(mode="before")
    @classmethod
    def _required_fields_not_null(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in ("title", "kind", "assignee", "status"):
                if name in data and data[name] is None:
                    raise ValueError(f"{name} cannot be null")
        return data


class TaskRead(ReadModel):
    id: uuid.UUID
    title: str
    kind: TaskKind
    person_id: uuid.UUID | None
    sgbv_case_id: uuid.UUID | None
    referral_id: uuid.UUID | None
    repatriation_file_id: uuid.UUID | None
    assignee: uuid.UUID
    assignee_username: str
    created_by: uuid.UUID
    due_on: date | None
    status: TaskStatus
    overdue: bool = Field(description="Open and past its due date")
    completed_at: datetime | None
    automatic: bool = Field(
        description="Made by the system (a referral sent, a counselling follow-up)"
    )
    organization: str
    version: int
    created_at: datetime
    updated_at: datetime


class TaskQuery(WriteModel):
    status: list[TaskStatus] | None = Field(default=None, max_length=len(TaskStatus))
    assignee: Literal["me"] | uuid.UUID | None = Field(
        default=None, description="'me', or a user id"
    )
    overdue: bool | None = Field(default=None, description="true: open and past its due date")
    kind: TaskKind | None = None
    person_id: uuid.UUID | None = None
    sgbv_case_id: uuid.UUID | None = None
    referral_id: uuid.UUID | None = None
    repatriation_file_id: uuid.UUID | None = None
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=200)
