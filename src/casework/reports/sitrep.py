"""The key figures of a monthly protection update, with the same suppression as aggregates."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework.auth.principal import Principal
from casework.core.config import Settings
from casework.reference.codesets import get_code_set
from casework.reference.vocabularies import LABELS, Concern, IncidentType, Role
from casework.repatriation.models import RepatriationFile
from casework.reports import service as report_service
from casework.reports.schemas import AggregateQuery, DatasetName
from casework.reports.suppression import suppress


def month_bounds(month: str) -> tuple[date, date]:
    year, number = (int(part) for part in month.split("-"))
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])


def sitrep(
    session: Session, principal: Principal, month: str, settings: Settings
) -> dict[str, Any]:
    first, last = month_bounds(month)

    def rows(
        dataset: DatasetName, group_by: str | None, start: date = first
    ) -> list[dict[str, Any]]:
        query = AggregateQuery.model_validate(
            {"dataset": dataset, "group_by": group_by, "from": start, "to": last}
        )
        return report_service.aggregate(session, principal, query, settings).rows

    def total(dataset: DatasetName, start: date = first) -> int | None:
        found = rows(dataset, None, start)
        return found[0]["count"] if found else 0

    by_region = rows(DatasetName.incidents, "region")
    by_type = sorted(rows(DatasetName.incidents, "incident_type"), key=lambda r: -(r["count"] or 0))
    urgency = {r["urgency"]: r["count"] for r in rows(DatasetName.referrals, "urgency")}
    concerns = sorted(
        (r for r in rows(DatasetName.counselling, "concern") if r["count"]),
        key=lambda r: -r["count"],
    )
    return {
        "month": month,
        "incidents": {
            "total": total(DatasetName.incidents),
            "year_to_date": total(DatasetName.incidents, date(first.year, 1, 1)),
            "by_region": [{"region": r["region"], "count": r["count"]} for r in by_region],
            "by_type": [
                {"incident_type": r["incident_type"], "count": r["count"]} for r in by_type
            ],
        },
        "referrals": {
            "total": total(DatasetName.referrals),
            "urgent": urgency.get("urgent", 0),
        },
        "counselling": {
            "sessions": total(DatasetName.counselling),
            "main_concerns": [{"concern": r["concern"], "count": r["count"]} for r in concerns[:3]],
        },
        "repatriation": {"in_process": _in_process(session, principal, last, settings)},
    }


def _in_process(
    session: Session, principal: Principal, last: date, settings: Settings
) -> int | None:
    """Files registered by the end of the month and not yet arrived or withdrawn."""
    stmt = (
        select(func.count())
        .select_from(RepatriationFile)
        .where(
            RepatriationFile.status.not_in(["arrived", "withdrawn"]),
            func.date(RepatriationFile.created_at) <= last,
        )
    )
    if principal.role is Role.supervisor and principal.regions:
        stmt = stmt.where(RepatriationFile.region.in_(sorted(principal.regions)))
    count = session.scalar(stmt) or 0
    hidden = suppress({(): count} if count else {}, settings.report_threshold_repatriation)
    return None if hidden else count


def as_markdown(figures: dict[str, Any], code_set: str) -> str:
    """The key-figures paragraph of a protection update."""
    regions = get_code_set(code_set).regions
    first, _ = month_bounds(figures["month"])
    month_name = first.strftime("%B %Y")

    def n(value: int | None) -> str:
        return "fewer than 5" if value is None else f"{value:,}"

    incidents = figures["incidents"]
    busiest_first = sorted(incidents["by_region"], key=lambda r: -(r["count"] or 0))
    places = [
        regions[r["region"]].name_fr if r["region"] in regions else r["region"]
        for r in busiest_first
    ]
    where = ", ".join(places[:-1]) + f" and {places[-1]}" if len(places) > 1 else "".join(places)
    labels = LABELS[IncidentType]
    frequent = ", ".join(
        f"{labels[t['incident_type']][0].lower()} ({n(t['count'])})"
        for t in incidents["by_type"][:3]
    )
    concern_labels = LABELS[Concern]
    concerns = ", ".join(
        concern_labels[c["concern"]][0].lower() for c in figures["counselling"]["main_concerns"]
    )
    lines = [
        f"## Key figures, {month_name}",
        "",
        f"**{n(incidents['total'])} protection incidents** were registered in {month_name}"
        + (f" in {where}" if where else "")
        + f"; **{n(incidents['year_to_date'])} since January**."
        + (f" The most frequent were {frequent}." if frequent else ""),
        f"**{n(figures['referrals']['total'])} referrals** were made to response actors, "
        f"{n(figures['referrals']['urgent'])} of them urgent.",
        f"**{n(figures['counselling']['sessions'])} counselling sessions** were held"
        + (f"; the main concerns were {concerns}." if concerns else "."),
        f"**{n(figures['repatriation']['in_process'])} voluntary repatriation files** "
        "are in process.",
    ]
    return "\n".join(lines) + "\n"
