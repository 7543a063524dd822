"""What assignment, case moves and case history look like over the API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from casework.core.schemas import ReadModel, WriteModel
from casework.reference.vocabularies import CaseEventKind, CaseStatus, SgbvCaseStatus

Note = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
# ?owner=me (the caller), ?owner=none (unassigned) or a user id.
OwnerFilter = Annotated[
    str,
    StringConstraints(
        pattern=r"^(me|none|[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
        r"[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})$"
    ),
    Field(examples=["me"]),
]


OwnerRef = Annotated[str, StringConstraints(min_length=3, max_length=64)]


class AssignRequest(WriteModel):
    owner: OwnerRef = Field(
        description="The new owner's user id (or username): an active caseworker of the "
        "case's organisation"
    )
    note: Note | None = Field(default=None, description="Why; kept in the case's history")


class PersonTransition(WriteModel):
    to: CaseStatus
    note: Note | None = Field(default=None, description="Required to close and to reopen")


class SgbvCaseTransition(WriteModel):
    to: SgbvCaseStatus
    note: Note | None = Field(
        default=None, description="Required to request closure, to reject it and to reopen"
    )


class CaseEventRead(ReadModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    event: CaseEventKind
    from_: str | None = Field(alias="from", description="Status before; null for the creation")
    to: str = Field(description="Status after")
    by: uuid.UUID
    by_username: str
    at: datetime
    note: str | None = Field(
        description="null when written while another organisation held the case "
        "(shown to supervisors)"
    )
    owner: uuid.UUID | None = Field(description="Owner once the event happened")
    owner_username: str | None
    organization: str = Field(description="Organisation holding the case once the event happened")
    transfer_id: uuid.UUID | None


class CaseHistory(ReadModel):
    items: list[CaseEventRead]
