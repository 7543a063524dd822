from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from casework.auth.principal import Principal, allow
from casework.core.config import get_settings
from casework.core.db import SessionDep
from casework.core.errors import problem_responses
from casework.reference.vocabularies import Role
from casework.reports import service as report_service
from casework.reports.schemas import AggregateQuery, AggregateResult, ReportFormat

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
    summary="Counts by dimension, with small cells suppressed",
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
