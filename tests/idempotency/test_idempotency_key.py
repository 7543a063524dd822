"""Idempotency-Key: the first response is replayed; nothing is done twice."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from casework.idempotency.models import IdempotencyRecord
from casework.incidents.models import Incident
from casework.referrals.models import ReferralEvent
from tests.factories import World, auth, incident_body


class FlakyClient:
    """A field connection that loses every other response: the request reaches the
    server, the answer never reaches the device, which sends it again."""

    def __init__(self, client: TestClient, headers: dict[str, str]) -> None:
        self.client, self.headers, self.calls = client, headers, 0

    def post(self, url: str, body: Any, key: str) -> Response:
        while True:
            self.calls += 1
            response = self.client.post(
                url, json=body, headers={**self.headers, "Idempotency-Key": key}
            )
            if self.calls % 2 == 1:
                continue  # lost on the way back
            return response


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_create_without_client_id_is_not_duplicated(
    client: TestClient, world: World, session: Session
) -> None:
    flaky = FlakyClient(client, auth(world.user("monitor_a")))
    before = count(session, Incident)
    response = flaky.post("/api/v1/incidents", incident_body(), key=str(uuid.uuid4()))
    assert response.status_code == 201  # the first response, replayed
    assert response.headers["idempotency-replayed"] == "true"
    assert response.headers["etag"] == '"1"'
    assert count(session, Incident) == before + 1
    assert flaky.calls == 2


def test_a_transition_is_not_applied_twice(
    client: TestClient, world: World, session: Session
) -> None:
    flaky = FlakyClient(client, auth(world.user("focal_cvjr")))
    referral = world.referrals["person_sent"]
    response = flaky.post(
        f"/api/v1/referrals/{referral.id}/transitions", {"to": "acknowledged"}, key="ack-1"
    )
    assert response.status_code == 200  # not 409 "acknowledged -> acknowledged"
    assert response.json()["status"] == "acknowledged"
    steps = session.scalar(
        select(func.count()).where(
            ReferralEvent.referral_id == referral.id, ReferralEvent.to_status == "acknowledged"
        )
    )
    assert steps == 1


def test_a_batch_is_replayed_whole(client: TestClient, world: World, session: Session) -> None:
    flaky = FlakyClient(client, auth(world.user("monitor_a")))
    items = [incident_body() for _ in range(20)]  # no client ids: only the key protects them
    before = count(session, Incident)
    response = flaky.post("/api/v1/incidents/batch", {"items": items}, key="batch-2026-11-27")
    assert [r["status"] for r in response.json()["results"]] == [201] * 20
    assert count(session, Incident) == before + 20


def test_same_key_other_body_is_422(client: TestClient, world: World, session: Session) -> None:
    headers = {**auth(world.user("monitor_a")), "Idempotency-Key": "k-1"}
    assert (
        client.post("/api/v1/incidents", json=incident_body(), headers=headers).status_code == 201
    )
    before = count(session, Incident)
    other = client.post(
        "/api/v1/incidents", json=incident_body(locality="Elsewhere"), headers=headers
    )
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert count(session, Incident) == before


def test_keys_belong_to_their_user(client: TestClient, world: World, session: Session) -> None:
    key = {"Idempotency-Key": "shared-key"}
    first = client.post(
        "/api/v1/incidents", json=incident_body(), headers={**auth(world.user("monitor_a")), **key}
    )
    second = client.post(
        "/api/v1/incidents", json=incident_body(), headers={**auth(world.user("monitor_a2")), **key}
    )
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert "idempotency-replayed" not in second.headers


def test_errors_below_500_are_replayed_too(client: TestClient, world: World) -> None:
    headers = {**auth(world.user("monitor_a")), "Idempotency-Key": "bad-1"}
    body = incident_body(region="ML05", admin2=None)  # outside the monitor's regions
    assert client.post("/api/v1/incidents", json=body, headers=headers).status_code == 403
    again = client.post("/api/v1/incidents", json=body, headers=headers)
    assert again.status_code == 403
    assert again.headers["idempotency-replayed"] == "true"


def test_stored_responses_are_encrypted(client: TestClient, world: World, session: Session) -> None:
    client.post(
        "/api/v1/persons",
        json={"full_name": "Kadidia Coulibaly", "sex": "female", "region": "ML07"},
        headers={**auth(world.user("caseworker_a")), "Idempotency-Key": "p-1"},
    )
    dump = repr(session.execute(text("SELECT * FROM idempotency_records")).all())
    assert "Kadidia" not in dump
    assert "S2FkaWRpYS" not in dump
    assert count(session, IdempotencyRecord) == 1


def test_expired_keys_run_again(
    client: TestClient, world: World, session: Session, configure: Any
) -> None:
    headers = {**auth(world.user("monitor_a")), "Idempotency-Key": "old"}
    client.post("/api/v1/incidents", json=incident_body(), headers=headers)
    session.execute(text("UPDATE idempotency_records SET expires_at = created_at"))
    session.commit()
    again = client.post("/api/v1/incidents", json=incident_body(), headers=headers)
    assert again.status_code == 201
    assert "idempotency-replayed" not in again.headers


@pytest.mark.parametrize("key", [b"", b"x" * 201, "é-accent".encode(), b"with space"])
def test_invalid_keys_are_422(client: TestClient, world: World, key: bytes) -> None:
    headers: dict[str, Any] = {**auth(world.user("monitor_a")), "Idempotency-Key": key}
    response = client.post("/api/v1/incidents", json=incident_body(), headers=headers)
    assert response.status_code == 422


def test_login_is_never_replayed(client: TestClient, world: World) -> None:
    from tests.factories import PASSWORD

    form = {"username": "monitor_a", "password": PASSWORD}
    first = client.post("/api/v1/auth/token", data=form, headers={"Idempotency-Key": "login"})
    second = client.post("/api/v1/auth/token", data=form, headers={"Idempotency-Key": "login"})
    assert first.status_code == second.status_code == 200
    assert "idempotency-replayed" not in second.headers
