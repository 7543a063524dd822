from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints, model_validator

from casework.core.fields import Admin2Code, PastDate, PCode
from casework.core.schemas import ReadModel, WriteModel
from casework.reference.vocabularies import (
    IncidentStatus,
    IncidentType,
    PerpetratorCategory,
    PopulationGroup,
    Urgency,
)

MAX_BATCH = 500


Locality = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=10_000)]
Count = Annotated[int, Field(ge=0, le=100_000)]


class Victims(WriteModel):
    female_adults: Count = 0
    male_adults: Count = 0
    female_children: Count = 0
    male_children: Count = 0


class IncidentCreate(WriteModel):
    id: uuid.UUID | None = Field(
        default=None,
        description="Client-generated id: re-sending the same create is safe (200, nothing new).",
    )
    occurred_on: PastDate
    region: PCode = Field(description="Admin1 P-code, e.g. ML07 (Gao)")
    admin2: Admin2Code | None = Field(default=None, description="Admin2 P-code inside region")
    locality: Locality | None = None
    incident_type: IncidentType
    perpetrator_category: PerpetratorCategory = PerpetratorCategory.unknown
    population_group: PopulationGroup | None = None
    victims: Victims = Field(default_factory=Victims)
    urgency: Urgency = Urgency.normal
    description: Description | None = Field(
        default=None,
        description="Narrative of the event. No victim names. Shown only to supervisors and "
        "the submitting organisation.",
    )


_REQUIRED_ON_PATCH = ("occurred_on", "region", "incident_type", "perpetrator_category", "urgency")


class IncidentUpdate(WriteModel):
    """Merge-patch: only the fields sent change; ``null`` clears an optional field."""

    occurred_on: PastDate | None = None
    region: PCode | None = None
    admin2: Admin2Code | None = None
    locality: Locality | None = None
    incident_type: IncidentType | None = None
    perpetrator_category: PerpetratorCategory | None = None
    population_group: PopulationGroup | None = None
    victims: Victims | None = None
    urgency: Urgency | None = None
    description: Description | None = None
    status: IncidentStatus | None = Field(default=None, description="Supervisors only")

    @model_validator(mode="before")
    @classmethod
    def _required_fields_not_null(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in (*_REQUIRED_ON_PATCH, "victims", "status"):
                if name in data and data[name] is None:
                    raise ValueError(f"{name} cannot be null")
        return data


class IncidentRead(ReadModel):
    id: uuid.UUID
    occurred_on: date
    region: str
    admin2: str | None
    code_set: str
    locality: str | None
    incident_type: IncidentType
    perpetrator_category: PerpetratorCategory
    population_group: PopulationGroup | None
    victims: Victims
    urgency: Urgency
    description: str | None = Field(
        description="null when the caller may not see it (not a supervisor, other organisation)"
    )
    status: IncidentStatus
    organization: str
    reported_by: uuid.UUID
    version: int
    created_at: datetime
    updated_at: datetime


class IncidentBatch(WriteModel):
    # Items are validated one by one in the service, so one bad item fails alone.
    items: list[Any] = Field(
        max_length=MAX_BATCH,
        description=f"Up to {MAX_BATCH} IncidentCreate objects",
        json_schema_extra={"items": {"$ref": "#/components/schemas/IncidentCreate"}},
    )


class BatchItemResult(ReadModel):
    index: int
    id: uuid.UUID | None
    status: int = Field(description="The HTTP status the item would have had alone")
    error: dict[str, Any] | None = Field(default=None, description="Problem details when it failed")


class BatchResult(ReadModel):
    results: list[BatchItemResult]


class IncidentQuery(WriteModel):
    """List filters; an unknown parameter is a 422, so a typo never returns everything."""

    region: list[PCode] | None = Field(default=None, max_length=50)
    admin2: Admin2Code | None = None
    incident_type: list[IncidentType] | None = Field(default=None, max_length=20)
    perpetrator_category: PerpetratorCategory | None = None
    population_group: PopulationGroup | None = None
    status: IncidentStatus | None = None
    urgency: Urgency | None = None
    occurred_from: date | None = None
    occurred_to: date | None = None
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _range(self) -> IncidentQuery:
        if self.occurred_from and self.occurred_to and self.occurred_from > self.occurred_to:
            raise ValueError("occurred_from is after occurred_to")
        return self
