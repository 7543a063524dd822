"""Aggregates: one GROUP BY in the database (COUNT and SUM of record keys per cell), then
the protection of each cell in Python (reports/protection.py)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, literal
from sqlalchemy.orm import Session

from casework.auth.principal import Principal
from casework.core.config import Settings
from casework.core.db import UTCDateTime
from casework.core.errors import InvalidInput
from casework.reference.vocabularies import Role
from casework.reports import domains
from casework.reports.datasets import (
    DATASETS,
    FILTERS,
    PERIODS,
    Dataset,
    dimension_names,
    period,
)
from casework.reports.protection import rule_for
from casework.reports.schemas import AggregateQuery, AggregateResult

MAX_DIMENSIONS = 3

# HXL hashtags for each dimension, from the HXL 1.1 dictionary
# (https://hxlstandard.org/standard/1-1final/dictionary/). Categories of people are
# #beneficiary (the numeric people hashtags #population, #affected ... take numbers only);
# #group is kept for perpetrators (armed groups and other actors); places use +dest, +origin.
HXL_TAGS = {
    "region": "#adm1+code",
    "admin2": "#adm2+code",
    "month": "#date+month",
    "quarter": "#date+quarter",
    "year": "#date+year",
    "incident_type": "#event+type",
    "gbv_type": "#event+type+gbv",
    "perpetrator_category": "#group+perpetrator",
    "population_group": "#beneficiary+type",
    "sex": "#beneficiary+sex",
    "age_group": "#beneficiary+age",
    "survivor_age_group": "#beneficiary+age",
    "survivor_sex": "#beneficiary+sex",
    "displacement_status": "#beneficiary+type+displacement",
    "location_type": "#loc+type",
    "perpetrator_relationship": "#group+perpetrator+relationship",
    "status": "#status",
    "urgency": "#severity",
    "actor": "#org+code",
    "kind": "#meta+kind",
    "acknowledgement": "#status+acknowledgement",
    "concern": "#need+type",
    "office": "#loc+name",
    "destination": "#loc+name+dest",
    "country_of_origin": "#country+code+origin",
    "country_of_asylum": "#country+code+asylum",
    "count": "#indicator+num",
    "suppressed": "#meta+suppressed",
}

# Spreadsheet formula triggers (OWASP "CSV Injection"): a cell starting with one of these is
# prefixed with a single quote so that no office program evaluates it.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def parse_group_by(dataset: Dataset, raw: str | None) -> list[str]:
    names = [name.strip() for name in (raw or "").split(",") if name.strip()]
    allowed = dimension_names(dataset)
    unknown = [name for name in names if name not in allowed]
    if unknown or len(set(names)) != len(names) or len(names) > MAX_DIMENSIONS:
        reason = (
            f"unknown for {dataset.name}: {', '.join(unknown)}; allowed: {', '.join(allowed)}"
            if unknown
            else f"at most {MAX_DIMENSIONS} different dimensions"
        )
        raise InvalidInput(
            f"group_by: {reason}.",
            errors=[{"loc": ["query", "group_by"], "msg": reason, "type": "group_by"}],
        )
    return names


def aggregate(
    session: Session, principal: Principal, query: AggregateQuery, settings: Settings
) -> AggregateResult:
    dataset = DATASETS[query.dataset.value]
    group_by = parse_group_by(dataset, query.group_by)
    dialect = session.get_bind().dialect.name
    expressions = [
        period(dataset.date, name, dialect) if name in PERIODS else dataset.dimensions[name]
        for name in group_by
    ]
    stmt = dataset.base()
    for name in group_by:
        if name in dataset.joins:
            stmt = dataset.joins[name](stmt)
    key_sum = func.sum(dataset.record_key) if dataset.record_key is not None else literal(0)
    stmt = stmt.add_columns(
        *(expression.label(name) for name, expression in zip(group_by, expressions, strict=True)),
        func.count().label("count"),
        key_sum.label("key_sum"),
    )
    if expressions:
        stmt = stmt.group_by(*expressions)
    stmt = _filtered(stmt, dataset, query, principal)

    rule = rule_for(dataset, settings)
    found = {
        tuple(cell): (int(count), None if keys is None else int(keys))
        for *cell, count, keys in session.execute(stmt)
        if count
    }
    if rule.table is None:
        listed = sorted(found, key=_sort_key)  # events: the cells that hold records
    else:
        # People: every cell, the empty ones too, so that a hidden cell does not say
        # whether anyone is in it (reports/domains.py). Values outside the code set or a
        # vocabulary (older records) come after.
        listed = domains.cells(
            session, dataset, group_by, query, covered_regions(query, principal), settings.code_set
        )
        known = set(listed)
        listed += sorted((cell for cell in found if cell not in known), key=_sort_key)
    rows = []
    hidden = 0
    for cell in listed:
        count, keys = found.get(cell, (0, 0))
        published = rule.publish(count, keys)
        hidden += published is None
        rows.append(
            {
                **dict(zip(group_by, cell, strict=True)),
                "count": published,
                "suppressed": published is None,
            }
        )
    return AggregateResult(
        dataset=query.dataset,
        group_by=group_by,
        threshold=rule.threshold,
        protection=rule.protection,
        rows=rows,
        suppressed_cells=hidden,
    )


def _filtered(stmt: Any, dataset: Dataset, query: AggregateQuery, principal: Principal) -> Any:
    is_moment = isinstance(dataset.date.type, UTCDateTime)
    if query.date_from:
        stmt = stmt.where(dataset.date >= _bound(query.date_from, is_moment))
    if query.date_to:
        if is_moment:
            stmt = stmt.where(dataset.date < _bound(query.date_to + timedelta(days=1), True))
        else:
            stmt = stmt.where(dataset.date <= query.date_to)
    regions = covered_regions(query, principal)
    if regions is not None:
        stmt = stmt.where(dataset.region.in_(sorted(regions)))
    for name in FILTERS:
        value = getattr(query, name)
        if value is None:
            continue
        column = dataset.filters.get(name)
        if column is None:
            raise InvalidInput(
                f"{name} is not a filter of the {dataset.name} dataset.",
                errors=[{"loc": ["query", name], "msg": "not a filter here", "type": "filter"}],
            )
        stmt = stmt.where(column == value)
    return stmt


def covered_regions(query: AggregateQuery, principal: Principal) -> set[str] | None:
    """The regions a report counts (None: every region): the ``region`` filter, and for a
    supervisor with regions, only theirs (possibly none at all)."""
    regions = set(query.region) if query.region else None
    if principal.role is Role.supervisor and principal.regions:
        regions = regions & principal.regions if regions is not None else set(principal.regions)
    return regions


def _bound(day: date, is_moment: bool) -> date | datetime:
    return datetime.combine(day, time(), tzinfo=UTC) if is_moment else day


def _sort_key(cell: tuple[Any, ...]) -> tuple[tuple[bool, str], ...]:
    return tuple((value is None, str(value)) for value in cell)


def as_csv(result: AggregateResult, *, hxl: bool) -> str:
    """CSV, or HXL (CSV with a hashtag row under the header). Quarters are written ``2026Q2``
    in HXL, the quarter syntax HXL tools read as a date; ``2026-Q2`` elsewhere."""
    columns = [*result.group_by, "count", "suppressed"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    if hxl:
        writer.writerow([HXL_TAGS[c] for c in columns])  # ours: never neutralised
    for row in result.rows:
        writer.writerow([_csv_value(c, row[c], hxl=hxl) for c in columns])
    return out.getvalue()


def _csv_value(column: str, value: Any, *, hxl: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)  # counts: never negative, never a formula
    text = str(value)
    if hxl and column == "quarter":
        text = text.replace("-Q", "Q")
    return neutralise_formula(text)


def neutralise_formula(text: str) -> str:
    """OWASP: prefix a cell that a spreadsheet would read as a formula with a single quote."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text
