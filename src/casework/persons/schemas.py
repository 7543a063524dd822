from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from casework.cases.schemas import OwnerFilter
from casework.core.fields import CountryCode, PCode, ShortText
from casework.core.schemas import ReadModel, WriteModel
from casework.persons.duplicates import DEFAULT_MIN_SCORE
from casework.reference.vocabularies import CaseStatus, PopulationGroup, Sex


def _plausible_birth_year(year: int) -> int:
    if not 1900 <= year <= datetime.now(UTC).year:
        raise ValueError("must be between 1900 and this year")
    return year


RegistrationNumber = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Phone = Annotated[
    str,
    StringConstraints(pattern=r"^\+?[0-9][0-9 ()-]{4,24}$"),
    Field(examples=["+223 76 12 34 56"]),
]
BirthYear = Annotated[int, AfterValidator(_plausible_birth_year)]


class PersonCreate(WriteModel):
    id: uuid.UUID | None = Field(default=None, description="Client-generated id (safe retries)")
    registration_number: RegistrationNumber | None = Field(
        default=None, description="e.g. a proGres number; encrypted at rest"
    )
    full_name: ShortText = Field(description="Encrypted at rest")
    phone: Phone | None = Field(default=None, description="Encrypted at rest")
    sex: Sex
    birth_year: BirthYear | None = None
    nationality: CountryCode | None = Field(default=None, description="ISO 3166 alpha-3")
    population_group: PopulationGroup | None = None
    region: PCode


class PersonUpdate(WriteModel):
    registration_number: RegistrationNumber | None = None
    full_name: ShortText | None = None
    phone: Phone | None = None
    sex: Sex | None = None
    birth_year: BirthYear | None = None
    nationality: CountryCode | None = None
    population_group: PopulationGroup | None = None
    region: PCode | None = None

    @model_validator(mode="before")
    @classmethod
    def _required_fields_not_null(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in ("full_name", "sex", "region"):
                if name in data and data[name] is None:
                    raise ValueError(f"{name} cannot be null")
        return data


class PersonRead(ReadModel):
    id: uuid.UUID
    registration_number: str | None
    full_name: str
    phone: str | None
    sex: Sex
    birth_year: int | None
    nationality: str | None
    population_group: PopulationGroup | None
    region: str
    code_set: str
    organization: str
    status: CaseStatus
    merged_into: uuid.UUID | None = Field(
        default=None,
        description="Set once a supervisor merged this duplicate into that person (read-only)",
    )
    owner: uuid.UUID | None = Field(description="The caseworker responsible; null: unassigned")
    owner_username: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class PersonQuery(WriteModel):
    registration_number: RegistrationNumber | None = Field(
        default=None, description="Exact match (through a keyed hash, never by decrypting)"
    )
    region: list[PCode] | None = Field(default=None, max_length=50)
    sex: Sex | None = None
    population_group: PopulationGroup | None = None
    nationality: CountryCode | None = None
    owner: OwnerFilter | None = Field(
        default=None, description="me, none (unassigned) or a user id"
    )
    status: list[CaseStatus] | None = Field(default=None, max_length=2)
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=200)


class DuplicateQuery(WriteModel):
    min_score: float = Field(
        default=DEFAULT_MIN_SCORE, ge=0.0, le=1.0, description="Leave out candidates scoring less"
    )
    limit: int = Field(default=50, ge=1, le=200)


class DuplicateCandidate(ReadModel):
    person_id: uuid.UUID
    score: float = Field(description="0 to 1: how likely the same person")
    reasons: list[str] = Field(
        examples=[["same_registration_number", "similar_name", "same_birth_year", "same_sex"]]
    )


class DuplicateList(ReadModel):
    items: list[DuplicateCandidate]


class MergeRequest(WriteModel):
    duplicate_id: uuid.UUID = Field(description="The person merged into this one")
    note: ShortText | None = Field(default=None, description="Why (kept in both histories)")
