"""Reports: charts drawn on the server as SVG (they print and need no script), from the
protected aggregates service only; CSV and HXL downloads; the monthly sitrep page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from casework.core.db import SessionDep
from casework.core.errors import InvalidInput
from casework.reference.vocabularies import AcknowledgementBand, IncidentType, ReferralStatus, Role
from casework.reports import service as report_service
from casework.reports import sitrep as sitrep_service
from casework.reports.schemas import AggregateQuery
from casework.web import forms
from casework.web.core import Web, WebDep, WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)

REPORTERS = (Role.reporting, Role.supervisor, Role.admin)
BAR_HEIGHT, GAP, LABEL_WIDTH, CHART_WIDTH = 22, 6, 210, 640


@dataclass(frozen=True)
class Bar:
    label: str
    count: int | None  # None: suppressed (a small number the reports never publish)
    y: int
    width: int


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    bars: list[Bar]
    height: int
    download: str


def _period(web: Web) -> tuple[date, date]:
    params = web.request.query_params
    today = datetime.now(UTC).date()
    default_from = date(today.year - 1, today.month, 1)
    try:
        start = date.fromisoformat(params.get("from") or default_from.isoformat())
        end = date.fromisoformat(params.get("to") or today.isoformat())
    except ValueError:
        raise InvalidInput(web.t.gettext("Give a date.")) from None
    return start, end


def _rows(
    session: SessionDep, web: Web, dataset: str, group_by: str, start: date, end: date
) -> list[dict[str, Any]]:
    query = AggregateQuery.model_validate(
        {"dataset": dataset, "group_by": group_by, "from": start, "to": end}
    )
    return report_service.aggregate(session, web.me, query, web.settings).rows


def _chart(key: str, title: str, rows: list[tuple[str, int | None]], download: str) -> Chart:
    largest = max((count or 0 for _, count in rows), default=0) or 1
    bars = [
        Bar(
            label=label,
            count=count,
            y=index * (BAR_HEIGHT + GAP),
            width=round((count or 0) / largest * (CHART_WIDTH - LABEL_WIDTH - 60)),
        )
        for index, (label, count) in enumerate(rows)
    ]
    return Chart(key, title, bars, max(len(bars), 1) * (BAR_HEIGHT + GAP), download)


@router.get("/reports")
def dashboard(session: SessionDep, web: WebDep) -> HTMLResponse:
    web.require(*REPORTERS)
    start, end = _period(web)
    t, code_set = web.t, web.settings.code_set
    span = f"from={start.isoformat()}&to={end.isoformat()}"

    def link(dataset: str, group_by: str) -> str:
        return f"/reports/download?dataset={dataset}&group_by={group_by}&{span}"

    by_region = _rows(session, web, "incidents", "region", start, end)
    by_month = _rows(session, web, "incidents", "month", start, end)
    by_type = _rows(session, web, "incidents", "incident_type", start, end)
    by_actor = _rows(session, web, "referrals", "actor", start, end)
    by_status = _rows(session, web, "referrals", "status", start, end)
    by_acknowledgement = _rows(session, web, "referrals", "acknowledgement", start, end)
    band_order = {band.value: index for index, band in enumerate(AcknowledgementBand)}
    charts = [
        _chart(
            "region",
            t.gettext("Incidents by region"),
            [(t.region(code_set, r["region"]), r["count"]) for r in by_region],
            link("incidents", "region"),
        ),
        _chart(
            "month",
            t.gettext("Incidents by month"),
            [(r["month"], r["count"]) for r in by_month],
            link("incidents", "month"),
        ),
        _chart(
            "type",
            t.gettext("Incidents by type"),
            sorted(
                ((t.label(IncidentType, r["incident_type"]), r["count"]) for r in by_type),
                key=lambda item: -(item[1] or 0),
            ),
            link("incidents", "incident_type"),
        ),
        _chart(
            "actor",
            t.gettext("Referrals by actor"),
            [(r["actor"], r["count"]) for r in by_actor],
            link("referrals", "actor"),
        ),
        _chart(
            "status",
            t.gettext("Referrals by status"),
            [(t.label(ReferralStatus, r["status"]), r["count"]) for r in by_status],
            link("referrals", "status"),
        ),
        _chart(
            "acknowledgement",
            t.gettext("Referrals by time to acknowledgement"),
            [
                (t.label(AcknowledgementBand, r["acknowledgement"]), r["count"])
                for r in sorted(
                    by_acknowledgement, key=lambda r: band_order.get(r["acknowledgement"], 99)
                )
            ],
            link("referrals", "acknowledgement"),
        ),
    ]
    return web.render(
        "reports.html",
        title=t.gettext("Reports"),
        charts=charts,
        start=start,
        end=end,
        label_width=LABEL_WIDTH,
        chart_width=CHART_WIDTH,
        bar_height=BAR_HEIGHT,
        month=end.strftime("%Y-%m"),
    )


@router.get("/reports/download")
def download(session: SessionDep, web: WebDep) -> Response:
    """The same table as the API's aggregates, as CSV or HXL, for the browser."""
    web.require(*REPORTERS)
    params = web.request.query_params
    raw = {
        name: params.get(name)
        for name in ("dataset", "group_by", "from", "to", "format")
        if params.get(name)
    }
    query = forms.validate(web.t, AggregateQuery, raw)
    result = report_service.aggregate(session, web.me, query, web.settings)
    hxl = params.get("format") == "hxl"
    filename = f"casework-{query.dataset.value}-{'-'.join(result.group_by) or 'total'}"
    return Response(
        report_service.as_csv(result, hxl=hxl),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}{"-hxl" if hxl else ""}.csv"'
        },
    )


@router.get("/reports/sitrep")
def sitrep(session: SessionDep, web: WebDep) -> HTMLResponse:
    """The monthly situation report's key figures, as a page that prints."""
    web.require(*REPORTERS)
    month = web.request.query_params.get("month") or datetime.now(UTC).strftime("%Y-%m")
    try:
        first, _last = sitrep_service.month_bounds(month)
    except ValueError:
        raise InvalidInput(web.t.gettext("Give a month.")) from None
    figures = sitrep_service.sitrep(session, web.me, month, web.settings)
    return web.render(
        "sitrep.html",
        title=web.t.gettext("Monthly situation report"),
        figures=figures,
        month_name=web.t.month(first),
        month=month,
    )
