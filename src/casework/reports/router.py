from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from casework.auth.principal import Principal, allow
from casework.core.config import get_settings
from casework.core.db import SessionDep
from casework.core.errors import problem_responses
from casework.reference.vocabularies import Role
from casework.reports import service as report_service
from casework.reports import sitrep as sitrep_service
from casework.reports.schemas import AggregateQuery, AggregateResult, Protection, ReportFormat

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

Reporter = Annotated[
    Principal, Depends(allow(Role.reporting, Role.supervisor, Role.admin, api_keys=True))
]


@router.get(
    "/aggregates",
    response_model=AggregateResult,
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
            },
            "description": "JSON; CSV with Accept: text/csv or ?format=csv; "
            "?format=hxl adds the HXL hashtag row",
        },
        **problem_responses(401, 403, 422),
    },
    summary="Counts by dimension; people counts protected by the cell-key method",
)
def aggregates(
    session: SessionDep,
    principal: Reporter,
    request: Request,
    query: Annotated[AggregateQuery, Query()],
) -> AggregateResult | Response:
    result = report_service.aggregate(session, principal, query, get_settings())
    wants_csv = "text/csv" in request.headers.get("accept", "")
    if query.format is ReportFormat.hxl or wants_csv or query.format is ReportFormat.csv:
        text = report_service.as_csv(result, hxl=query.format is ReportFormat.hxl)
        return Response(text, media_type="text/csv; charset=utf-8")
    return result


class SitrepRegion(BaseModel):
    region: str
    count: int | None


class SitrepType(BaseModel):
    incident_type: str
    count: int | None


class SitrepIncidents(BaseModel):
    total: int | None
    year_to_date: int | None
    by_region: list[SitrepRegion]
    by_type: list[SitrepType]


class SitrepConcern(BaseModel):
    concern: str
    count: int | None


class SitrepReferrals(BaseModel):
    total: int | None
    urgent: int | None


class SitrepCounselling(BaseModel):
    sessions: int | None
    main_concerns: list[SitrepConcern]


class SitrepRepatriation(BaseModel):
    in_process: int | None


class SitrepPeriod(BaseModel):
    from_: str = Field(alias="from", serialization_alias="from")
    to: str


class SitrepCoverage(BaseModel):
    regions: list[str] | None = Field(description="The caller's regions; null: every region")


class Sitrep(BaseModel):
    month: str
    period: SitrepPeriod
    coverage: SitrepCoverage
    source: str
    incidents: SitrepIncidents
    referrals: SitrepReferrals
    counselling: SitrepCounselling
    repatriation: SitrepRepatriation
    protection: dict[str, Protection] = Field(
        description="How each dataset's figures are protected, as in aggregates"
    )


Month = Annotated[
    str, Query(pattern=r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$", description="YYYY-MM, 1900 to 2099")
]


@router.get(
    "/sitrep",
    response_model=Sitrep,
    responses={
        200: {
            "content": {"text/markdown": {"schema": {"type": "string"}}},
            "description": "JSON; the key-figures paragraph with Accept: text/markdown",
        },
        **problem_responses(401, 403, 422),
    },
    summary="Key figures of a monthly protection update (null: a hidden people count)",
)
def monthly_sitrep(
    session: SessionDep, principal: Reporter, request: Request, month: Month
) -> Sitrep | Response:
    settings = get_settings()
    figures = sitrep_service.sitrep(session, principal, month, settings)
    if "text/markdown" in request.headers.get("accept", ""):
        text = sitrep_service.as_markdown(figures, settings.code_set)
        return Response(text, media_type="text/markdown; charset=utf-8")
    return Sitrep.model_validate(figures)
