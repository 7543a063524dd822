"""Every create that takes a client id: same id and body replays (200), another body is 409."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import (
    World,
    auth,
    case_body,
    consent_body,
    counselling_body,
    incident_body,
    person_body,
    repatriation_body,
)

CREATES: list[tuple[str, str, Callable[[World], dict[str, Any]], str]] = [
    ("/api/v1/incidents", "monitor_a", lambda w: incident_body(), "locality"),
    (
        "/api/v1/persons",
        "caseworker_a",
        lambda w: person_body(registration_number="ID-REPLAY-1"),
        "full_name",
    ),
    ("/api/v1/sgbv-cases", "gbv_a", lambda w: case_body(survivor_code="GAO-REPLAY-1"), "narrative"),
    (
        "/api/v1/consents",
        "caseworker_a",
        lambda w: consent_body(person_id=str(w.persons["a"].id)),
        "given_by",
    ),
    (
        "/api/v1/referrals",
        "caseworker_a",
        lambda w: {"person_id": str(w.persons["a"].id), "actor": "CVJR", "services": ["legal"]},
        "note",
    ),
    (
        "/api/v1/counselling-sessions",
        "caseworker_a",
        lambda w: counselling_body(person_id=str(w.persons["a"].id)),
        "outcome",
    ),
    (
        "/api/v1/repatriation-files",
        "caseworker_a",
        lambda w: repatriation_body(
            principal_person_id=str(w.persons["refugee"].id), household_size=1
        ),
        "destination",
    ),
]
CHANGED = {
    "locality": "Elsewhere",
    "full_name": "Someone Else",
    "narrative": "Other words.",
    "given_by": "guardian",
    "note": "Another note.",
    "outcome": "Other outcome.",
    "destination": "Carnot",
}


@pytest.mark.parametrize(("path", "user", "make", "field"), CREATES, ids=[c[0] for c in CREATES])
def test_client_id_replay_and_conflict(
    client: TestClient,
    world: World,
    path: str,
    user: str,
    make: Callable[[World], dict[str, Any]],
    field: str,
) -> None:
    headers = auth(world.user(user))
    body = {**make(world), "id": str(uuid.uuid4())}
    first = client.post(path, json=body, headers=headers)
    assert first.status_code == 201, first.text
    again = client.post(path, json=body, headers=headers)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    other = client.post(path, json={**body, field: CHANGED[field]}, headers=headers)
    assert other.status_code == 409
    assert other.headers["content-type"] == "application/problem+json"
