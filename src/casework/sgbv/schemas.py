from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints, model_validator

from casework.cases.schemas import OwnerFilter
from casework.core.fields import Admin2Code, LongText, PastDate, PCode
from casework.core.schemas import ReadModel, WriteModel
from casework.reference.vocabularies import (
    Abduction,
    Disability,
    DisplacementStatus,
    GbvimsAgeGroup,
    GbvimsSex,
    GbvLocationType,
    GbvType,
    HarmfulPractice,
    PerpetratorRelationship,
    PerpetratorSex,
    PreviouslyReported,
    Service,
    SgbvCaseStatus,
)

# Codes, not names: upper-case letters, digits and dashes only (e.g. GAO-2024-017).
SurvivorCode = Annotated[
    str,
    StringConstraints(min_length=3, max_length=32, pattern=r"^[A-Z0-9][A-Z0-9-]*$"),
    Field(examples=["GAO-2026-0042"]),
]


class Classification(WriteModel):
    """The GBVIMS classification tool's six questions; the first yes gives the GBV type."""

    penetration: bool = Field(
        default=False,
        description="Penetration, even slight, of the vagina, anus or mouth with a penis or "
        "other body part, or of the vagina or anus with an object (gives rape)",
    )
    unwanted_sexual_contact: bool = Field(
        default=False, description="Unwanted sexual contact without penetration (sexual_assault)"
    )
    physical_assault: bool = Field(
        default=False, description="Physical violence that is not sexual (physical_assault)"
    )
    forced_marriage: bool = Field(default=False, description="A forced marriage")
    denial_of_resources: bool = Field(
        default=False, description="Denial of resources, opportunities or services"
    )
    psychological_abuse: bool = Field(default=False, description="Psychological or emotional abuse")


class GbvimsIntake(WriteModel):
    """The GBVIMS intake data: all optional, so a first contact can be recorded quickly."""

    classification: Classification | None = Field(
        default=None, description="When given, gbv_type is derived from it (or checked)"
    )
    survivor_age_group: GbvimsAgeGroup | None = None
    survivor_sex: GbvimsSex | None = None
    displacement_status: DisplacementStatus | None = None
    disability: Disability | None = None
    first_reported_on: PastDate | None = Field(
        default=None, description="Date of the first report to any agency (the interview)"
    )
    location_type: GbvLocationType | None = None
    perpetrator_count: int | None = Field(
        default=None, ge=1, le=99, description="Alleged primary perpetrators; null: unknown"
    )
    perpetrator_sex: PerpetratorSex | None = None
    perpetrator_age_group: GbvimsAgeGroup | None = None
    perpetrator_relationship: PerpetratorRelationship | None = None
    previously_reported: PreviouslyReported | None = None
    harmful_practice: HarmfulPractice | None = None
    goods_exchanged: bool | None = Field(
        default=None, description="Money, goods, benefits or services exchanged"
    )
    abduction: Abduction | None = None


INTAKE_FIELDS = tuple(GbvimsIntake.model_fields)


class SgbvCaseCreate(GbvimsIntake):
    id: uuid.UUID | None = Field(default=None, description="Client-generated id (safe retries)")
    survivor_code: SurvivorCode = Field(description="A code, never a name")
    gbv_type: GbvType | None = Field(
        default=None, description="Required unless classification is given"
    )
    occurred_on: PastDate
    region: PCode
    admin2: Admin2Code | None = None
    services_needed: list[Service] = Field(default_factory=list, max_length=len(Service))
    narrative: LongText | None = Field(default=None, description="Encrypted at rest")
    person_id: uuid.UUID | None = None


class SgbvCaseUpdate(GbvimsIntake):
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
    classification: dict[str, bool] | None
    survivor_age_group: GbvimsAgeGroup | None
    survivor_sex: GbvimsSex | None
    displacement_status: DisplacementStatus | None
    disability: Disability | None
    first_reported_on: date | None
    reporting_delay_days: int | None = Field(description="Days from the incident to its report")
    reporting_delay: str | None = Field(description="The GBVIMS band, e.g. 0-3 days")
    location_type: GbvLocationType | None
    perpetrator_count: int | None
    perpetrator_sex: PerpetratorSex | None
    perpetrator_age_group: GbvimsAgeGroup | None
    perpetrator_relationship: PerpetratorRelationship | None
    previously_reported: PreviouslyReported | None
    harmful_practice: HarmfulPractice | None
    goods_exchanged: bool | None
    abduction: Abduction | None
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


class IncidentRecorderQuery(WriteModel):
    date_from: date = Field(alias="from", description="First day of the period (incident date)")
    date_to: date = Field(alias="to", description="Last day of the period, at most a year on")

    @model_validator(mode="after")
    def _a_period(self) -> IncidentRecorderQuery:
        if self.date_to < self.date_from:
            raise ValueError("to comes before from")
        if (self.date_to - self.date_from).days > 366:
            raise ValueError("a period of at most a year: export year by year")
        return self
