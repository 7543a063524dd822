"""The GBVIMS Incident Recorder: a workbook of de-identified SGBV incidents.

The columns are the Incident Recorder's "Incident Data" sheet, in its order and
with its headings and menu values (as the GBVIMS tools and Primero's exporter
write them), so that a GBV partner can paste the rows into the IR it already
uses for its information-sharing protocol statistics.

De-identified: only cases whose survivor gave a ``reporting`` consent that is in
force; no survivor code, date of birth or caseworker name; the INCIDENT ID is a
keyed pseudonym of the case (stable across exports, meaningless outside).
Columns casework does not record (ethnicity, country of origin, marital status,
time of day, perpetrator occupation, ...) are present and empty, as the IR allows.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from casework.audit import service as audit_service
from casework.auth.models import Organization
from casework.auth.principal import Principal
from casework.consent.models import Consent
from casework.core.crypto import keyring
from casework.core.db import utcnow
from casework.reference.vocabularies import ConsentPurpose, ReferralStatus, Service
from casework.referrals.models import Referral
from casework.sgbv import gbvims, permissions
from casework.sgbv.models import SgbvCase

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

SEX = {"female": "F", "male": "M"}
PERPETRATOR_SEX = {"female": "F", "male": "M", "both": "Both F & M", "unknown": "Unknown"}
AGE_GROUP = {
    "0-11": "Age 0 - 11",
    "12-17": "Age 12 - 17",
    "18-25": "Age 18 - 25",
    "26-40": "Age 26 - 40",
    "41-60": "Age 41 - 60",
    "61+": "Age 61 & Older",
    "unknown": "Unknown",
}
DISPLACEMENT = {
    "resident": "Resident",
    "idp": "IDP",
    "refugee": "Refugee",
    "asylum_seeker": "Asylum Seeker",
    "returnee": "Returnee",
    "foreign_national": "Foreign National",
    "stateless": "Stateless Person",
}
DISABILITY = {
    "none": "No",
    "physical": "Yes Physical Disability",
    "mental": "Yes Mental Disability",
    "physical_and_mental": "Yes Physical & Mental Disability",
}
LOCATION = {
    "bush_forest": "Bush / Forest",
    "field": "Garden / Cultivated Field",
    "school": "School",
    "road": "Road",
    "survivor_home": "Client's Home",
    "perpetrator_home": "Perpetrator's Home",
    "other_residence": "Other Residence",
    "service_facility": "Service Provider Facility",
    "market": "Marketplace / Shop",
    "street": "Street",
    "workplace": "Workplace",
    "detention": "Detention Facility",
    "displacement_site": "Camp / Displacement Site",
    "other": "Other",
}
GBV_TYPE = {
    "rape": "Rape",
    "sexual_assault": "Sexual Assault",
    "physical_assault": "Physical Assault",
    "forced_marriage": "Forced Marriage",
    "denial_of_resources": "Denial of Resources, Opportunities or Services",
    "psychological_abuse": "Psychological / Emotional Abuse",
}
HARMFUL_PRACTICE = {
    "none": "No",
    "fgm": "Type of FGM",
    "early_marriage": "Early Marriage",
    "forced_marriage": "Forced Marriage",
    "honour_crime": "Honour Killing / Maiming",
    "other": "Other",
}
ABDUCTION = {
    "none": "None",
    "forced_conscription": "Forced Conscription",
    "trafficked": "Trafficked",
    "other": "Other Abduction / Kidnapping",
}
PREVIOUSLY_REPORTED = {
    "no": "No",
    "gbvims_agency": "Yes-GBVIMS Org / Agency",
    "other_agency": "Yes-Non GBVIMS Org / Agency",
}
RELATIONSHIP = {
    "intimate_partner": "Intimate Partner / Former Partner",
    "primary_caregiver": "Primary Caregiver",
    "family_other": "Family other than spouse or caregiver",
    "supervisor_employer": "Supervisor / Employer",
    "schoolmate": "Schoolmate",
    "teacher": "Teacher / School Official",
    "service_provider": "Service Provider",
    "cotenant": "Cotenant / Housemate",
    "friend_neighbour": "Family Friend / Neighbor",
    "other_displaced": "Other refugee / IDP / Returnee",
    "community_member": "Other resident community member",
    "armed_actor": "Other",
    "no_relation": "No relation",
    "other": "Other",
    "unknown": "Unknown",
}
# The IR's referral-pathway columns and the casework services behind each.
PATHWAY: tuple[tuple[str, Service], ...] = (
    ("SAFE HOUSE / SHELTER", Service.shelter),
    ("HEALTH / MEDICAL SERVICES", Service.medical),
    ("PSYCHOSOCIAL SERVICES", Service.psychosocial),
    ("LEGAL ASSISTANCE SERVICES", Service.legal),
    ("POLICE / OTHER SECURITY ACTOR", Service.safety_security),
    ("LIVELIHOODS PROGRAM", Service.livelihood),
)
SENT = [
    s.value for s in ReferralStatus if s not in (ReferralStatus.draft, ReferralStatus.cancelled)
]


def _menu(table: dict[str, str]) -> Callable[[Any], str | None]:
    return lambda value: None if value is None else table.get(value, str(value))


class Row:
    """One case with what the pathway columns need."""

    def __init__(self, case: SgbvCase, organization: str, referred: set[str]) -> None:
        self.case = case
        self.organization = organization
        self.referred = referred


def _pathway(service: Service) -> Callable[[Row], str | None]:
    # Only what casework knows: a referral was sent. Why another service was not
    # (declined, unavailable, provided in-house) is not recorded, so the cell stays empty.
    def cell(row: Row) -> str | None:
        return "Referred" if service.value in row.referred else None

    return cell


def _incident_id(case: SgbvCase) -> str:
    return "IR-" + keyring().blind_index(str(case.id), purpose="gbvims:incident-id")[:10].upper()


def _field(name: str, table: dict[str, str] | None = None) -> Callable[[Row], Any]:
    menu = _menu(table) if table is not None else None

    def cell(row: Row) -> Any:
        value = getattr(row.case, name)
        return menu(value) if menu is not None else value

    return cell


def _blank(_: Row) -> None:
    return None


# The Incident Data sheet, column by column.
COLUMNS: tuple[tuple[str, Callable[[Row], Any]], ...] = (
    # Administrative information
    ("INCIDENT ID", lambda row: _incident_id(row.case)),
    ("SURVIVOR CODE", _blank),  # de-identified: never the survivor code
    ("CASE MANAGER CODE", _blank),
    ("DATE OF INTERVIEW", _field("first_reported_on")),
    ("DATE OF INCIDENT", _field("occurred_on")),
    ("DATE OF BIRTH", _blank),  # de-identified: the age group says enough
    ("SEX", _field("survivor_sex", SEX)),
    ("ETHNICITY", _blank),
    ("COUNTRY OF ORIGIN", _blank),
    ("CIVIL / MARITAL STATUS", _blank),
    ("DISPLACEMENT STATUS AT REPORT", _field("displacement_status", DISPLACEMENT)),
    ("PERSON WITH DISABILITY?", _field("disability", DISABILITY)),
    ("UNACCOMPANIED OR SEPARATED CHILD?", _blank),
    ("STAGE OF DISPLACEMENT AT INCIDENT", _blank),
    ("INCIDENT TIME OF DAY", _blank),
    ("INCIDENT LOCATION", _field("location_type", LOCATION)),
    ("INCIDENT COUNTY", _field("region")),
    ("INCIDENT DISTRICT", _field("admin2")),
    ("INCIDENT CAMP / TOWN", _blank),
    ("GBV TYPE", _field("gbv_type", GBV_TYPE)),
    ("HARMFUL TRADITIONAL PRACTICE", _field("harmful_practice", HARMFUL_PRACTICE)),
    (
        "MONEY, GOODS, BENEFITS AND / OR SERVICES EXCHANGED ?",
        lambda row: (
            None
            if row.case.goods_exchanged is None
            else ("Yes" if row.case.goods_exchanged else "No")
        ),
    ),
    ("TYPE OF ABDUCTION", _field("abduction", ABDUCTION)),
    ("PREVIOUSLY REPORTED THIS INCIDENT?", _field("previously_reported", PREVIOUSLY_REPORTED)),
    ("PREVIOUS GBV INCIDENTS?", _blank),
    # Alleged perpetrator information
    ("No. ALLEGED PRIMARY PERPETRATOR(S)", _field("perpetrator_count")),
    ("ALLEGED PERPETRATOR SEX", _field("perpetrator_sex", PERPETRATOR_SEX)),
    ("PREVIOUS INCIDENT WITH THIS PERPETRATOR", _blank),
    ("ALLEGED PERPETRATOR AGE GROUP", _field("perpetrator_age_group", AGE_GROUP)),
    (
        "ALLEGED PERPETRATOR - SURVIVOR RELATIONSHIP",
        _field("perpetrator_relationship", RELATIONSHIP),
    ),
    ("ALLEGED PERPETRATOR OCCUPATION", lambda row: _occupation(row.case)),
    # Referral pathway data
    ("REFERRED TO YOU FROM?", _blank),
    *((heading, _pathway(service)) for heading, service in PATHWAY[:3]),
    ("WANTS LEGAL ACTION?", _blank),
    *((heading, _pathway(service)) for heading, service in PATHWAY[3:]),
    # Administration 2
    ("CONSENT GIVEN", lambda row: "Yes"),  # only cases with a reporting consent are exported
    ("REPORTING AGENCY CODE", lambda row: row.organization),
    # After the IR's own columns, so theirs stay in place: the survivor's age group stands
    # in for the date of birth left out, and the delay the IR would compute from the dates.
    ("SURVIVOR AGE GROUP", _field("survivor_age_group", AGE_GROUP)),
    ("REPORTING DELAY (DAYS)", lambda row: _delay(row.case)),
)
HEADINGS = tuple(heading for heading, _ in COLUMNS)


def _occupation(case: SgbvCase) -> str | None:
    # The one occupation casework knows: a member of an armed force or group.
    return "Armed Forces / Armed Group" if case.perpetrator_relationship == "armed_actor" else None


def _delay(case: SgbvCase) -> int | None:
    delay = gbvims.reporting_delay(case.occurred_on, case.first_reported_on)
    return delay[0] if delay else None


def reporting_consent_in_force(now: datetime) -> Any:
    """The survivor consented to anonymous statistics (GBVIMS practice), and has not
    withdrawn it: what the Incident Recorder and the ``sgbv`` aggregates both count."""
    return exists().where(
        Consent.sgbv_case_id == SgbvCase.id,
        Consent.purpose == ConsentPurpose.reporting.value,
        Consent.withdrawn_at.is_(None),
        Consent.given_at <= now,
    )


def exportable_cases(
    session: Session, principal: Principal, date_from: date, date_to: date
) -> Sequence[SgbvCase]:
    """The caller's readable cases of the period whose survivor consented to statistics."""
    return session.scalars(
        select(SgbvCase)
        .where(
            permissions.readable(principal),
            SgbvCase.occurred_on >= date_from,
            SgbvCase.occurred_on <= date_to,
            reporting_consent_in_force(utcnow()),
        )
        .order_by(SgbvCase.occurred_on, SgbvCase.id)
    ).all()


