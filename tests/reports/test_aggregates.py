"""Aggregates against a month whose true counts we know."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import hxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.actors.models import Actor
from casework.reference.codesets import get_code_set
from casework.reference.vocabularies import Concern, RepatriationStatus, Role
from casework.reports.datasets import DATASETS
from casework.reports.protection import publish
from casework.reports.ptable import build
from tests.factories import (
    World,
    auth,
    make_case,
    make_consent,
    make_incident,
    make_user,
    today,
)

REPORT = "/api/v1/reports/aggregates"
MAY = date(2026, 5, 1)
TABLE = build(5, 7.0, 4)  # the default people protection

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


def published(records: Iterable[Any]) -> int | None:
    """What the cell-key method publishes for the cell holding exactly these records."""
    cell = list(records)
    return publish(TABLE, len(cell), sum(r.record_key for r in cell))


def test_people_counts_are_protected_by_the_cell_key(
    client: TestClient, may: World, session: Session
) -> None:
    # 2 sent referrals from the world (ML07, CVJR): a count the table never publishes as is.
    body = get(client, may.user("reporting"), dataset="referrals", group_by="actor")
    assert body["threshold"] == 5
    assert body["protection"] == {
        "method": "cell_key",
        "threshold": 5,
        "max_deviation": 5,
        "variance": 7.0,
        "js": 4,
        "ptable": "create_cnt_ptable(D = 5, V = 7, js = 4)",
    }
    sent = [may.referrals["person_sent"], may.referrals["sgbv_sent"]]
    rows = {row["actor"]: row for row in body["rows"]}
    # Every actor is listed, the one without referrals too: a hidden cell says "0 to 5".
    assert set(rows) == set(session.scalars(select(Actor.code)))
    assert rows["CVJR"]["count"] == published(sent) is None  # 2: below the threshold
    assert all(row["count"] is None and row["suppressed"] for row in rows.values())
    assert body["suppressed_cells"] == len(rows)


def test_incidents_say_they_are_exact(client: TestClient, may: World) -> None:
    body = get(client, may.user("reporting"), dataset="incidents", group_by="region")
    assert body["protection"] == {
        "method": "none",
        "threshold": None,
        "max_deviation": None,
        "variance": None,
        "js": None,
        "ptable": None,
    }


def test_an_incident_threshold_hides_small_cells_cheaply(
    client: TestClient, may: World, configure: Any
) -> None:
    configure(report_threshold_incidents=5)
    body = get(
        client,
        may.user("reporting"),
        dataset="incidents",
        group_by="region,incident_type",
        **{"from": "2026-05-01", "to": "2026-05-31"},
    )
    cells = {(r["region"], r["incident_type"]): r["count"] for r in body["rows"]}
    assert cells == {key: (n if n >= 5 else None) for key, n in TRUTH.items()}
    assert body["protection"]["method"] == "threshold"
    assert body["suppressed_cells"] == 2


def consented_cases(
    session: Session, gbv: Any, code_prefix: str, count: int
) -> tuple[list[Any], list[Any]]:
    """``count`` SGBV cases whose survivor consented to anonymous statistics, and the
    consents."""
    cases = [make_case(session, gbv, survivor_code=f"{code_prefix}{n:02d}") for n in range(count)]
    consents = [
        make_consent(
            session,
            gbv,
            sgbv_case_id=str(case.id),
            purpose="reporting",
            actors=[],
            services=[],
            given_by="survivor",
        )
        for case in cases
    ]
    return cases, consents


def test_sgbv_counts_only_cases_with_reporting_consent(
    client: TestClient, may: World, session: Session
) -> None:
    gbv = may.user("gbv_a")
    cases, consented = consented_cases(session, gbv, "GAO-2026-1", 6)
    for n in range(3):
        make_case(session, gbv, survivor_code=f"GAO-2026-2{n:02d}")  # no reporting consent
    session.commit()
    body = get(client, may.user("reporting"), dataset="sgbv", group_by="region")
    assert gao(body) == {"count": published(cases), "suppressed": published(cases) is None}
    # A withdrawn consent drops the case from every later figure.
    for withdrawn in (1, 2):
        client.post(
            f"/api/v1/consents/{consented[withdrawn - 1].id}/withdraw",
            json={"reason": "asked"},
            headers=auth(gbv),
        )
        after = get(client, may.user("reporting"), dataset="sgbv", group_by="region")
        left = cases[withdrawn:]
        assert gao(after) == {"count": published(left), "suppressed": published(left) is None}


def test_a_consent_not_yet_given_is_not_counted(
    client: TestClient, may: World, session: Session
) -> None:
    """The aggregates and the Incident Recorder count one rule: a reporting consent given,
    not withdrawn, and not dated after now (a row written past the API's own check)."""
    cases, consents = consented_cases(session, may.user("gbv_a"), "GAO-2026-3", 12)
    for consent in consents[6:]:
        consent.given_at = datetime.now(UTC) + timedelta(days=2)
    for case in cases:
        case.record_key = 0  # cell key 0: 6 cases publish as 5, 12 as 7
    session.commit()
    body = get(client, may.user("reporting"), dataset="sgbv", group_by="region")
    given = cases[:6]
    assert gao(body) == {"count": published(given), "suppressed": published(given) is None}
    assert (published(given), published(cases)) == (5, 7)  # the rule tells the two apart


def gao(body: dict[str, Any]) -> dict[str, Any]:
    """Gao's cell of a table by region; every other region is listed, and hidden (empty)."""
    rows = {row.pop("region"): row for row in body["rows"]}
    assert set(rows) == set(get_code_set("ocha-cod-ab-mli-2021-12-20").regions)
    others = [row for region, row in rows.items() if region != "ML07"]
    assert all(row == {"count": None, "suppressed": True} for row in others)
    return rows["ML07"]


def test_counselling_and_repatriation_datasets(client: TestClient, may: World) -> None:
    counselling = get(client, may.user("reporting"), dataset="counselling", group_by="concern")
    one_session = published([may.sessions["a"]])
    # Every concern is listed; the session's two (one record each: the same answer, hidden
    # as one record always is) and the others, empty, look alike.
    assert [row["concern"] for row in counselling["rows"]] == [c.value for c in Concern]
    assert one_session is None
    assert all(row["count"] is None and row["suppressed"] for row in counselling["rows"])
    repatriation = get(
        client, may.user("reporting"), dataset="repatriation", group_by="status,destination"
    )
    # Every status with every destination found in the dataset (free text: Bangui here).
    assert [(row["status"], row["destination"]) for row in repatriation["rows"]] == [
        (status.value, "Bangui") for status in RepatriationStatus
    ]
    assert all(row["count"] is None for row in repatriation["rows"])


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


def test_hidden_cells_stay_empty_in_csv(client: TestClient, may: World, session: Session) -> None:
    for referral in (may.referrals["person_sent"], may.referrals["sgbv_sent"]):
        referral.record_key = 0  # cell key 0: the table's first target for 2 records is 0
    session.commit()
    text = client.get(
        REPORT,
        params={"dataset": "referrals", "group_by": "actor", "format": "hxl"},
        headers=auth(may.user("reporting")),
    ).text
    rows = list(csv.reader(io.StringIO(text)))
    assert ["CVJR", "", "true"] in rows[2:]


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
    assert figures["period"] == {"from": "2026-05-01", "to": "2026-05-31"}
    assert figures["coverage"] == {"regions": None}
    assert figures["incidents"]["total"] == sum(TRUTH.values())
    # January to May: May's incidents plus the one of 30 April.
    assert figures["incidents"]["year_to_date"] == sum(TRUTH.values()) + 1
    assert {r["region"]: r["count"] for r in figures["incidents"]["by_region"]} == {
        "ML07": 9,
        "ML05": 7,
    }
    assert figures["incidents"]["by_type"][0] == {"incident_type": "extortion", "count": 8}
    # Nothing was referred in May, and the world's household registered later: true zeros,
    # hidden as small counts are (a people count of 0 to 5 looks the same).
    assert figures["referrals"] == {"total": None, "urgent": None}
    assert figures["repatriation"]["in_process"] is None
    assert figures["protection"]["incidents"]["method"] == "none"
    assert figures["protection"]["sgbv"]["method"] == "cell_key"


def test_sitrep_protects_people_counts_as_aggregates_do(client: TestClient, may: World) -> None:
    this_month = datetime.now(UTC).strftime("%Y-%m")
    reporter = may.user("reporting")
    figures = client.get(
        "/api/v1/reports/sitrep", params={"month": this_month}, headers=auth(reporter)
    ).json()
    # Two referrals sent, one household in process, one counselling session.
    sent = [may.referrals["person_sent"], may.referrals["sgbv_sent"]]
    assert figures["referrals"]["total"] == published(sent)
    assert figures["repatriation"]["in_process"] == published([may.files["a"]])
    assert figures["counselling"]["sessions"] == published([may.sessions["a"]])
    first = f"{this_month}-01"
    same = get(client, reporter, dataset="referrals", **{"from": first, "to": today().isoformat()})
    assert same["rows"][0]["count"] == figures["referrals"]["total"]
    for value in (
        figures["referrals"]["total"],
        figures["repatriation"]["in_process"],
        figures["counselling"]["sessions"],
    ):
        assert value is None or value >= 5


def test_sitrep_as_a_protection_update(client: TestClient, may: World) -> None:
    response = client.get(
        "/api/v1/reports/sitrep",
        params={"month": "2026-05"},
        headers={**auth(may.user("reporting")), "Accept": "text/markdown"},
    )
    assert response.headers["content-type"].startswith("text/markdown")
    text = response.text
    assert text.startswith("# Protection monitoring update, May 2026\n")
    assert "**Period:** 1 to 31 May 2026. **Coverage:** all regions. **Source:** casework" in text
    assert "## Key figures" in text
    assert "**16 protection incidents** were registered in May 2026 in Gao and Mopti" in text
    assert "**17 incidents since January**" in text
    assert "The most frequent were extortion (8), robbery (6) and killing (2)." in text
    assert "**At most 5 referrals** were made to response actors, at most 5 of them urgent." in text
    assert "**At most 5 voluntary repatriation files** are in process." in text
    assert (
        "protected by the cell-key method: each may differ from the true count by up to 5" in text
    )
    for line in text.splitlines():
        if line and not line.startswith(("#", "_")):
            plain = line.lstrip("*")
            assert plain[:1].isupper() or plain[:1].isdigit(), line


def test_sitrep_plurals_and_hidden_figures(session: Session) -> None:
    from casework.core.config import get_settings
    from casework.reports.protection import rule_for
    from casework.reports.sitrep import as_markdown

    settings = get_settings()
    people = rule_for(DATASETS["referrals"], settings).protection.model_dump()
    figures = {
        "month": "2026-05",
        "period": {"from": "2026-05-01", "to": "2026-05-31"},
        "coverage": {"regions": ["ML07", "ML05"]},
        "source": "casework",
        "incidents": {
            "total": 1,
            "year_to_date": 1,
            "by_region": [{"region": "ML07", "count": 1}],
            "by_type": [{"incident_type": "killing", "count": 1}],
        },
        "referrals": {"total": None, "urgent": None},
        "counselling": {"sessions": 1, "main_concerns": [{"concern": "medical", "count": 1}]},
        "repatriation": {"in_process": 1},
        "protection": {
            "incidents": {"method": "none"},
            "referrals": people,
            "counselling": people,
            "repatriation": people,
            "sgbv": people,
        },
    }
    text = as_markdown(figures, settings.code_set)
    assert "**Coverage:** Gao and Mopti." in text
    assert "**1 protection incident** was registered in May 2026 in Gao" in text
    assert "**1 incident since January**" in text
    assert "The most frequent was killing (1)." in text
    assert "**At most 5 referrals** were made to response actors, at most 5 of them urgent." in text
    assert "**1 counselling session** was held; the main concern was medical." in text
    assert "**1 voluntary repatriation file** is in process." in text


def test_ties_are_never_cut_arbitrarily() -> None:
    from casework.reports.sitrep import leading

    rows = [
        {"incident_type": code, "count": count}
        for code, count in [("robbery", 7), ("abduction", 9), ("killing", 7), ("arson", 7)]
    ]
    assert [r["incident_type"] for r in leading(rows, "incident_type", 2)] == [
        "abduction",
        "arson",
        "killing",
        "robbery",
    ]
    assert [r["incident_type"] for r in leading(rows, "incident_type", 1)] == ["abduction"]


@pytest.mark.parametrize("month", ["2026-13", "May 2026", "2026-5", "", "0000-01", "9999-12"])
def test_sitrep_month_must_be_valid(client: TestClient, may: World, month: str) -> None:
    response = client.get(
        "/api/v1/reports/sitrep", params={"month": month}, headers=auth(may.user("reporting"))
    )
    assert response.status_code == 422
