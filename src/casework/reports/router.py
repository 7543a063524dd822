from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from casework.auth.principal import Principal, allow
from casework.core.config import get_settings
from casework.core.conventions import JSON, check_accept
from casework.core.db import SessionDep
from casework.core.errors import InvalidInput, problem_responses
from casework.core.routing import api_router
from casework.reference.vocabularies import Role
from casework.reports import service as report_service
from casework.reports import sitrep as sitrep_service
from casework.reports.schemas import AggregateQuery, AggregateResult, Protection, ReportFormat
from casework.sgbv import incident_recorder
from casework.sgbv.schemas import IncidentRecorderQuery

router = api_router(prefix="/api/v1/reports", tags=["reports"])

Reporter = Annotated[
    Principal, Depends(allow(Role.reporting, Role.supervisor, Role.admin, api_keys=True))
]


CSV = "text/csv"
MARKDOWN = "text/markdown"
CSV_EXAMPLE = "region,incident_type,count,suppressed\nML07,extortion,12,false\nML05,robbery,,true\n"
HXL_EXAMPLE = (
    "region,incident_type,count,suppressed\n#adm1+code,#event+type,#indicator+num,#meta+suppressed\n"
    "ML07,extortion,12,false\n"
)
CSV_CONTENT = {
    CSV: {
        "schema": {"type": "string", "maxLength": 10_000_000},
        "examples": {
            "csv": {"summary": "CSV", "value": CSV_EXAMPLE},
            "hxl": {"summary": "?format=hxl: CSV with the HXL hashtag row", "value": HXL_EXAMPLE},
        },
    }
}


def _csv_response(result: AggregateResult, *, hxl: bool) -> Response:
    text = report_service.as_csv(result, hxl=hxl)
    return Response(text, media_type=f"{CSV}; charset=utf-8", headers={"Vary": "Accept"})


@router.get(
    "/aggregates",
    response_model=AggregateResult,
    responses={
        200: {
            "content": CSV_CONTENT,
            "description": "JSON, or CSV (Accept: text/csv or ?format=csv; ?format=hxl adds the "
            "HXL hashtag row). Accept is read with its q-values; ?format= overrides it.",
        },
        **problem_responses(401, 403, 406, 422),
    },
    summary="Counts by dimension; people counts protected by the cell-key method",
)
def aggregates(
    session: SessionDep,
    principal: Reporter,
    request: Request,
    response: Response,
    query: Annotated[AggregateQuery, Query()],
) -> AggregateResult | Response:
    """Counts of one dataset by up to three dimensions, in the caller's regions.

    Datasets that count people hide every small count (see `protection`); the same query
    always gets the same answer.
    """
    result = report_service.aggregate(session, principal, query, get_settings())
    if query.format is None:
        wanted = check_accept(request.headers.get("accept"), (JSON, CSV))
        response.headers["Vary"] = "Accept"
        if wanted == CSV:
            return _csv_response(result, hxl=False)
        return result
    if query.format is ReportFormat.json:
        return result
    return _csv_response(result, hxl=query.format is ReportFormat.hxl)


@router.get(
    "/aggregates.csv",
    response_class=Response,
    responses={
        200: {
            "content": CSV_CONTENT,
            "description": "The aggregates as CSV (HXL with ?format=hxl)",
        },
        **problem_responses(401, 403, 406, 422),
    },
    summary="The same counts as a CSV file (for spreadsheets and generated clients)",
)
def aggregates_csv(
    session: SessionDep,
    principal: Reporter,
    query: Annotated[AggregateQuery, Query()],
) -> Response:
    """Exactly `GET /aggregates` answered as CSV, whatever Accept says; `?format=hxl`
    adds the HXL hashtag row under the header, `?format=json` is 422 here."""
    if query.format is ReportFormat.json:
        raise InvalidInput(
            "This resource is CSV: use format=csv or format=hxl, or GET /aggregates for JSON.",
            errors=[{"loc": ["query", "format"], "msg": "csv or hxl", "type": "enum"}],
        )
    result = report_service.aggregate(session, principal, query, get_settings())
    return _csv_response(result, hxl=query.format is ReportFormat.hxl)


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
    str,
    Query(
        pattern=r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$",
        description="YYYY-MM, 1900 to 2099",
        examples=["2026-05"],
    ),
]


