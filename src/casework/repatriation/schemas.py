from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from casework.core.fields import CountryCode, ShortText
from casework.core.schemas import ReadModel, WriteModel
from casework.reference.vocabularies import RepatriationStatus

Note = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
DestinationPCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z]{2}[0-9]*$", max_length=16, to_upper=True),
    Field(examples=["CF71"]),
]


class RepatriationCreate(WriteModel):
    id: uuid.UUID | None = Field(default=None, description="Client-generated id (safe retries)")
    principal_person_id: uuid.UUID
    member_person_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    household_size: int = Field(ge=1, le=100)
    country_of_asylum: CountryCode
    country_of_origin: CountryCode
    destination: ShortText = Field(description="Place name, e.g. Bangui")
    destination_pcode: DestinationPCode | None = Field(
        default=None, description="P-code of the destination in the country of origin"
    )

    @model_validator(mode="after")
    def _household(self) -> RepatriationCreate:
        if self.principal_person_id in self.member_person_ids:
            raise ValueError("the principal person is not also a member")
        if len(set(self.member_person_ids)) != len(self.member_person_ids):
            raise ValueError("a member is listed twice")
        if self.household_size < 1 + len(self.member_person_ids):
            raise ValueError("household_size counts the principal and every member")
        if self.country_of_asylum == self.country_of_origin:
            raise ValueError("country of asylum and country of origin are the same")
        return self


class RepatriationUpdate(WriteModel):
    household_size: int | None = Field(default=None, ge=1, le=100)
    destination: ShortText | None = None
    destination_pcode: DestinationPCode | None = None

    @model_validator(mode="before")
    @classmethod
    def _required_fields_not_null(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in ("household_size", "destination"):
                if name in data and data[name] is None:
                    raise ValueError(f"{name} cannot be null")
        return data


class RepatriationTransition(WriteModel):
    to: RepatriationStatus
    note: Note | None = Field(default=None, description="Required for withdrawn and suspended")


class RepatriationRead(ReadModel):
    id: uuid.UUID
    principal_person_id: uuid.UUID
    member_person_ids: list[uuid.UUID]
    household_size: int
    country_of_asylum: str
    country_of_origin: str
    destination: str
    destination_pcode: str | None
    status: RepatriationStatus
    suspended_from: RepatriationStatus | None
    voluntariness_verified_by: uuid.UUID | None
    voluntariness_verified_at: datetime | None
    region: str
    organization: str
    version: int
    created_at: datetime
    updated_at: datetime


class RepatriationEventRead(ReadModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    from_: RepatriationStatus | None = Field(alias="from")
    to: RepatriationStatus
    by: uuid.UUID
    by_username: str | None = Field(description="Who took the step")
    at: datetime
    note: str | None


class RepatriationHistory(ReadModel):
    items: list[RepatriationEventRead]


class RepatriationQuery(WriteModel):
    status: list[RepatriationStatus] | None = Field(default=None, max_length=8)
    destination: ShortText | None = None
    country_of_origin: CountryCode | None = None
    country_of_asylum: CountryCode | None = None
    person_id: uuid.UUID | None = Field(default=None, description="Principal or member")
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=200)
