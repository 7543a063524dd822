"""Every cell of a people table, the empty ones included.

A table of people lists each combination of its dimensions' values, whether anyone is in
it or not, and an empty cell is published like a small one: hidden. Listing only the cells
that hold records would tell a caller that someone is there (that a survivor exists in this
cercle in this month), which is a disclosure of its own, and it would hand an attacker the
"at least one" that lets the extreme deviations of two answers pin a small count down.
With every cell listed, a hidden cell means "0 to 5 people", and nothing more.

The values of a dimension come from what the service knows before it counts anything:
the deployment's code set (regions and cercles, within the caller's regions and the
query's region filter), the vocabularies, the actors, and the periods from ``from`` to
``to``. Free-text dimensions (a counselling office, a destination, a country code) take
every value found in the whole dataset, whoever recorded it and whatever the filters.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework.actors.models import Actor
from casework.core.errors import InvalidInput
from casework.reference.codesets import get_code_set
from casework.reference.vocabularies import (
    AcknowledgementBand,
    AgeGroup,
    Concern,
    DisplacementStatus,
    GbvimsAgeGroup,
    GbvimsSex,
    GbvLocationType,
    GbvType,
    PerpetratorRelationship,
    PopulationGroup,
    ReferralKind,
    ReferralStatus,
    RepatriationStatus,
    Sex,
    Urgency,
)
from casework.reports.datasets import FILTERS, PERIODS, Dataset
from casework.reports.schemas import AggregateQuery

# The most cells a people table may have; past it, a caller narrows the table (fewer
# dimensions, a shorter period, a region) instead of the service listing empty cells.
MAX_CELLS = 10_000

Values = Callable[[Session], Sequence[Any]]


def _vocabulary(enum: type[StrEnum], *, optional: bool = False, drop: Iterable[str] = ()) -> Values:
    """The values of a vocabulary; ``optional``: records may leave it empty (null)."""
    dropped = set(drop)
    values: list[Any] = [member.value for member in enum if member.value not in dropped]
    if optional:
        values.append(None)
    return lambda _session: values


def _actors(session: Session) -> Sequence[Any]:
    return list(session.scalars(select(Actor.code).order_by(Actor.code)))


# Dimensions with a domain of their own; region, admin2 and periods are common to all, and
# any other dimension takes the values found in the whole dataset (``_found``).
VALUES: dict[tuple[str, str], Values] = {
    ("referrals", "actor"): _actors,
    # A referral is counted once sent; none goes back to draft.
    ("referrals", "status"): _vocabulary(ReferralStatus, drop=[ReferralStatus.draft.value]),
    ("referrals", "urgency"): _vocabulary(Urgency),
    ("referrals", "kind"): _vocabulary(ReferralKind),
    ("referrals", "acknowledgement"): _vocabulary(AcknowledgementBand),
    ("sgbv", "gbv_type"): _vocabulary(GbvType),
    # GBVIMS intake: empty for cases recorded without it.
    ("sgbv", "survivor_age_group"): _vocabulary(GbvimsAgeGroup, optional=True),
    ("sgbv", "survivor_sex"): _vocabulary(GbvimsSex, optional=True),
    ("sgbv", "displacement_status"): _vocabulary(DisplacementStatus, optional=True),
    ("sgbv", "location_type"): _vocabulary(GbvLocationType, optional=True),
    ("sgbv", "perpetrator_relationship"): _vocabulary(PerpetratorRelationship, optional=True),
    # Sex and age group are recorded for anonymous visitors only.
    ("counselling", "sex"): _vocabulary(Sex, optional=True),
    ("counselling", "age_group"): _vocabulary(AgeGroup, optional=True),
    ("counselling", "population_group"): _vocabulary(PopulationGroup, optional=True),
    ("counselling", "concern"): _vocabulary(Concern),
    ("repatriation", "status"): _vocabulary(RepatriationStatus),
}

# Free text (or codes no vocabulary lists): every value found in the whole dataset.
FREE_TEXT = {
    ("counselling", "office"),
    ("repatriation", "destination"),
    ("repatriation", "country_of_origin"),
    ("repatriation", "country_of_asylum"),
}


def cells(
    session: Session,
    dataset: Dataset,
    group_by: Sequence[str],
    query: AggregateQuery,
    regions: set[str] | None,
    code_set: str,
) -> list[tuple[Any, ...]]:
    """Every combination of the dimensions' values, in the table's order; a 422 past
    ``MAX_CELLS``."""
    # The code set's regions the report counts (``service.covered_regions``: None is all).
    covered = [r for r in get_code_set(code_set).regions if regions is None or r in regions]
    domains = [_domain(session, dataset, name, query, covered, code_set) for name in group_by]
    size = 1
    for values in domains:
        size *= len(values)
    if size > MAX_CELLS:
        reason = (
            f"this table would have {size:,} cells, more than {MAX_CELLS:,}: "
            "group by fewer dimensions, or give a shorter period or a region"
        )
        raise InvalidInput(
            f"group_by: {reason}.",
            errors=[{"loc": ["query", "group_by"], "msg": reason, "type": "too_many_cells"}],
        )
    return list(itertools.product(*domains))


def _domain(
    session: Session,
    dataset: Dataset,
    name: str,
    query: AggregateQuery,
    regions: list[str],
    code_set: str,
) -> Sequence[Any]:
    if name in FILTERS and getattr(query, name, None) is not None:
        return [getattr(query, name)]
    if name == "region":
        return regions
    if name == "admin2":
        units = get_code_set(code_set).regions
        return [unit.pcode for region in regions for unit in units[region].admin2]
    if name in PERIODS:
        return _periods(session, dataset, name, query)
    values = VALUES.get((dataset.name, name))
    if values is not None:
        return values(session)
    # FREE_TEXT, and (tests/reports/test_domains.py makes sure none is left) any dimension
    # added without a domain of its own.
    return _found(session, dataset, name)


def _found(session: Session, dataset: Dataset, name: str) -> list[Any]:
    """Every value of a dimension in the whole dataset, whoever recorded it."""
    found = list(session.scalars(select(dataset.dimensions[name]).distinct()))
    return sorted(found, key=lambda value: (value is None, str(value)))


def _periods(session: Session, dataset: Dataset, kind: str, query: AggregateQuery) -> list[str]:
    """Every month, quarter or year from ``from`` (or the dataset's first record) to ``to``
    (or today)."""
    start = query.date_from
    if start is None:
        first = session.scalar(select(func.min(dataset.date)))
        if first is None:
            return []
        start = first.date() if isinstance(first, datetime) else first
    end = query.date_to or datetime.now(UTC).date()
    return period_labels(kind, start, end)


def period_labels(kind: str, start: date, end: date) -> list[str]:
    """``2026-05``, ``2026-Q2`` or ``2026``, as the GROUP BY writes them, start to end."""
    labels: list[str] = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        label = {
            "month": f"{year:04d}-{month:02d}",
            "quarter": f"{year:04d}-Q{(month - 1) // 3 + 1}",
            "year": f"{year:04d}",
        }[kind]
        if not labels or labels[-1] != label:
            labels.append(label)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return labels
