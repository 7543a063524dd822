"""Every cell of a people table is listed, so a hidden cell does not tell whether anyone is
in it (reports/domains.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from casework.reference.codesets import get_code_set
from casework.reports.datasets import DATASETS
from casework.reports.domains import FREE_TEXT, MAX_CELLS, VALUES, period_labels
from tests.factories import World, auth

REPORT = "/api/v1/reports/aggregates"
MALI = get_code_set("ocha-cod-ab-mli-2021-12-20")


def test_every_people_dimension_has_a_domain() -> None:
    for dataset in DATASETS.values():
        if not dataset.counts_people:
            continue
        for name in dataset.dimensions:
            if name in ("region", "admin2"):
                continue
            assert (dataset.name, name) in VALUES or (dataset.name, name) in FREE_TEXT, (
                f"{dataset.name}.{name}: give it a domain in reports/domains.py"
            )


@pytest.mark.parametrize(
    ("kind", "start", "end", "expected"),
    [
        (
            "month",
            date(2025, 11, 30),
            date(2026, 2, 1),
            ["2025-11", "2025-12", "2026-01", "2026-02"],
        ),
        ("quarter", date(2025, 12, 31), date(2026, 4, 1), ["2025-Q4", "2026-Q1", "2026-Q2"]),
        ("year", date(2024, 6, 1), date(2026, 1, 1), ["2024", "2025", "2026"]),
        ("month", date(2026, 3, 1), date(2026, 2, 1), []),
    ],
)
def test_period_labels(kind: str, start: date, end: date, expected: list[str]) -> None:
    assert period_labels(kind, start, end) == expected


def rows(client: TestClient, user: Any, **params: Any) -> list[dict[str, Any]]:
    response = client.get(REPORT, params=params, headers=auth(user))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["suppressed_cells"] == sum(row["suppressed"] for row in body["rows"])
    return list(body["rows"])


def test_an_empty_cell_and_a_small_one_look_alike(client: TestClient, world: World) -> None:
    """The world's sent referrals (2, Gao) and an empty region (Kidal) give the same row."""
    found = {
        r["region"]: r
        for r in rows(client, world.user("reporting"), dataset="referrals", group_by="region")
    }
    assert list(found) == list(MALI.regions)
    assert (
        {k: v for k, v in found["ML07"].items() if k != "region"}
        == {k: v for k, v in found["ML08"].items() if k != "region"}
        == {"count": None, "suppressed": True}
    )


def test_an_empty_dataset_still_answers_its_total(client: TestClient, world: World) -> None:
    assert rows(client, world.user("reporting"), dataset="repatriation", to="2000-01-31") == [
        {"count": None, "suppressed": True}
    ]


def test_a_supervisors_table_lists_their_regions_only(client: TestClient, world: World) -> None:
    supervisor = world.user("supervisor_a")
    found = rows(client, supervisor, dataset="sgbv", group_by="region,admin2")
    regions = sorted({r["region"] for r in found})
    assert regions == sorted(supervisor.regions)
    assert {r["admin2"] for r in found} == {
        unit.pcode for region in regions for unit in MALI.regions[region].admin2
    }


def test_periods_run_from_from_to_to(client: TestClient, world: World) -> None:
    found = rows(
        client,
        world.user("reporting"),
        dataset="counselling",
        group_by="month",
        **{"from": "2026-01-15", "to": "2026-04-02"},
    )
    assert [r["month"] for r in found] == ["2026-01", "2026-02", "2026-03", "2026-04"]


def test_a_filter_narrows_its_dimension(client: TestClient, world: World) -> None:
    found = rows(
        client, world.user("reporting"), dataset="referrals", group_by="actor", actor="CVJR"
    )
    assert [r["actor"] for r in found] == ["CVJR"]


def test_a_table_too_large_to_list_is_refused(client: TestClient, world: World) -> None:
    response = client.get(
        REPORT,
        params={"dataset": "sgbv", "group_by": "admin2,month,gbv_type", "from": "1990-01-01"},
        headers=auth(world.user("reporting")),
    )
    assert response.status_code == 422
    problem = response.json()
    assert f"more than {MAX_CELLS:,}" in problem["detail"]
    assert problem["errors"][0]["loc"] == ["query", "group_by"]
