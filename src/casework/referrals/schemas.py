from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from casework.auth.schemas import ActorCode
from casework.core.fields import PCode
from casework.core.schemas import ReadModel, WriteModel
from casework.reference.vocabularies import ReferralKind, ReferralStatus, Service, Urgency

Note = Annotated[str, StringConstraints(min_length=1, max_length=4000)]


class ReferralCreate(WriteModel):
    id: uuid.UUID | None = Field(default=None, description="Client-generated id (safe retries)")
    incident_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    sgbv_case_id: uuid.UUID | None = None
    counselling_session_id: uuid.UUID | None = Field(
        default=None, description="The counselling session this referral follows up"
    )
    actor: ActorCode = Field(description="The actor's code, e.g. CVJR")
    services: list[Service] = Field(min_length=1, max_length=len(Service))
    urgency: Urgency = Urgency.normal
    note: Note | None = Field(default=None, description="For the actor; encrypted at rest")

    @model_validator(mode="after")
    def _one_subject(self) -> ReferralCreate:
        given = [self.incident_id, self.person_id, self.sgbv_case_id]
        if sum(value is not None for value in given) != 1:
            raise ValueError("give exactly one of incident_id, person_id and sgbv_case_id")
        return self

    @property
    def kind(self) -> ReferralKind:
        if self.incident_id is not None:
            return ReferralKind.incident
        return ReferralKind.person if self.person_id is not None else ReferralKind.sgbv


class ReferralTransition(WriteModel):
    to: ReferralStatus
    note: Note | None = None
    consent_override_reason: Note | None = Field(
        default=None,
        description="Supervisors only, when sending without a consent in force; kept in history",
    )


class ReferralRead(ReadModel):
    id: uuid.UUID
    kind: ReferralKind
    incident_id: uuid.UUID | None
    person_id: uuid.UUID | None
    sgbv_case_id: uuid.UUID | None
    counselling_session_id: uuid.UUID | None
    survivor_code: str | None
    actor: str
    services: list[Service]
    urgency: Urgency
    note: str | None
    status: ReferralStatus
    on_hold_from: ReferralStatus | None = Field(
        default=None, description="While on_hold: the status it returns to with a new consent"
    )
    region: str
    sent_at: datetime | None
    due_at: datetime | None
    overdue: bool
    organization: str
    version: int
    created_at: datetime
    updated_at: datetime


class FocalPointReferralRead(ReadModel):
    """What an actor's focal point sees: the minimum needed to act, nothing identifying."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    status: ReferralStatus
    actor: str
    services: list[Service]
    urgency: Urgency
    due_at: datetime | None
    overdue: bool
    note: str | None
    region: str
    survivor_code: str | None
    person_id: uuid.UUID | None


class ReferralEventRead(ReadModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    from_: ReferralStatus | None = Field(alias="from")
    to: ReferralStatus
    by: uuid.UUID | None = Field(
        description="null in a focal point's view, and for moves casework made itself"
    )
    by_username: str | None = Field(description="Who moved it; null in a focal point's view")
    at: datetime
    note: str | None
    consent_override_reason: str | None


class ReferralHistory(ReadModel):
    items: list[ReferralEventRead]


class ReferralQuery(WriteModel):
    status: list[ReferralStatus] | None = Field(default=None, max_length=8)
    actor: ActorCode | None = None
    kind: ReferralKind | None = None
    urgency: Urgency | None = None
    overdue: bool | None = Field(default=None, description="true: sent, not acknowledged in time")
    region: list[PCode] | None = Field(default=None, max_length=50)
    incident_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    sgbv_case_id: uuid.UUID | None = None
    counselling_session_id: uuid.UUID | None = None
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=200)
