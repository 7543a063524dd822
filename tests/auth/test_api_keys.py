from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.factories import World, auth


def test_key_is_shown_once_and_stored_hashed(
    client: TestClient, world: World, session: Session
) -> None:
    created = client.post(
        "/api/v1/api-keys", json={"name": "HDX sync"}, headers=auth(world.user("admin"))
    )
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("cwk_")
    assert len(key) > 40
    listed = client.get("/api/v1/api-keys", headers=auth(world.user("admin"))).json()["items"]
    assert key not in repr(listed)
    assert {k["name"] for k in listed} == {"Cluster dashboard", "HDX sync"}
    assert key not in repr(session.execute(text("SELECT * FROM api_keys")).all())


def test_key_reads_reports_records_last_use_and_dies_when_revoked(
    client: TestClient, world: World
) -> None:
    headers = {"Authorization": f"Bearer {world.api_key_secret}"}
    report = client.get(
        "/api/v1/reports/aggregates", params={"dataset": "incidents"}, headers=headers
    )
    assert report.status_code == 200
    keys = client.get("/api/v1/api-keys", headers=auth(world.user("admin"))).json()["items"]
    assert keys[0]["last_used_at"] is not None
    assert (
        client.delete(
            f"/api/v1/api-keys/{world.api_key.id}", headers=auth(world.user("admin"))
        ).status_code
        == 204
    )
    again = client.get(
        "/api/v1/reports/aggregates", params={"dataset": "incidents"}, headers=headers
    )
    assert again.status_code == 401


def test_unknown_key_is_401(client: TestClient, world: World) -> None:
    response = client.get(
        "/api/v1/reports/aggregates",
        params={"dataset": "incidents"},
        headers={"Authorization": "Bearer cwk_not-a-real-key"},
    )
    assert response.status_code == 401
