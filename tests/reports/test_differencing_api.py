"""The issue's attacks, replayed through the API with real records.

Record keys are set from a seeded generator so the test is repeatable; the oracle is the
cell-key method applied to the records each query should count.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from casework.core.recordkey import RECORD_KEY_SCALE
from casework.reports.protection import publish
from casework.reports.ptable import build
from casework.sgbv.models import SgbvCase
from tests.factories import World, auth, make_case, make_consent

REPORT = "/api/v1/reports/aggregates"
TABLE = build(5, 7.0, 4)


def answer(cases: list[SgbvCase]) -> int | None:
    return publish(TABLE, len(cases), sum(c.record_key for c in cases))


def candidates(published: int | None) -> range:
    if published == 0:
        return range(0, 1)
    found = TABLE.preimage(published or 0)
    return range(max(found.start, 1), found.stop)


def possible_difference(whole: int | None, part: int | None) -> set[int]:
    """What an attacker can say about whole - part, knowing it is at least 1."""
    return {w - p for w in candidates(whole) for p in candidates(part) if w - p >= 1}


@pytest.fixture
def survivors(world: World, session: Session) -> dict[str, list[SgbvCase]]:
    """Six SGBV cases with reporting consent: five in Gao (ML07), one in Mopti (ML05) on
    15 September; in Gao, two in June, one in August, two in May."""
    gbv = world.user("gbv_a")
    rng = random.Random(11)
    plan = [
        ("ML07", "2026-05-04"),
        ("ML07", "2026-05-20"),
        ("ML07", "2026-06-02"),
        ("ML07", "2026-06-28"),
        ("ML07", "2026-08-09"),
        ("ML05", "2026-09-15"),
    ]
    cases = []
    for n, (region, day) in enumerate(plan):
        case = make_case(
            session,
            gbv,
            survivor_code=f"GAO-2026-3{n:02d}",
            region=region,
            admin2=None,
            occurred_on=day,
        )
        make_consent(
            session,
            gbv,
            sgbv_case_id=str(case.id),
            purpose="reporting",
            actors=[],
            services=[],
            given_by="survivor",
        )
        case.record_key = rng.randrange(RECORD_KEY_SCALE)
        cases.append(case)
    session.commit()
    return {
        "all": cases,
        "gao": cases[:5],
        "to_14": cases[:5],
        "august": [cases[4]],
        "q3": cases[4:],
    }


def get(client: TestClient, world: World, **params: Any) -> dict[str, Any]:
    response = client.get(
        REPORT, params={"dataset": "sgbv", **params}, headers=auth(world.user("reporting"))
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def total(body: dict[str, Any]) -> int | None:
    rows = body["rows"]
    return rows[0]["count"] if rows else 0


def test_the_issue_attack_by_region_filter(
    client: TestClient, world: World, survivors: dict[str, list[SgbvCase]]
) -> None:
    """dataset=sgbv gave 6, &region=ML07 gave 5: the hidden Mopti case was 1."""
    everything = total(get(client, world))
    gao = total(get(client, world, region="ML07"))
    assert everything == answer(survivors["all"])
    assert gao == answer(survivors["gao"])
    guesses = possible_difference(everything, gao)
    assert 1 in guesses
    assert len(guesses) > 1  # no certainty about Mopti


def test_the_issue_attack_by_date_cut_off(
    client: TestClient, world: World, survivors: dict[str, list[SgbvCase]]
) -> None:
    """&to=2026-09-14 vs &to=2026-09-15: one case on 15 September."""
    before = total(get(client, world, to="2026-09-14"))
    after = total(get(client, world, to="2026-09-15"))
    assert before == answer(survivors["to_14"])
    assert after == answer(survivors["all"])
    guesses = possible_difference(after, before)
    assert 1 in guesses
    assert len(guesses) > 1


def test_the_issue_attack_by_nesting(
    client: TestClient, world: World, survivors: dict[str, list[SgbvCase]]
) -> None:
    """group_by=month hides June and August; group_by=quarter publishes Q3: August was 1?"""
    months = {r["month"]: r["count"] for r in get(client, world, group_by="month")["rows"]}
    quarters = {r["quarter"]: r["count"] for r in get(client, world, group_by="quarter")["rows"]}
    assert months["2026-08"] == answer(survivors["august"])
    assert quarters["2026-Q3"] == answer(survivors["q3"])
    guesses = possible_difference(quarters["2026-Q3"], months["2026-09"])
    assert 1 in guesses
    assert len(guesses) > 1
    for value in [*months.values(), *quarters.values()]:
        assert value is None or value >= 5  # never 1..4


def test_differencing_by_repetition_learns_nothing(
    client: TestClient, world: World, survivors: dict[str, list[SgbvCase]]
) -> None:
    """The same query always gets the same answer, so averaging repeats gains nothing."""
    for params in ({}, {"region": "ML07"}, {"group_by": "month"}, {"to": "2026-09-14"}):
        answers = [get(client, world, **params)["rows"] for _ in range(4)]
        assert all(rows == answers[0] for rows in answers), params


def test_the_same_records_give_the_same_answer_in_any_table(
    client: TestClient, world: World, survivors: dict[str, list[SgbvCase]]
) -> None:
    """A cell is its records: Gao by region filter, as a row of group_by=region, or as a
    supervisor of Gao sees it, is one answer; a supervisor sees the same protected figures."""
    filtered = total(get(client, world, region="ML07"))
    by_region = {r["region"]: r["count"] for r in get(client, world, group_by="region")["rows"]}
    supervisor = client.get(
        REPORT, params={"dataset": "sgbv"}, headers=auth(world.user("supervisor_a"))
    ).json()
    assert filtered == by_region["ML07"] == total(supervisor)


def test_every_published_figure_is_within_the_bound(
    client: TestClient, world: World, survivors: dict[str, list[SgbvCase]]
) -> None:
    true_months: dict[str, int] = {}
    for case in survivors["all"]:
        key = date.fromisoformat(str(case.occurred_on)).strftime("%Y-%m")
        true_months[key] = true_months.get(key, 0) + 1
    body = get(client, world, group_by="month")
    assert body["protection"]["max_deviation"] == 5
    months = [row["month"] for row in body["rows"]]
    assert months == sorted(months)
    assert set(true_months) <= set(months)  # the empty months too
    for row in body["rows"]:
        true = true_months.get(row["month"], 0)
        if row["count"] is None:
            assert row["suppressed"] is True
            assert 0 <= true <= 5
        else:
            assert abs(row["count"] - true) <= 5
            assert row["count"] >= 5
