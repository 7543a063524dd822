"""The key figures of a monthly protection update, protected exactly as aggregates are."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework.auth.principal import Principal
from casework.core.config import Settings
from casework.reference.codesets import get_code_set
from casework.reference.vocabularies import LABELS, Concern, IncidentType, Role
from casework.repatriation.models import RepatriationFile
from casework.reports import service as report_service
from casework.reports.datasets import DATASETS
from casework.reports.protection import rule_for
from casework.reports.schemas import AggregateQuery, DatasetName

SOURCE = (
    "casework protection monitoring: incidents reported by protection monitors; referrals, "
    "counselling sessions and voluntary repatriation files registered by caseworkers"
)
MOST_FREQUENT = 3  # types named in "the most frequent were ..." (more when tied)


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
    by_type = leading(rows(DatasetName.incidents, "incident_type"), "incident_type", None)
    urgency = {r["urgency"]: r["count"] for r in rows(DatasetName.referrals, "urgency")}
    concerns = leading(rows(DatasetName.counselling, "concern"), "concern", MOST_FREQUENT)
    regions = sorted(principal.regions) if principal.role is Role.supervisor else []
    return {
        "month": month,
        "period": {"from": first.isoformat(), "to": last.isoformat()},
        "coverage": {"regions": regions or None},
        "source": SOURCE,
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
            "main_concerns": [{"concern": r["concern"], "count": r["count"]} for r in concerns],
        },
        "repatriation": {"in_process": _in_process(session, principal, last, settings)},
        "protection": {
            name.value: rule_for(DATASETS[name.value], settings).protection.model_dump()
            for name in DatasetName
        },
    }


def leading(rows: list[dict[str, Any]], key: str, top: int | None) -> list[dict[str, Any]]:
    """Published rows, largest first, ties in code order; with ``top``, the first ``top`` and
    every row tied with the last of them (never an arbitrary pick among equals)."""
    ordered = sorted(
        (r for r in rows if r["count"] is not None), key=lambda r: (-r["count"], str(r[key]))
    )
    if top is None or len(ordered) <= top:
        return ordered
    cut = ordered[top - 1]["count"]
    return [r for r in ordered if r["count"] >= cut]


def _in_process(
    session: Session, principal: Principal, last: date, settings: Settings
) -> int | None:
    """Files registered by the end of the month and not yet arrived or withdrawn."""
    end = datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC)
    stmt = select(func.count(), func.sum(RepatriationFile.record_key)).where(
        RepatriationFile.status.not_in(["arrived", "withdrawn"]),
        RepatriationFile.created_at < end,
    )
    if principal.role is Role.supervisor and principal.regions:
        stmt = stmt.where(RepatriationFile.region.in_(sorted(principal.regions)))
    count, key_sum = session.execute(stmt).one()
    rule = rule_for(DATASETS[DatasetName.repatriation.value], settings)
    return rule.publish(int(count or 0), int(key_sum or 0))


def as_markdown(figures: dict[str, Any], code_set: str) -> str:
    """The key figures as the opening of a monthly protection update."""
    regions = get_code_set(code_set).regions
    first, last = month_bounds(figures["month"])
    month_name = first.strftime("%B %Y")
    protection = figures["protection"]

    def region_name(code: str) -> str:
        return regions[code].name_fr if code in regions else code

    def count(value: int | None, one: str, many: str, dataset: str) -> str:
        """'1 protection incident', '79 protection incidents', 'At most 5 referrals'."""
        if value is None:
            return f"{_hidden(protection[dataset])} {many}"
        return f"{value:,} {one if value == 1 else many}"

    def verb(value: int | None, one: str, many: str) -> str:
        return one if value == 1 else many

    incidents = figures["incidents"]
    ordered = leading(incidents["by_region"], "region", None)
    places = [region_name(r["region"]) for r in ordered]
    labels = LABELS[IncidentType]
    frequent = [
        f"{labels[t['incident_type']][0].lower()} ({t['count']:,})"
        for t in leading(incidents["by_type"], "incident_type", MOST_FREQUENT)
    ]
    concern_labels = LABELS[Concern]
    concerns = [
        concern_labels[c["concern"]][0].lower() for c in figures["counselling"]["main_concerns"]
    ]
    covered = figures["coverage"]["regions"]
    coverage = _listing([region_name(code) for code in covered]) if covered else "all regions"
    total = incidents["total"]
    referrals = figures["referrals"]
    sessions = figures["counselling"]["sessions"]
    in_process = figures["repatriation"]["in_process"]
    people = protection["referrals"]
    lines = [
        f"# Protection monitoring update, {month_name}",
        "",
        f"**Period:** {first.day} to {last.day} {month_name}. **Coverage:** {coverage}. "
        f"**Source:** {figures['source']}.",
        "",
        "## Key figures",
        "",
        _sentence(
            f"**{count(total, 'protection incident', 'protection incidents', 'incidents')}** "
            f"{verb(total, 'was', 'were')} registered in {month_name}"
            + (f" in {_listing(places)}" if places and total else "")
            + f"; **{count(incidents['year_to_date'], 'incident', 'incidents', 'incidents')} "
            "since January**."
            + (
                f" The most frequent {'was' if len(frequent) == 1 else 'were'} "
                f"{_listing(frequent)}."
                if frequent and total
                else ""
            )
        ),
        _sentence(
            f"**{count(referrals['total'], 'referral', 'referrals', 'referrals')}** "
            f"{verb(referrals['total'], 'was', 'were')} made to response actors"
            + (
                f", {_urgent(referrals['urgent'], people)} of them urgent."
                if referrals["total"] != 0
                else "."
            )
        ),
        _sentence(
            f"**{count(sessions, 'counselling session', 'counselling sessions', 'counselling')}**"
            f" {verb(sessions, 'was', 'were')} held"
            + (
                f"; the main {'concern was' if len(concerns) == 1 else 'concerns were'} "
                f"{_listing(concerns)}."
                if concerns
                else "."
            )
        ),
        _sentence(
            f"**{count(in_process, 'voluntary repatriation file', 'voluntary repatriation files', 'repatriation')}** "  # noqa: E501
            f"{verb(in_process, 'is', 'are')} in process."
        ),
        "",
        _protection_line(protection["incidents"], people),
    ]
    return "\n".join(lines) + "\n"


def _hidden(protection: dict[str, Any]) -> str:
    """How a hidden figure reads: its true value lies in 0..D (cell key) or 1..k-1."""
    if protection["method"] == "cell_key":
        return f"At most {protection['max_deviation']}"
    return f"Fewer than {protection['threshold']}"


def _urgent(value: int | None, protection: dict[str, Any]) -> str:
    return _hidden(protection).lower() if value is None else f"{value:,}"


def _protection_line(incidents: dict[str, Any], people: dict[str, Any]) -> str:
    exact = (
        "Incident figures are exact."
        if incidents["method"] == "none"
        else f"Incident figures below {incidents['threshold']} are not published."
    )
    if people["method"] != "cell_key":  # pragma: no cover - people datasets always are
        return exact
    return (
        f"_{exact} Counts of people (referrals, counselling sessions, repatriation files) are "
        f"protected by the cell-key method: each may differ from the true count by up to "
        f"{people['max_deviation']}, no figure between 1 and {people['threshold'] - 1} is "
        f"published, and totals are protected on their own, so they may not equal the sum of "
        f"their parts._"
    )


def _sentence(text: str) -> str:
    """Sentences start with a capital, even after bold markers."""
    marker = "**" if text.startswith("**") else ""
    body = text[len(marker) :]
    return marker + body[:1].upper() + body[1:]


def _listing(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" and {items[-1]}"
