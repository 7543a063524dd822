from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.factories import World, auth, consent_body

CONSENTS = "/api/v1/consents"


def test_consent_follows_the_visibility_of_its_subject(client: TestClient, world: World) -> None:
    url = f"{CONSENTS}/{world.consents['a'].id}"
    assert client.get(url, headers=auth(world.user("caseworker_a"))).status_code == 200
    assert client.get(url, headers=auth(world.user("caseworker_b"))).status_code == 404
    assert client.get(url, headers=auth(world.user("supervisor_mopti"))).status_code == 404
    # The SGBV case's consent is invisible to a plain caseworker, even in their organisation.
    listed = client.get(CONSENTS, headers=auth(world.user("caseworker_a"))).json()["items"]
    assert {c["person_id"] for c in listed} == {str(world.persons["a"].id)}
    assert all(c["sgbv_case_id"] is None for c in listed)
    gbv = client.get(CONSENTS, headers=auth(world.user("gbv_a"))).json()["items"]
    assert {c["sgbv_case_id"] is not None for c in gbv} == {True, False}


def test_withdrawal_is_kept_with_its_reason(
    client: TestClient, world: World, session: Session
) -> None:
    headers = auth(world.user("caseworker_a"))
    url = f"{CONSENTS}/{world.consents['a'].id}"
    withdrawn = client.post(
        f"{url}/withdraw", json={"reason": "Moved to Niamey; asked us to stop."}, headers=headers
    )
    assert withdrawn.status_code == 200
    assert withdrawn.json()["in_force"] is False
    assert withdrawn.json()["withdrawal_reason"] == "Moved to Niamey; asked us to stop."
    assert (
        client.post(f"{url}/withdraw", json={"reason": "again"}, headers=headers).status_code == 409
    )
    # History: the withdrawn consent is still listed, filterable.
    history = client.get(
        CONSENTS, params={"person_id": str(world.persons["a"].id)}, headers=headers
    )
    assert [c["in_force"] for c in history.json()["items"]] == [False]
    in_force = client.get(
        CONSENTS,
        params={"person_id": str(world.persons["a"].id), "in_force": True},
        headers=headers,
    )
    assert in_force.json()["items"] == []
    assert "Niamey" not in repr(session.execute(text("SELECT * FROM consents")).all())


def test_withdraw_needs_a_reason(client: TestClient, world: World) -> None:
    response = client.post(
        f"{CONSENTS}/{world.consents['a'].id}/withdraw",
        json={},
        headers=auth(world.user("caseworker_a")),
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({}, 422),  # no subject
        ({"both": True}, 422),
        ({"person": True, "actors": []}, 422),  # services consent must name actors
        ({"person": True, "actors": ["NOBODY"]}, 422),
        ({"person": True, "given_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}, 422),
        ({"person": True, "given_at": "2026-01-01T10:00:00"}, 422),  # no time zone
        ({"person": True, "given_by": "neighbour"}, 422),
        ({"person": True, "purpose": "marketing"}, 422),
        ({"person": True, "purpose": "reporting", "actors": [], "services": []}, 201),
        ({"person_b": True}, 422),  # a person the caller cannot see
        ({"case": True}, 422),  # a plain caseworker cannot see SGBV cases
    ],
)
def test_consent_shape(
    client: TestClient, world: World, changes: dict[str, Any], status: int
) -> None:
    body = consent_body(
        **{k: v for k, v in changes.items() if k not in {"both", "person", "person_b", "case"}}
    )
    if changes.get("person") or changes.get("both"):
        body["person_id"] = str(world.persons["a"].id)
    if changes.get("both") or changes.get("case"):
        body["sgbv_case_id"] = str(world.cases["a"].id)
    if changes.get("person_b"):
        body["person_id"] = str(world.persons["b"].id)
    response = client.post(CONSENTS, json=body, headers=auth(world.user("caseworker_a")))
    assert response.status_code == status, response.text
