from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.factories import World, auth, case_body

CASES = "/api/v1/sgbv-cases"


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("gbv_a", 200),
        ("supervisor_a", 200),
        ("supervisor_all", 200),
        ("supervisor_mopti", 404),
        ("caseworker_a", 403),
        ("monitor_a", 403),
        ("focal_cvjr", 403),
        ("admin", 403),
        ("reporting", 403),
    ],
)
def test_need_to_know(client: TestClient, world: World, username: str, status: int) -> None:
    response = client.get(f"{CASES}/{world.cases['a'].id}", headers=auth(world.user(username)))
    assert response.status_code == status
    if status != 200:
        assert "firewood" not in response.text
        assert "GAO-2026-001" not in response.text


def test_gbv_caseworker_of_another_organisation_sees_nothing(
    client: TestClient, world: World, session: Session
) -> None:
    headers = auth(world.user("gbv_b"))  # ORGB's GBV caseworker
    assert client.get(f"{CASES}/{world.cases['a'].id}", headers=headers).status_code == 404
    assert client.get(CASES, headers=headers).json()["items"] == []


def test_narrative_is_encrypted_at_rest(client: TestClient, world: World, session: Session) -> None:
    dump = repr(session.execute(text("SELECT * FROM sgbv_cases")).all())
    assert "firewood" not in dump
    read = client.get(f"{CASES}/{world.cases['a'].id}", headers=auth(world.user("gbv_a"))).json()
    assert "firewood" in read["narrative"]


@pytest.mark.parametrize(
    "code", ["Aminata Maiga", "aminata", "GAO 2026 7", "", "X", "GAO-2026-001"]
)
def test_survivor_code_is_a_code_not_a_name(client: TestClient, world: World, code: str) -> None:
    response = client.post(
        CASES, json=case_body(survivor_code=code), headers=auth(world.user("gbv_a"))
    )
    assert response.status_code in (409, 422)
    assert response.status_code == (409 if code == "GAO-2026-001" else 422)


@pytest.mark.parametrize(
    ("changes", "loc"),
    [
        ({"gbv_type": "harassment"}, ["body", "gbv_type"]),
        ({"services_needed": ["massage"]}, ["body", "services_needed", 0]),
        ({"admin2": "ML0501"}, ["body", "admin2"]),
        ({"person_id": "00000000-0000-4000-8000-000000000000"}, ["body", "person_id"]),
        ({"survivor_name": "x"}, ["body", "survivor_name"]),
    ],
)
def test_bad_case_input_is_422(
    client: TestClient, world: World, changes: dict[str, Any], loc: list[Any]
) -> None:
    response = client.post(
        CASES,
        json=case_body(survivor_code="GAO-2026-099", **changes),
        headers=auth(world.user("gbv_a")),
    )
    assert response.status_code == 422
    assert loc in [e["loc"] for e in response.json()["errors"]]


def test_case_may_link_a_person_the_caller_can_see(client: TestClient, world: World) -> None:
    headers = auth(world.user("gbv_a"))
    linked = client.post(
        CASES,
        json=case_body(survivor_code="GAO-2026-002", person_id=str(world.persons["a"].id)),
        headers=headers,
    )
    assert linked.status_code == 201
    # Person b belongs to organisation B: for gbv_a it does not exist.
    hidden = client.post(
        CASES,
        json=case_body(survivor_code="GAO-2026-003", person_id=str(world.persons["b"].id)),
        headers=headers,
    )
    assert hidden.status_code == 422
