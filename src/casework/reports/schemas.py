from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

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


class Protection(BaseModel):
    """How the counts of a response are protected (docs/reports.md)."""

    method: Literal["cell_key", "threshold", "none"] = Field(
        description="cell_key: people counts, perturbed by the cell-key method; threshold: "
        "cells below the threshold hidden (incidents with a threshold set); none: exact"
    )
    threshold: int | None = Field(default=None, description="k: no published count lies in 1..k-1")
    max_deviation: int | None = Field(
        default=None, description="D: a published count is at most this far from the truth"
    )
    variance: float | None = Field(default=None, description="V: variance of the noise")
    js: int | None = Field(default=None, description="ptable's js = k - 1")
    ptable: str | None = Field(
        default=None, description="The same table in the sdcTools ptable R package"
    )


class AggregateResult(BaseModel):
    dataset: DatasetName
    group_by: list[str]
    threshold: int = Field(description="No published count lies in 1..threshold-1")
    protection: Protection
    rows: list[dict[str, Any]] = Field(
        description="One row per cell: the dimensions, count (null when hidden) and "
        "suppressed. Incidents: the cells that hold records. People: every cell of the "
        "dimensions' values, empty ones included, hidden like small ones"
    )
    suppressed_cells: int