MARKDOWN_CONTENT = {
    MARKDOWN: {
        "schema": {"type": "string", "maxLength": 100_000},
        "example": "**79 protection incidents** were registered in May 2026 in Gao, Mopti ...",
    }
}


class SitrepFormat(StrEnum):
    json = "json"
    markdown = "markdown"


@router.get(
    "/sitrep",
    response_model=Sitrep,
    responses={
        200: {
            "content": MARKDOWN_CONTENT,
            "description": "JSON; the key-figures paragraph with Accept: text/markdown or "
            "?format=markdown",
        },
        **problem_responses(401, 403, 406, 422),
    },
    summary="Key figures of a monthly protection update (null: a hidden people count)",
)
def monthly_sitrep(
    session: SessionDep,
    principal: Reporter,
    request: Request,
    response: Response,
    month: Month,
    format: SitrepFormat | None = None,
) -> Sitrep | Response:
    """The figures of one month, built from the suppressed aggregates."""
    if format is None:
        wanted = check_accept(request.headers.get("accept"), (JSON, MARKDOWN))
        response.headers["Vary"] = "Accept"
    else:
        wanted = MARKDOWN if format is SitrepFormat.markdown else JSON
    settings = get_settings()
    figures = sitrep_service.sitrep(session, principal, month, settings)
    if wanted == MARKDOWN:
        return _markdown(figures, settings.code_set)
    return Sitrep.model_validate(figures)


@router.get(
    "/sitrep.md",
    response_class=Response,
    responses={
        200: {"content": MARKDOWN_CONTENT, "description": "The key-figures paragraph"},
        **problem_responses(401, 403, 406, 422),
    },
    summary="The monthly key figures as a Markdown paragraph",
)
def monthly_sitrep_markdown(session: SessionDep, principal: Reporter, month: Month) -> Response:
    """Exactly `GET /sitrep` answered as Markdown, whatever Accept says."""
    settings = get_settings()
    figures = sitrep_service.sitrep(session, principal, month, settings)
    return _markdown(figures, settings.code_set)


def _markdown(figures: dict[str, Any], code_set: str) -> Response:
    text = sitrep_service.as_markdown(figures, code_set)
    return Response(text, media_type=f"{MARKDOWN}; charset=utf-8", headers={"Vary": "Accept"})


# Record-level (de-identified, but one row per survivor): the people who hold the cases,
# never reporting tools or API keys.
GbvHandler = Annotated[Principal, Depends(allow(Role.gbv_caseworker, Role.supervisor))]


@router.get(
    "/gbv-incident-recorder",
    response_class=Response,
    responses={
        200: {
            "content": {
                incident_recorder.MEDIA_TYPE: {
                    "schema": {"type": "string", "format": "binary", "maxLength": 50_000_000}
                }
            },
            "description": "The Incident Recorder workbook (.xlsx), one row per incident",
        },
        **problem_responses(401, 403, 406, 422),
    },
    summary="GBVIMS Incident Recorder workbook of de-identified SGBV incidents",
)
def gbv_incident_recorder(
    session: SessionDep,
    principal: GbvHandler,
    request: Request,
    query: Annotated[IncidentRecorderQuery, Query()],
) -> Response:
    """The SGBV cases the caller may read whose incident falls in the period and whose
    survivor's `reporting` consent is in force, as the Incident Recorder's Incident Data
    sheet: no survivor code, date of birth or caseworker; a keyed incident id."""
    check_accept(request.headers.get("accept"), (incident_recorder.MEDIA_TYPE,))
    content, filename = incident_recorder.export(session, principal, query.date_from, query.date_to)
    return Response(
        content,
        media_type=incident_recorder.MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