def _rows(session: Session, cases: Sequence[SgbvCase]) -> list[Row]:
    ids = [c.id for c in cases]
    referred: dict[Any, set[str]] = {c.id: set() for c in cases}
    if ids:
        for case_id, services in session.execute(
            select(Referral.sgbv_case_id, Referral.services).where(
                Referral.sgbv_case_id.in_(ids), Referral.status.in_(SENT)
            )
        ):
            referred[case_id].update(services)
    codes = {id_: code for id_, code in session.execute(select(Organization.id, Organization.code))}
    return [Row(c, codes.get(c.organization_id, ""), referred[c.id]) for c in cases]


def workbook(session: Session, cases: Sequence[SgbvCase]) -> bytes:
    """The Incident Recorder workbook: the Incident Data sheet, one row per case."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Incident Data"
    sheet.append(list(HEADINGS))
    for row in _rows(session, cases):
        sheet.append([cell(row) for _, cell in COLUMNS])
    for index, heading in enumerate(HEADINGS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = len(heading) + 5
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            if isinstance(cell.value, date):
                cell.number_format = "DD-MMM-YYYY"  # the IR's date format
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export(
    session: Session, principal: Principal, date_from: date, date_to: date
) -> tuple[bytes, str]:
    """The workbook of the caller's period and its file name; the export is audited."""
    cases = exportable_cases(session, principal, date_from, date_to)
    content = workbook(session, cases)
    audit_service.record(
        session,
        "export",
        "sgbv_cases",
        None,
        detail={
            "view": "gbv-incident-recorder",
            "from": date_from.isoformat(),
            "to": date_to.isoformat(),
            "rows": len(cases),
        },
    )
    return content, f"incident-recorder-{date_from.isoformat()}-{date_to.isoformat()}.xlsx"
