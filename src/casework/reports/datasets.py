"""What each dataset counts, by which date, along which dimensions.

Counts are computed by the database (GROUP BY, COUNT(*)); nothing is loaded row by row.
Each dataset selects from one table, so a row is one record; the only join (counselling by
concern) gives one row per session and concern (its primary key), so a cell counts sessions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    case,
    cast,
    func,
    literal_column,
    select,
)

from casework.core.db import UTCDateTime, utcnow
from casework.counselling.models import CounsellingConcern, CounsellingSession
from casework.incidents.models import Incident
from casework.reference.vocabularies import AcknowledgementBand
from casework.referrals.models import Referral
from casework.repatriation.models import RepatriationFile
from casework.sgbv.incident_recorder import reporting_consent_in_force
from casework.sgbv.models import SgbvCase

PERIODS = ("month", "quarter", "year")
# Query filters on a dimension of the same name (a filtered dimension has that one value).
FILTERS = ("incident_type", "gbv_type", "status", "actor")


def period(expression: Any, kind: str, dialect: str) -> ColumnElement[str]:
    """YYYY-MM, YYYY-Qn or YYYY of a date or a UTC timestamp, on either database."""
    if dialect == "postgresql":
        if isinstance(expression.type, UTCDateTime):
            expression = func.timezone("UTC", expression)  # not the session's time zone
        pattern = {"month": "YYYY-MM", "quarter": 'YYYY-"Q"Q', "year": "YYYY"}[kind]
        return func.to_char(expression, pattern)
    if kind == "month":
        return func.strftime("%Y-%m", expression)
    if kind == "year":
        return func.strftime("%Y", expression)
    quarter = (cast(func.strftime("%m", expression), Integer) + 2) // 3
    return func.strftime("%Y", expression).concat("-Q").concat(cast(quarter, String))


# Upper bounds (minutes, exclusive) of the acknowledgement bands, in order.
ACKNOWLEDGEMENT_BANDS = (
    (24 * 60, AcknowledgementBand.within_24h),
    (3 * 24 * 60, AcknowledgementBand.days_1_3),
    (7 * 24 * 60, AcknowledgementBand.days_3_7),
)


def acknowledgement_band(minutes: Any) -> ColumnElement[str]:
    """The band of the time from sending to the first acknowledgement: a CASE over the
    integer stored at acknowledgement, the same SQL on SQLite and PostgreSQL."""
    return case(
        (minutes.is_(None), _inline(AcknowledgementBand.not_acknowledged.value)),
        *(
            (minutes < literal_column(str(limit)), _inline(band.value))
            for limit, band in ACKNOWLEDGEMENT_BANDS
        ),
        else_=_inline(AcknowledgementBand.over_7_days.value),
    )


def _inline(code: str) -> ColumnElement[str]:
    # Constants written into the SQL, not bound: PostgreSQL matches the SELECT's CASE with
    # the GROUP BY's only when both are the same text (bound, they get two parameters).
    return literal_column(f"'{code}'", String)


@dataclass(frozen=True)
class Dataset:
    name: str
    counts_people: bool
    date: Any  # the column reports count by
    region: Any
    dimensions: dict[str, Any]
    base: Callable[[], Select[Any]]
    record_key: Any = None  # people datasets: the fixed random key SUM()med per cell
    joins: dict[str, Callable[[Select[Any]], Select[Any]]] = field(default_factory=dict)
    filters: dict[str, Any] = field(default_factory=dict)


DATASETS: dict[str, Dataset] = {
    "incidents": Dataset(
        name="incidents",
        counts_people=False,
        date=Incident.occurred_on,
        region=Incident.region,
        dimensions={
            "region": Incident.region,
            "admin2": Incident.admin2,
            "incident_type": Incident.incident_type,
            "population_group": Incident.population_group,
            "perpetrator_category": Incident.perpetrator_category,
            "urgency": Incident.urgency,
            "status": Incident.status,
        },
        base=lambda: select().select_from(Incident),
        filters={"incident_type": Incident.incident_type, "status": Incident.status},
    ),
    "referrals": Dataset(
        name="referrals",
        counts_people=True,
        date=Referral.sent_at,
        region=Referral.region,
        dimensions={
            "region": Referral.region,
            "actor": Referral.actor_code,
            "status": Referral.status,
            "urgency": Referral.urgency,
            "kind": Referral.kind,
            "acknowledgement": acknowledgement_band(Referral.acknowledgement_minutes),
        },
        base=lambda: select().select_from(Referral).where(Referral.sent_at.is_not(None)),
        record_key=Referral.record_key,
        filters={"status": Referral.status, "actor": Referral.actor_code},
    ),
    "sgbv": Dataset(
        name="sgbv",
        counts_people=True,
        date=SgbvCase.occurred_on,
        region=SgbvCase.region,
        dimensions={
            "region": SgbvCase.region,
            "admin2": SgbvCase.admin2,
            "gbv_type": SgbvCase.gbv_type,
            # GBVIMS intake (null for cases recorded without it).
            "survivor_age_group": SgbvCase.survivor_age_group,
            "survivor_sex": SgbvCase.survivor_sex,
            "displacement_status": SgbvCase.displacement_status,
            "location_type": SgbvCase.location_type,
            "perpetrator_relationship": SgbvCase.perpetrator_relationship,
        },
        # Only cases whose survivor consented to anonymous statistics (GBVIMS practice).
        base=lambda: select().select_from(SgbvCase).where(reporting_consent_in_force(utcnow())),
        record_key=SgbvCase.record_key,
        filters={"gbv_type": SgbvCase.gbv_type},
    ),
    "counselling": Dataset(
        name="counselling",
        counts_people=True,
        date=CounsellingSession.held_on,
        region=CounsellingSession.region,
        dimensions={
            "region": CounsellingSession.region,
            "sex": CounsellingSession.sex,
            "age_group": CounsellingSession.age_group,
            "population_group": CounsellingSession.population_group,
            "office": CounsellingSession.office,
            "concern": CounsellingConcern.concern,
        },
        base=lambda: select().select_from(CounsellingSession),
        record_key=CounsellingSession.record_key,
        joins={
            "concern": lambda stmt: stmt.join(
                CounsellingConcern, CounsellingConcern.session_id == CounsellingSession.id
            )
        },
    ),
    "repatriation": Dataset(
        name="repatriation",
        counts_people=True,
        date=RepatriationFile.created_at,
        region=RepatriationFile.region,
        dimensions={
            "region": RepatriationFile.region,
            "status": RepatriationFile.status,
            "destination": RepatriationFile.destination,
            "country_of_origin": RepatriationFile.country_of_origin,
            "country_of_asylum": RepatriationFile.country_of_asylum,
        },
        base=lambda: select().select_from(RepatriationFile),
        record_key=RepatriationFile.record_key,
        filters={"status": RepatriationFile.status},
    ),
}


def dimension_names(dataset: Dataset) -> list[str]:
    return [*dataset.dimensions, *PERIODS]
