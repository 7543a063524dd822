"""Aggregates against a month whose true counts we know."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import hxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from casework.reference.vocabularies import Role
from tests.factories import World, auth, make_case, make_consent, make_incident, make_user

REPORT = "/api/v1/reports/aggregates"
MAY = date(2026, 5, 1)

# The truth: incidents in May 2026 by region and type.
TRUTH = {
    ("ML07", "extortion"): 7,
    ("ML07", "killing"): 2,
    ("ML05", "robbery"): 6,
    ("ML05", "extortion"): 1,
}


@pytest.fixture
def may(world: World, session: Session) -> World:
    supervisor = world.user("supervisor_all")
    day = 3
    for (region, incident_type), count in TRUTH.items():
        for _ in range(count):
            make_incident(
                session,
                supervisor,
                region=region,
                admin2=None,
                incident_type=incident_type,
                occurred_on=(MAY + timedelta(days=day % 28)).isoformat(),
            )
            day += 1
    # One in April and one in June: outside the month.
    for when in (date(2026, 4, 30), date(2026, 6, 1)):
        make_incident(session, supervisor, region="ML07", admin2=None, occurred_on=when.isoformat())
    session.commit()
    return world


def get(client: TestClient, user: Any, **params: Any) -> Any:
    response = client.get(REPORT, params=params, headers=auth(user))
    assert response.status_code == 200, response.text
    return response.json()


def test_incident_counts_are_exact(client: TestClient, may: World) -> None:
    body = get(
        client,
        may.user("reporting"),
        dataset="incidents",
        group_by="region,incident_type",
        **{"from": "2026-05-01", "to": "2026-05-31"},
    )
    cells = {(r["region"], r["incident_type"]): r["count"] for r in body["rows"]}
    assert cells == TRUTH  # incidents count events: published exactly
    assert body["suppressed_cells"] == 0
    total = get(
        client,
        may.user("reporting"),
        dataset="incidents",
        **{"from": "2026-05-01", "to": "2026-05-31"},
    )
    assert total["rows"] == [{"count": sum(TRUTH.values()), "suppressed": False}]


def test_periods(client: TestClient, may: World) -> None:
    body = get(
        client,
        may.user("reporting"),
        dataset="incidents",
        group_by="month",
        **{"from": "2026-04-01", "to": "2026-06-30"},
    )
    assert {r["month"]: r["count"] for r in body["rows"]} == {
        "2026-04": 1,
        "2026-05": sum(TRUTH.values()),
        "2026-06": 1,
    }
    quarters = get(
        client,
        may.user("reporting"),
        dataset="incidents",
        group_by="quarter,year",
        **{"from": "2026-04-01", "to": "2026-06-30"},
    )
    assert [(r["quarter"], r["year"], r["count"]) for r in quarters["rows"]] == [
        ("2026-Q2", "2026", sum(TRUTH.values()) + 2)
    ]


def test_supervisors_see_only_their_regions(client: TestClient, may: World) -> None:
    body = get(
        client,
        may.user("supervisor_mopti"),
        dataset="incidents",
        group_by="region",
        **{"from": "2026-05-01", "to": "2026-05-31"},
    )
    assert body["rows"] == [{"region": "ML05", "count": 7, "suppressed": False}]


def test_people_counts_are_suppressed(client: TestClient, may: World, session: Session) -> None:
    # 2 sent referrals from the world (ML07, CVJR): below the threshold of 5.
    body = get(client, may.user("reporting"), dataset="referrals", group_by="actor")
    assert body["threshold"] == 5
    assert body["rows"] == [{"actor": "CVJR", "count": None, "suppressed": True}]
    assert body["suppressed_cells"] == 1


def test_sgbv_counts_only_cases_with_reporting_consent(
    client: TestClient, may: World, session: Session
) -> None:
    gbv = may.user("gbv_a")
    consented = []
    for n in range(6):
        case = make_case(session, gbv, survivor_code=f"GAO-2026-1{n:02d}")
        consented.append(
            make_consent(
                session,
                gbv,
                sgbv_case_id=str(case.id),
                purpose="reporting",
                actors=[],
                services=[],
                given_by="survivor",
            )
        )
    for n in range(3):
        make_case(session, gbv, survivor_code=f"GAO-2026-2{n:02d}")  # no reporting consent
    session.commit()
    body = get(client, may.user("reporting"), dataset="sgbv", group_by="region")
    assert body["rows"] == [{"region": "ML07", "count": 6, "suppressed": False}]
    # A withdrawn consent drops the case from every later figure.
    client.post(
        f"/api/v1/consents/{consented[0].id}/withdraw", json={"reason": "asked"}, headers=auth(gbv)
    )
    after = get(client, may.user("reporting"), dataset="sgbv", group_by="region")
    assert after["rows"] == [{"region": "ML07", "count": 5, "suppressed": False}]
    client.post(
        f"/api/v1/consents/{consented[1].id}/withdraw", json={"reason": "asked"}, headers=auth(gbv)
    )
    small = get(client, may.user("reporting"), dataset="sgbv", group_by="region")
    assert small["rows"] == [{"region": "ML07", "count": None, "suppressed": True}]


def test_counselling_and_repatriation_datasets(client: TestClient, may: World) -> None:
    counselling = get(client, may.user("reporting"), dataset="counselling", group_by="concern")
    assert {r["concern"] for r in counselling["rows"]} == {"documentation", "medical"}
    assert all(r["suppressed"] for r in counselling["rows"])  # one session each: below 5
    repatriation = get(
        client, may.user("reporting"), dataset="repatriation", group_by="status,destination"
    )
    assert repatriation["rows"] == [
        {"status": "registered", "destination": "Bangui", "count": None, "suppressed": True}
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"dataset": "incidents", "group_by": "colour"},
        {"dataset": "sgbv", "group_by": "incident_type"},
        {"dataset": "incidents", "group_by": "region,region"},
        {"dataset": "incidents", "group_by": "region,admin2,incident_type,month"},
        {"dataset": "payroll"},
        {"dataset": "referrals", "incident_type": "killing"},
        {"dataset": "incidents", "from": "May"},
    ],
)
def test_bad_report_requests_are_422(
    client: TestClient, may: World, params: dict[str, Any]
) -> None:
    response = client.get(REPORT, params=params, headers=auth(may.user("reporting")))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_csv_reads_back_with_the_csv_module(client: TestClient, may: World) -> None:
    response = client.get(
        REPORT,
        params={
            "dataset": "incidents",
            "group_by": "region,incident_type",
            "from": "2026-05-01",
            "to": "2026-05-31",
        },
        headers={**auth(may.user("reporting")), "Accept": "text/csv"},
    )
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {(r["region"], r["incident_type"]): int(r["count"]) for r in rows} == TRUTH


def test_hxl_reads_back_with_libhxl(client: TestClient, may: World, tmp_path: Path) -> None:
    response = client.get(
        REPORT,
        params={
            "dataset": "incidents",
            "group_by": "region,month,incident_type",
            "format": "hxl",
            "from": "2026-05-01",
            "to": "2026-05-31",
        },
        headers=auth(may.user("reporting")),
    )
    export = tmp_path / "incidents-may.csv"
    export.write_bytes(response.content)  # as a reporting tool saves it
    local = hxl.InputOptions(allow_local=True)  # libhxl refuses local files by default
    dataset = hxl.data(str(export), local)
    assert [column.display_tag for column in dataset.columns[:4]] == [
        "#adm1+code",
        "#date+month",
        "#event+type",
        "#indicator+num",
    ]
    values = {
        (row.get("#adm1"), row.get("#event+type")): int(row.get("#indicator+num"))
        for row in dataset
    }
    assert values == TRUTH
    assert {row.get("#date+month") for row in hxl.data(str(export), local)} == {"2026-05"}


def test_suppressed_cells_stay_empty_in_csv(client: TestClient, may: World) -> None:
    text = client.get(
        REPORT,
        params={"dataset": "referrals", "group_by": "actor", "format": "hxl"},
        headers=auth(may.user("reporting")),
    ).text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[2] == ["CVJR", "", "true"]


def test_reporting_role_reaches_no_record(client: TestClient, may: World, session: Session) -> None:
    reporter = make_user(session, "cluster.reports", Role.reporting)
    session.commit()
    headers = auth(reporter)
    for path in (
        "/api/v1/incidents",
        "/api/v1/persons",
        "/api/v1/referrals",
        "/api/v1/sgbv-cases",
        "/api/v1/counselling-sessions",
        "/api/v1/actors",
    ):
        assert client.get(path, headers=headers).status_code == 403, path


def test_sitrep_key_figures(client: TestClient, may: World) -> None:
    response = client.get(
        "/api/v1/reports/sitrep", params={"month": "2026-05"}, headers=auth(may.user("reporting"))
    )
    assert response.status_code == 200, response.text
    figures = response.json()
    assert figures["month"] == "2026-05"
    assert figures["incidents"]["total"] == sum(TRUTH.values())
    # January to May: May's incidents plus the one of 30 April.
    assert figures["incidents"]["year_to_date"] == sum(TRUTH.values()) + 1
    assert {r["region"]: r["count"] for r in figures["incidents"]["by_region"]} == {
        "ML07": 9,
        "ML05": 7,
    }
    assert figures["incidents"]["by_type"][0] == {"incident_type": "extortion", "count": 8}
    # Nothing was referred in May, and the world's household registered later: true zeros.
    assert figures["referrals"] == {"total": 0, "urgent": 0}
    assert figures["repatriation"]["in_process"] == 0


def test_sitrep_never_publishes_small_counts_of_people(client: TestClient, may: World) -> None:
    this_month = datetime.now(UTC).strftime("%Y-%m")
    figures = client.get(
        "/api/v1/reports/sitrep", params={"month": this_month}, headers=auth(may.user("reporting"))
    ).json()
    # Two referrals sent, one household in process, one counselling session: all below 5.
    assert figures["referrals"]["total"] is None
    assert figures["repatriation"]["in_process"] is None
    assert figures["counselling"]["sessions"] is None
    assert figures["counselling"]["main_concerns"] == []


def test_sitrep_as_a_protection_update_paragraph(client: TestClient, may: World) -> None:
    response = client.get(
        "/api/v1/reports/sitrep",
        params={"month": "2026-05"},
        headers={**auth(may.user("reporting")), "Accept": "text/markdown"},
    )
    assert response.headers["content-type"].startswith("text/markdown")
    text = response.text
    assert "## Key figures, May 2026" in text
    assert "**16 protection incidents** were registered in May 2026 in Gao and Mopti" in text
    assert "**17 since January**" in text
    assert "extortion (8)" in text
    assert "**0 voluntary repatriation files**" in text


@pytest.mark.parametrize("month", ["2026-13", "May 2026", "2026-5", "", "0000-01", "9999-12"])
def test_sitrep_month_must_be_valid(client: TestClient, may: World, month: str) -> None:
    response = client.get(
        "/api/v1/reports/sitrep", params={"month": month}, headers=auth(may.user("reporting"))
    )
    assert response.status_code == 422
