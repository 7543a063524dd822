from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints, model_validator

from casework.cases.schemas import OwnerFilter
from casework.core.fields import Admin2Code, LongText, PastDate, PCode
from casework.core.schemas import ReadModel, WriteModel
from casework.reference.vocabularies import GbvType, Service, SgbvCaseStatus

# Codes, not names: upper-case letters, digits and dashes only (e.g. GAO-2024-017).
SurvivorCode = Annotated[
    str,
    StringConstraints(min_length=3, max_length=32, pattern=r"^[A-Z0-9][A-Z0-9-]*$"),
    Field(examples=["GAO-2026-0042"]),
]


class SgbvCaseCreate(WriteModel):
    id: uuid.UUID | None = Field(default=None, description="Client-generated id (safe retries)")
    survivor_code: SurvivorCode = Field(description="A code, never a name")
    gbv_type: GbvType
    occurred_on: PastDate
    region: PCode
    admin2: Admin2Code | None = None
    services_needed: list[Service] = Field(default_factory=list, max_length=len(Service))
    narrative: LongText | None = Field(default=None, description="Encrypted at rest")
    person_id: uuid.UUID | None = None


class SgbvCaseUpdate(WriteModel):
    gbv_type: GbvType | None = None
    occurred_on: PastDate | None = None
    region: PCode | None = None
    admin2: Admin2Code | None = None
    services_needed: list[Service] | None = Field(default=None, max_length=len(Service))
    narrative: LongText | None = None
    person_id: uuid.UUID | None = None

    @model_validator(mode="before")
    @classmethod
    def _required_fields_not_null(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in ("gbv_type", "occurred_on", "region", "services_needed"):
                if name in data and data[name] is None:
                    raise ValueError(f"{name} cannot be null")
        return data


class SgbvCaseRead(ReadModel):
    id: uuid.UUID
    survivor_code: str
    gbv_type: GbvType
    occurred_on: date
    region: str
    admin2: str | None
    code_set: str
    services_needed: list[Service]
    narrative: str | None
    person_id: uuid.UUID | None
    organization: str
    status: SgbvCaseStatus
    owner: uuid.UUID | None = Field(description="The GBV caseworker responsible; null: unassigned")
    owner_username: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class SgbvCaseQuery(WriteModel):
    survivor_code: SurvivorCode | None = None
    region: list[PCode] | None = Field(default=None, max_length=50)
    gbv_type: GbvType | None = None
    occurred_from: date | None = None
    occurred_to: date | None = None
    owner: OwnerFilter | None = Field(
        default=None, description="me, none (unassigned) or a user id"
    )
    status: list[SgbvCaseStatus] | None = Field(default=None, max_length=3)
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=200)
