"""Aggregates: GROUP BY in the database, then small-cell suppression."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import distinct, func
from sqlalchemy.orm import Session

from casework.auth.principal import Principal
from casework.core.config import Settings
from casework.core.db import UTCDateTime
from casework.core.errors import InvalidInput
from casework.reference.vocabularies import Role
from casework.reports.datasets import DATASETS, PERIODS, Dataset, dimension_names, period
from casework.reports.schemas import AggregateQuery, AggregateResult
from casework.reports.suppression import suppress

MAX_DIMENSIONS = 3

# HXL hashtags for each dimension (https://hxlstandard.org/standard/1-1final/dictionary/).
HXL_TAGS = {
    "region": "#adm1+code",
    "admin2": "#adm2+code",
    "month": "#date+month",
    "quarter": "#date+quarter",
    "year": "#date+year",
    "incident_type": "#event+type",
    "gbv_type": "#event+type+gbv",
    "perpetrator_category": "#group+perpetrator",
    "population_group": "#group+population",
    "sex": "#group+sex",
    "age_group": "#group+age",
    "status": "#status",
    "urgency": "#severity",
    "actor": "#org+code+actor",
    "kind": "#meta+kind",
    "concern": "#need+type",
    "office": "#loc+office",
    "destination": "#loc+destination",
    "country_of_origin": "#country+code+origin",
    "country_of_asylum": "#country+code+asylum",
    "count": "#indicator+num",
}


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


def threshold_for(dataset: Dataset, settings: Settings) -> int:
    value: int = getattr(settings, f"report_threshold_{dataset.name}")
    return value


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
    stmt = stmt.add_columns(
        *(expression.label(name) for name, expression in zip(group_by, expressions, strict=True)),
        func.count(distinct(dataset.counted)).label("count"),
    )
    if expressions:
        stmt = stmt.group_by(*expressions)
    stmt = _filtered(stmt, dataset, query, principal)

    cells: dict[tuple[Any, ...], int] = {
        tuple(row[:-1]): int(row[-1]) for row in session.execute(stmt) if row[-1]
    }
    threshold = threshold_for(dataset, settings)
    hidden = suppress(cells, threshold)
    rows = [
        {
            **dict(zip(group_by, cell, strict=True)),
            "count": None if cell in hidden else count,
            "suppressed": cell in hidden,
        }
        for cell, count in sorted(cells.items(), key=lambda item: _sort_key(item[0]))
    ]
    return AggregateResult(
        dataset=query.dataset,
        group_by=group_by,
        threshold=threshold,
        rows=rows,
        suppressed_cells=len(hidden),
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
    regions = set(query.region or [])
    if principal.role is Role.supervisor and principal.regions:
        # Supervisors' reports are limited to their regions.
        regions = regions & principal.regions if regions else set(principal.regions)
        if not regions:
            regions = {"-"}  # asked only for regions outside their scope: nothing
    if regions:
        stmt = stmt.where(dataset.region.in_(sorted(regions)))
    for name in ("incident_type", "gbv_type", "status", "actor"):
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


def _bound(day: date, is_moment: bool) -> date | datetime:
    return datetime.combine(day, time(), tzinfo=UTC) if is_moment else day


def _sort_key(cell: tuple[Any, ...]) -> tuple[tuple[bool, str], ...]:
    return tuple((value is None, str(value)) for value in cell)


def as_csv(result: AggregateResult, *, hxl: bool) -> str:
    columns = [*result.group_by, "count", "suppressed"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    if hxl:
        writer.writerow(
            [HXL_TAGS.get(c, "#meta+suppressed" if c == "suppressed" else "") for c in columns]
        )
    for row in result.rows:
        writer.writerow(
            [
                ""
                if row[c] is None
                else ("true" if row[c] is True else "false" if row[c] is False else row[c])
                for c in columns
            ]
        )
    return out.getvalue()
