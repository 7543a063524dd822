from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field

from casework.core.fields import PCode
from casework.core.schemas import WriteModel


class DatasetName(StrEnum):
    incidents = "incidents"
    referrals = "referrals"
    sgbv = "sgbv"
    counselling = "counselling"
    repatriation = "repatriation"


class ReportFormat(StrEnum):
    json = "json"
    csv = "csv"
    hxl = "hxl"


class AggregateQuery(WriteModel):
    dataset: DatasetName
    group_by: Annotated[
        str | None,
        Field(default=None, max_length=200, description="Comma-separated dimensions"),
    ] = None
    date_from: date | None = Field(default=None, alias="from")
    date_to: date | None = Field(default=None, alias="to")
    region: list[PCode] | None = Field(default=None, max_length=50)
    incident_type: str | None = Field(default=None, max_length=32)
    gbv_type: str | None = Field(default=None, max_length=32)
    status: str | None = Field(default=None, max_length=32)
    actor: str | None = Field(default=None, max_length=64)
    format: ReportFormat | None = Field(
        default=None, description="json, csv or hxl; overrides Accept when given"
    )


class AggregateResult(BaseModel):
    dataset: DatasetName
    group_by: list[str]
    threshold: int = Field(description="Cells below this count are suppressed")
    rows: list[dict[str, Any]] = Field(
        description="One row per non-empty cell: the dimensions, count (null when "
        "suppressed) and suppressed"
    )
    suppressed_cells: int
