"""A stored response goes back only to a caller who is still authenticated, in full.

Class: authentication checked by signature alone before a side channel (the
Idempotency-Key replay) answers. After a user is deactivated, their role or scope
changes (token generation), or an API key is revoked, re-sending a POST with the same
key gets 401, not the stored response (which may hold a person's name and phone).
Every replay is audited.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.audit.models import AuditEntry
from casework.auth import apikeys
from casework.auth.models import User
from tests.factories import World, auth, person_body


def _deactivate(client: TestClient, world: World, user: User) -> None:
    response = client.patch(
        f"/api/v1/users/{user.id}", json={"is_active": False}, headers=auth(world.user("admin"))
    )
    assert response.status_code == 200, response.text


def _change_scope(client: TestClient, world: World, user: User) -> None:
    response = client.patch(
        f"/api/v1/users/{user.id}", json={"regions": ["ML05"]}, headers=auth(world.user("admin"))
    )
    assert response.status_code == 200, response.text


REVOCATIONS: dict[str, Callable[[TestClient, World, User], None]] = {
    "deactivated": _deactivate,
    "scope_changed": _change_scope,
}


@pytest.mark.parametrize("revoke", REVOCATIONS.values(), ids=REVOCATIONS.keys())
def test_a_revoked_token_gets_no_replay(
    client: TestClient, world: World, revoke: Callable[[TestClient, World, User], None]
) -> None:
    user = world.user("caseworker_a")
    headers = {**auth(user), "Idempotency-Key": str(uuid.uuid4())}
    body = person_body(registration_number=f"REG-{uuid.uuid4().hex[:8]}")
    first = client.post("/api/v1/persons", json=body, headers=headers)
    assert first.status_code == 201
    assert client.post("/api/v1/persons", json=body, headers=headers).status_code == 201
    revoke(client, world, user)
    again = client.post("/api/v1/persons", json=body, headers=headers)
    assert again.status_code == 401
    assert "idempotency-replayed" not in again.headers
    assert body["full_name"] not in again.text
    assert body["phone"] not in again.text


def test_a_forged_or_expired_token_gets_no_replay(client: TestClient, world: World) -> None:
    user = world.user("caseworker_a")
    key = str(uuid.uuid4())
    body = person_body(registration_number=f"REG-{uuid.uuid4().hex[:8]}")
    assert (
        client.post(
            "/api/v1/persons", json=body, headers={**auth(user), "Idempotency-Key": key}
        ).status_code
        == 201
    )
    forged = auth(user)["Authorization"][:-3] + "abc"
    again = client.post(
        "/api/v1/persons", json=body, headers={"Authorization": forged, "Idempotency-Key": key}
    )
    assert again.status_code == 401
    assert body["full_name"] not in again.text


def test_a_revoked_api_key_gets_no_replay(
    client: TestClient, world: World, session: Session
) -> None:
    record, secret = apikeys.create(session, "Dashboard", world.user("admin").id)
    session.commit()
    headers = {"Authorization": f"Bearer {secret}", "Idempotency-Key": str(uuid.uuid4())}
    first = client.post("/api/v1/api-keys", json={"name": "x"}, headers=headers)
    assert first.status_code == 403  # stored (below 500) and replayable while the key lives
    replay = client.post("/api/v1/api-keys", json={"name": "x"}, headers=headers)
    assert replay.headers.get("idempotency-replayed") == "true"
    apikeys.revoke(session, record.id)
    session.commit()
    after = client.post("/api/v1/api-keys", json={"name": "x"}, headers=headers)
    assert after.status_code == 401
    assert "idempotency-replayed" not in after.headers


def test_replays_are_audited(client: TestClient, world: World, session: Session) -> None:
    user = world.user("caseworker_a")
    headers = {**auth(user), "Idempotency-Key": str(uuid.uuid4())}
    body = person_body(registration_number=f"REG-{uuid.uuid4().hex[:8]}")
    client.post("/api/v1/persons", json=body, headers=headers)
    replay = client.post("/api/v1/persons", json=body, headers=headers)
    assert replay.headers["idempotency-replayed"] == "true"
    entries: list[Any] = list(
        session.scalars(select(AuditEntry).where(AuditEntry.action == "idempotency.replay"))
    )
    assert len(entries) == 1
    assert entries[0].user_id == user.id
    assert entries[0].detail == {"request": "POST /api/v1/persons", "status": 201}
    assert entries[0].request_id == replay.headers["x-request-id"]
