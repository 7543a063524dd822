from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict, Field, model_validator

from casework.auth.schemas import OrgCode
from casework.cases.schemas import Note
from casework.core.schemas import ReadModel, WriteModel
from casework.reference.vocabularies import TransferStatus


class TransferKind(StrEnum):
    person = "person"
    sgbv = "sgbv"


class Direction(StrEnum):
    incoming = "incoming"
    outgoing = "outgoing"


class TransferCreate(WriteModel):
    id: uuid.UUID | None = Field(default=None, description="Client-generated id (safe retries)")
    person_id: uuid.UUID | None = None
    sgbv_case_id: uuid.UUID | None = None
    to_organization: OrgCode = Field(description="The receiving organisation's code")
    note: Note | None = Field(default=None, description="For the receiving organisation")
    consent_override_reason: Note | None = Field(
        default=None,
        description="Supervisors only, without a data_sharing consent in force; kept in history",
    )

    @model_validator(mode="after")
    def _one_subject(self) -> TransferCreate:
        if (self.person_id is None) == (self.sgbv_case_id is None):
            raise ValueError("give exactly one of person_id and sgbv_case_id")
        return self

    @property
    def kind(self) -> TransferKind:
        return TransferKind.person if self.person_id is not None else TransferKind.sgbv


class TransferTransition(WriteModel):
    to: TransferStatus
    note: Note | None = Field(default=None, description="Required to reject")


class TransferRead(ReadModel):
    id: uuid.UUID
    kind: TransferKind
    person_id: uuid.UUID | None
    sgbv_case_id: uuid.UUID | None
    status: TransferStatus
    from_organization: str
    to_organization: str
    region: str
    note: str | None
    requested_by: uuid.UUID
    requested_by_username: str
    decided_by: uuid.UUID | None
    decided_by_username: str | None
    decided_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class TransferEventRead(ReadModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    from_: TransferStatus | None = Field(alias="from")
    to: TransferStatus
    by: uuid.UUID
    by_username: str
    at: datetime
    note: str | None
    consent_override_reason: str | None


class TransferHistory(ReadModel):
    items: list[TransferEventRead]


class TransferQuery(WriteModel):
    direction: Direction | None = Field(
        default=None, description="incoming: to your organisation; outgoing: from it"
    )
    status: list[TransferStatus] | None = Field(default=None, max_length=4)
    kind: TransferKind | None = None
    person_id: uuid.UUID | None = None
    sgbv_case_id: uuid.UUID | None = None
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=200)
