from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints, model_validator

from casework.core.fields import LongText, PastDate, PCode, ShortText
from casework.core.schemas import ReadModel, WriteModel
from casework.reference.vocabularies import AgeGroup, Concern, PopulationGroup, Sex

Outcome = Annotated[str, StringConstraints(min_length=1, max_length=500)]
FollowUpDate = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]


class CounsellingCreate(WriteModel):
    id: uuid.UUID | None = Field(default=None, description="Client-generated id (safe retries)")
    held_on: PastDate
    office: ShortText = Field(description="Office or place, e.g. 'Bamako reception'")
    person_id: uuid.UUID | None = Field(default=None, description="Omit for an anonymous visitor")
    sex: Sex | None = Field(default=None, description="Anonymous visitors only")
    age_group: AgeGroup | None = Field(default=None, description="Anonymous visitors only")
    population_group: PopulationGroup | None = None
    region: PCode | None = Field(default=None, description="Default: the person's region")
    concerns: list[Concern] = Field(min_length=1, max_length=len(Concern))
    notes: LongText | None = Field(default=None, description="Encrypted at rest")
    outcome: Outcome | None = None
    follow_up_on: FollowUpDate | None = Field(
        default=None, description="When to see the person again: makes a task for the counsellor"
    )

    @model_validator(mode="after")
    def _anonymous_or_person(self) -> CounsellingCreate:
        if self.person_id is None:
            if self.sex is None or self.region is None:
                raise ValueError("an anonymous session needs sex and region")
        elif self.sex is not None or self.age_group is not None:
            raise ValueError("sex and age_group are for anonymous visitors; the person has them")
        if self.person_id is None and self.follow_up_on is not None:
            raise ValueError("follow_up_on needs person_id: an anonymous visitor has no follow-up")
        return self


class CounsellingUpdate(WriteModel):
    held_on: PastDate | None = None
    office: ShortText | None = None
    concerns: list[Concern] | None = Field(default=None, min_length=1, max_length=len(Concern))
    notes: LongText | None = None
    outcome: Outcome | None = None
    follow_up_on: FollowUpDate | None = Field(
        default=None, description="Moves the follow-up task; null cancels it"
    )

    @model_validator(mode="before")
    @classmethod
    def _required_fields_not_null(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in ("held_on", "office", "concerns"):
                if name in data and data[name] is None:
                    raise ValueError(f"{name} cannot be null")
        return data


class CounsellingRead(ReadModel):
    id: uuid.UUID
    held_on: date
    office: str
    counsellor_id: uuid.UUID
    person_id: uuid.UUID | None
    sex: Sex | None
    age_group: AgeGroup | None
    population_group: PopulationGroup | None
    region: str
    concerns: list[Concern]
    notes: str | None
    outcome: str | None
    follow_up_on: date | None
    organization: str
    version: int
    created_at: datetime
    updated_at: datetime


class CounsellingQuery(WriteModel):
    held_from: date | None = None
    held_to: date | None = None
    office: ShortText | None = None
    concern: list[Concern] | None = Field(default=None, max_length=len(Concern))
    person_id: uuid.UUID | None = None
    region: list[PCode] | None = Field(default=None, max_length=50)
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=200)
