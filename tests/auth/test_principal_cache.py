"""The principal is remembered between requests, yet every request reads the user's
row: deactivation and a new token generation revoke at once, and any change of the
row makes the principal be read afresh."""

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.audit.models import AuditEntry
from casework.auth.models import User
from tests.factories import World, auth, incident_body


def remembered(client: TestClient, user: User) -> dict[str, str]:
    headers = auth(user)
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    return headers


def test_deactivation_revokes_a_remembered_principal_at_once(
    client: TestClient, session: Session, world: World
) -> None:
    user = world.user("monitor_a")
    headers = remembered(client, user)
    user.is_active = False
    session.flush()
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401


def test_a_new_generation_revokes_a_remembered_principal_at_once(
    client: TestClient, session: Session, world: World
) -> None:
    user = world.user("monitor_a")
    headers = remembered(client, user)
    user.token_generation += 1
    session.flush()
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401
    assert client.get("/api/v1/users/me", headers=auth(user)).status_code == 200


def test_a_changed_row_is_read_afresh(client: TestClient, session: Session, world: World) -> None:
    user = world.user("monitor_a")
    headers = remembered(client, user)
    user.username = "monitor_a_renamed"  # no new generation: the token stays good
    session.flush()
    made = client.post("/api/v1/incidents", json=incident_body(), headers=headers)
    assert made.status_code == 201, made.text
    entry = session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "create", AuditEntry.record_id == made.json()["id"]
        )
    ).one()
    assert entry.username == "monitor_a_renamed"
