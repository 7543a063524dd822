from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from casework.auth.schemas import ActorCode
from casework.core.fields import PastMoment
from casework.core.schemas import ReadModel, WriteModel
from casework.reference.vocabularies import ConsentGivenBy, ConsentPurpose, Service

Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class ConsentCreate(WriteModel):
    id: uuid.UUID | None = Field(default=None, description="Client-generated id (safe retries)")
    person_id: uuid.UUID | None = None
    sgbv_case_id: uuid.UUID | None = None
    purpose: ConsentPurpose
    actors: list[ActorCode] = Field(default_factory=list, max_length=50)
    services: list[Service] = Field(default_factory=list, max_length=len(Service))
    given_by: ConsentGivenBy
    given_at: PastMoment

    @model_validator(mode="after")
    def _shape(self) -> ConsentCreate:
        if (self.person_id is None) == (self.sgbv_case_id is None):
            raise ValueError("give exactly one of person_id and sgbv_case_id")
        if self.purpose is ConsentPurpose.services and (not self.actors or not self.services):
            raise ValueError("a services consent names the actors and the services it covers")
        return self


class ConsentWithdraw(WriteModel):
    reason: Reason


class ConsentRead(ReadModel):
    id: uuid.UUID
    person_id: uuid.UUID | None
    sgbv_case_id: uuid.UUID | None
    purpose: ConsentPurpose
    actors: list[str]
    services: list[Service]
    given_by: ConsentGivenBy
    given_at: datetime
    in_force: bool
    withdrawn_at: datetime | None
    withdrawal_reason: str | None
    version: int
    created_at: datetime


class ConsentQuery(WriteModel):
    person_id: uuid.UUID | None = None
    sgbv_case_id: uuid.UUID | None = None
    purpose: ConsentPurpose | None = None
    in_force: bool | None = None
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=200)
