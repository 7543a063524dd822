"""Every create that takes a client id: same id and body replays (200), another body is 409."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

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
from tests.racing import race

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


@pytest.mark.parametrize(("path", "user", "make", "field"), CREATES, ids=[c[0] for c in CREATES])
def test_a_create_racing_its_own_retries_is_stored_once_and_never_a_500(
    live: tuple[FastAPI, World, Engine],
    path: str,
    user: str,
    make: Callable[[World], dict[str, Any]],
    field: str,
) -> None:
    app, world, _ = live
    headers = auth(world.user(user))
    body = {**make(world), "id": str(uuid.uuid4())}
    with TestClient(app) as client:
        outcome = race(client, path, headers, body)
        # One request stores it and the others replay it, except that a person
        # or case may meet the stored twin in its registration-number or
        # survivor-code check first: 409, and its next retry replays.
        assert outcome[201] == 1, outcome
        assert set(outcome) <= {200, 201, 409}, outcome
        assert client.get(f"{path}/{body['id']}", headers=headers).status_code == 200
