"""GBVIMS: intake data, the classification tool's rules, the Incident Recorder workbook."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.audit.models import AuditEntry
from casework.sgbv import gbvims, incident_recorder
from tests.factories import World, auth, case_body, consent_body, make_case, make_consent

CASES = "/api/v1/sgbv-cases"
RECORDER = "/api/v1/reports/gbv-incident-recorder"
TODAY = datetime.now(UTC).date()

# The Incident Recorder's Incident Data columns, in the published tool's order.
IR_COLUMNS = [
    "INCIDENT ID", "SURVIVOR CODE", "CASE MANAGER CODE", "DATE OF INTERVIEW",
    "DATE OF INCIDENT", "DATE OF BIRTH", "SEX", "ETHNICITY", "COUNTRY OF ORIGIN",
    "CIVIL / MARITAL STATUS", "DISPLACEMENT STATUS AT REPORT", "PERSON WITH DISABILITY?",
    "UNACCOMPANIED OR SEPARATED CHILD?", "STAGE OF DISPLACEMENT AT INCIDENT",
    "INCIDENT TIME OF DAY", "INCIDENT LOCATION", "INCIDENT COUNTY", "INCIDENT DISTRICT",
    "INCIDENT CAMP / TOWN", "GBV TYPE", "HARMFUL TRADITIONAL PRACTICE",
    "MONEY, GOODS, BENEFITS AND / OR SERVICES EXCHANGED ?", "TYPE OF ABDUCTION",
    "PREVIOUSLY REPORTED THIS INCIDENT?", "PREVIOUS GBV INCIDENTS?",
    "No. ALLEGED PRIMARY PERPETRATOR(S)", "ALLEGED PERPETRATOR SEX",
    "PREVIOUS INCIDENT WITH THIS PERPETRATOR", "ALLEGED PERPETRATOR AGE GROUP",
    "ALLEGED PERPETRATOR - SURVIVOR RELATIONSHIP", "ALLEGED PERPETRATOR OCCUPATION",
    "REFERRED TO YOU FROM?", "SAFE HOUSE / SHELTER", "HEALTH / MEDICAL SERVICES",
    "PSYCHOSOCIAL SERVICES", "WANTS LEGAL ACTION?", "LEGAL ASSISTANCE SERVICES",
    "POLICE / OTHER SECURITY ACTOR", "LIVELIHOODS PROGRAM", "CONSENT GIVEN",
    "REPORTING AGENCY CODE",
]  # fmt: skip

INTAKE = {
    "survivor_age_group": "12-17",
    "survivor_sex": "female",
    "displacement_status": "idp",
    "disability": "none",
    "location_type": "bush_forest",
    "perpetrator_count": 2,
    "perpetrator_sex": "male",
    "perpetrator_age_group": "18-25",
    "perpetrator_relationship": "armed_actor",
    "previously_reported": "no",
    "harmful_practice": "none",
    "goods_exchanged": False,
    "abduction": "none",
}


def _open(client: TestClient, world: World, **overrides: Any) -> Any:
    overrides.setdefault("survivor_code", "GAO-GB-001")
    return client.post(CASES, json=case_body(**overrides), headers=auth(world.user("gbv_a")))


# --- the classification tool -----------------------------------------------------------


@given(st.fixed_dictionaries({name: st.booleans() for name in gbvims.ANSWER_NAMES}))
def test_the_first_yes_in_the_tools_order_decides(answers: dict[str, bool]) -> None:
    derived = gbvims.classify(answers)
    yes = [gbv_type for name, gbv_type, _ in gbvims.QUESTIONS if answers[name]]
    assert derived == (yes[0] if yes else None)


def test_answers_give_the_type_and_a_contradicting_type_is_refused(
    client: TestClient, world: World
) -> None:
    occurred = TODAY - timedelta(days=9)
    opened = _open(
        client,
        world,
        gbv_type=None,
        classification={"penetration": True, "physical_assault": True},
        occurred_on=occurred.isoformat(),
        first_reported_on=(occurred + timedelta(days=5)).isoformat(),
        **INTAKE,
    )
    assert opened.status_code == 201, opened.text
    body = opened.json()
    assert body["gbv_type"] == "rape"  # penetration comes first, whatever else happened
    assert body["classification"]["physical_assault"] is True
    assert (body["reporting_delay_days"], body["reporting_delay"]) == (5, "4-5 days")
    assert {k: body[k] for k in INTAKE} == INTAKE

    contradicted = _open(
        client,
        world,
        survivor_code="GAO-GB-002",
        gbv_type="physical_assault",
        classification={"unwanted_sexual_contact": True},
    )
    assert contradicted.status_code == 422
    assert "sexual_assault" in contradicted.text

    not_gbv = _open(client, world, survivor_code="GAO-GB-003", gbv_type=None, classification={})
    assert not_gbv.status_code == 422
    assert "protection incident" in not_gbv.text

    neither = _open(client, world, survivor_code="GAO-GB-004", gbv_type=None)
    assert neither.status_code == 422

    early = _open(
        client,
        world,
        survivor_code="GAO-GB-005",
        first_reported_on=(TODAY - timedelta(days=30)).isoformat(),
    )
    assert early.status_code == 422  # reported before it happened
    assert "first_reported_on" in early.text


def test_an_update_rederives_the_type_and_checks_a_new_one(
    client: TestClient, world: World
) -> None:
    headers = auth(world.user("gbv_a"))
    case = _open(client, world, gbv_type=None, classification={"forced_marriage": True}).json()
    assert case["gbv_type"] == "forced_marriage"

    def patch(version: int, body: dict[str, Any]) -> Any:
        return client.patch(
            f"{CASES}/{case['id']}", json=body, headers={**headers, "If-Match": f'"{version}"'}
        )

    refused = patch(case["version"], {"gbv_type": "physical_assault"})
    assert refused.status_code == 422  # the answers on record say forced_marriage
    changed = patch(case["version"], {"classification": {"denial_of_resources": True}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["gbv_type"] == "denial_of_resources"
    cleared = patch(changed.json()["version"], {"classification": None})
    assert cleared.status_code == 200
    assert cleared.json()["gbv_type"] == "denial_of_resources"  # the type stays
    free = patch(cleared.json()["version"], {"gbv_type": "physical_assault"})
    assert free.json()["gbv_type"] == "physical_assault"  # no answers: the type as given


def test_the_vocabularies_are_in_the_reference_in_both_languages(
    client: TestClient, world: World
) -> None:
    body = client.get("/api/v1/reference", headers=auth(world.user("gbv_a"))).json()
    text = str(body)
    for name in ("gbvims_age_group", "perpetrator_relationship", "displacement_status"):
        assert name in text
    assert "Partenaire intime ou ex" in text


# --- the Incident Recorder workbook -------------------------------------------------------


def _workbook(content: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(content), read_only=True)["Incident Data"]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def recorded(session: Session, world: World) -> dict[str, Any]:
    """Four cases of organisation A: with a reporting consent, withdrawn, none, and old."""
    gbv = world.user("gbv_a")
    occurred = TODAY - timedelta(days=20)

    def case(code: str, **overrides: Any) -> Any:
        return make_case(
            session,
            gbv,
            survivor_code=code,
            occurred_on=overrides.pop("occurred_on", occurred.isoformat()),
            first_reported_on=(occurred + timedelta(days=2)).isoformat(),
            **INTAKE,
            **overrides,
        )

    def reporting(record: Any) -> Any:
        return make_consent(
            session,
            gbv,
            sgbv_case_id=str(record.id),
            purpose="reporting",
            given_by="survivor",
            actors=[],
            services=[],
        )

    consented = case("GAO-IR-001", gbv_type=None, classification={"penetration": True})
    reporting(consented)
    withdrawn = case("GAO-IR-002")
    consent = reporting(withdrawn)
    consent.withdrawn_at = datetime.now(UTC)
    case("GAO-IR-003")  # no reporting consent
    old = case("GAO-IR-004", occurred_on=(TODAY - timedelta(days=400)).isoformat())
    reporting(old)
    session.commit()
    return {"consented": consented, "period": (TODAY - timedelta(days=60), TODAY)}


def _export(client: TestClient, world: World, user: str, period: tuple[date, date]) -> Any:
    return client.get(
        RECORDER,
        params={"from": period[0].isoformat(), "to": period[1].isoformat()},
        headers=auth(world.user(user)),
    )


def test_the_workbook_has_the_incident_recorders_columns_and_consented_cases_only(
    client: TestClient, world: World, session: Session, recorded: dict[str, Any]
) -> None:
    response = _export(client, world, "gbv_a", recorded["period"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == incident_recorder.MEDIA_TYPE
    assert "attachment" in response.headers["content-disposition"]
    rows = _workbook(response.content)
    assert rows[0][: len(IR_COLUMNS)] == IR_COLUMNS
    assert rows[0][len(IR_COLUMNS) :] == ["SURVIVOR AGE GROUP", "REPORTING DELAY (DAYS)"]
    assert len(rows) == 2  # the withdrawn, the unconsented and the old case are left out
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["GBV TYPE"] == "Rape"
    assert row["SEX"] == "F"
    assert row["ALLEGED PERPETRATOR AGE GROUP"] == "Age 18 - 25"
    assert row["DISPLACEMENT STATUS AT REPORT"] == "IDP"
    assert row["INCIDENT COUNTY"] == "ML07"
    assert row["No. ALLEGED PRIMARY PERPETRATOR(S)"] == 2
    assert row["REPORTING DELAY (DAYS)"] == 2
    assert row["CONSENT GIVEN"] == "Yes"
    assert row["INCIDENT ID"].startswith("IR-")
    for blank in ("SURVIVOR CODE", "DATE OF BIRTH", "CASE MANAGER CODE"):
        assert row[blank] is None
    # De-identified: no survivor code, narrative or case id anywhere in the file.
    flat = str(rows)
    assert "GAO-IR" not in flat
    assert str(recorded["consented"].id) not in flat
    assert "firewood" not in flat
    # Stable: the same case has the same incident id in the next export.
    again = _workbook(_export(client, world, "gbv_a", recorded["period"]).content)
    assert again[1][0] == rows[1][0]
    audited = session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).all()
    assert audited
    assert audited[-1].detail["rows"] == 1


def test_a_referral_sent_fills_its_pathway_column(
    client: TestClient, world: World, recorded: dict[str, Any]
) -> None:
    case_id = str(recorded["consented"].id)
    headers = auth(world.user("gbv_a"))
    consent = client.post(
        "/api/v1/consents",
        json=consent_body(sgbv_case_id=case_id, given_by="survivor", services=["legal"]),
        headers=headers,
    )
    assert consent.status_code == 201, consent.text
    referral = client.post(
        "/api/v1/referrals",
        json={"sgbv_case_id": case_id, "actor": "CVJR", "services": ["legal"]},
        headers=headers,
    )
    assert referral.status_code == 201, referral.text
    sent = client.post(
        f"/api/v1/referrals/{referral.json()['id']}/transitions",
        json={"to": "sent"},
        headers=headers,
    )
    assert sent.status_code == 200, sent.text
    rows = _workbook(_export(client, world, "gbv_a", recorded["period"]).content)
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["LEGAL ASSISTANCE SERVICES"] == "Referred"
    assert row["HEALTH / MEDICAL SERVICES"] is None


def test_another_organisation_and_other_regions_export_nothing_of_ours(
    client: TestClient, world: World, recorded: dict[str, Any]
) -> None:
    for user in ("gbv_b", "supervisor_mopti"):  # organisation B; Mopti, not Gao
        response = _export(client, world, user, recorded["period"])
        assert response.status_code == 200, (user, response.text)
        assert len(_workbook(response.content)) == 1, user  # the headings only
    for user in ("reporting", "caseworker_a", "monitor_a", "focal_cvjr", "admin"):
        assert _export(client, world, user, recorded["period"]).status_code == 403, user


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-05-01"},
        {"from": "2026-05-01", "to": "2026-04-01"},
        {"from": "2024-01-01", "to": "2026-01-01"},
        {"from": "yesterday", "to": "2026-01-01"},
    ],
)
def test_a_bad_period_is_a_clear_422(
    client: TestClient, world: World, params: dict[str, str]
) -> None:
    response = client.get(RECORDER, params=params, headers=auth(world.user("gbv_a")))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
