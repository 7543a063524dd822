import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework.incidents.models import Incident
from tests.factories import World, auth, incident_body

BATCH = "/api/v1/incidents/batch"


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Incident)) or 0


def test_each_item_succeeds_or_fails_alone(
    client: TestClient, world: World, session: Session
) -> None:
    ids = [str(uuid.uuid4()) for _ in range(4)]
    items: list[Any] = [
        incident_body(id=ids[0]),
        incident_body(id=ids[1], incident_type="jaywalking"),
        incident_body(id=ids[2], region="ML05", admin2="ML0501"),
        incident_body(id=ids[3], incident_type="robbery"),
        incident_body(id=ids[3], incident_type="killing"),  # same id, other body
        incident_body(id=ids[0]),  # a replay inside the batch
        "not an object",
        incident_body(),  # no id: stored under a server id
    ]
    before = count(session)
    response = client.post(BATCH, json={"items": items}, headers=auth(world.user("monitor_a")))
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["index"] for r in results] == list(range(len(items)))
    assert [r["status"] for r in results] == [201, 422, 403, 201, 409, 200, 422, 201]
    assert results[1]["error"]["errors"][0]["loc"] == ["body", "items", "1", "incident_type"]
    assert results[2]["error"]["status"] == 403
    assert results[4]["error"]["type"].endswith("conflict")
    assert results[0]["id"] == ids[0]
    assert results[0]["error"] is None
    assert results[7]["id"] is not None
    assert count(session) == before + 3


def test_resending_a_whole_batch_duplicates_nothing(
    client: TestClient, world: World, session: Session
) -> None:
    """A device sends 500 incidents, loses the answer, and sends them again."""
    headers = auth(world.user("monitor_a2"))
    items = [
        incident_body(
            id=str(uuid.uuid4()),
            region="ML10" if n % 2 else "ML07",
            admin2="ML1001" if n % 2 else "ML0703",
            victims={"male_children": n % 3},
        )
        for n in range(500)
    ]
    before = count(session)
    first = client.post(BATCH, json={"items": items}, headers=headers)
    assert first.status_code == 200
    assert {r["status"] for r in first.json()["results"]} == {201}
    assert count(session) == before + 500

    again = client.post(BATCH, json={"items": items}, headers=headers)
    assert {r["status"] for r in again.json()["results"]} == {200}
    assert [r["id"] for r in again.json()["results"]] == [i["id"] for i in items]
    assert count(session) == before + 500


def test_more_than_500_items_is_422(client: TestClient, world: World, session: Session) -> None:
    before = count(session)
    items = [incident_body() for _ in range(501)]
    response = client.post(BATCH, json={"items": items}, headers=auth(world.user("monitor_a")))
    assert response.status_code == 422
    assert count(session) == before


def test_batch_body_must_be_an_object_with_items(client: TestClient, world: World) -> None:
    headers = auth(world.user("monitor_a"))
    assert client.post(BATCH, json=[incident_body()], headers=headers).status_code == 422
    assert client.post(BATCH, json={"items": "x"}, headers=headers).status_code == 422
    assert client.post(BATCH, json={"items": [], "extra": 1}, headers=headers).status_code == 422


def test_empty_batch_is_fine(client: TestClient, world: World) -> None:
    response = client.post(BATCH, json={"items": []}, headers=auth(world.user("monitor_a")))
    assert response.status_code == 200
    assert response.json() == {"results": []}
