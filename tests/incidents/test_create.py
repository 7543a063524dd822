import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework.incidents.models import Incident
from tests.factories import World, auth, incident_body, today

INCIDENTS = "/api/v1/incidents"


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Incident)) or 0


def test_monitor_submits_an_incident(client: TestClient, world: World, session: Session) -> None:
    monitor = world.user("monitor_a")
    response = client.post(INCIDENTS, json=incident_body(), headers=auth(monitor))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "submitted"
    assert body["organization"] == "ORGA"
    assert body["reported_by"] == str(monitor.id)
    assert body["code_set"] == "ocha-cod-ab-mli-2021-12-20"
    assert body["victims"] == {
        "female_adults": 1,
        "male_adults": 2,
        "female_children": 0,
        "male_children": 0,
    }
    assert body["version"] == 1
    assert response.headers["etag"] == '"1"'
    assert body["created_at"].endswith("Z") or body["created_at"].endswith("+00:00")
    stored = session.get(Incident, uuid.UUID(body["id"]))
    assert stored is not None
    assert stored.region == "ML07"


def test_server_fields_in_the_body_are_rejected(client: TestClient, world: World) -> None:
    body = incident_body(organization="ORGB", reported_by=str(uuid.uuid4()), status="verified")
    response = client.post(INCIDENTS, json=body, headers=auth(world.user("monitor_a")))
    assert response.status_code == 422
    locs = {tuple(e["loc"]) for e in response.json()["errors"]}
    assert {("body", "organization"), ("body", "reported_by"), ("body", "status")} <= locs


def test_retry_with_same_id_and_body_replays(
    client: TestClient, world: World, session: Session
) -> None:
    headers = auth(world.user("monitor_a"))
    body = incident_body(id=str(uuid.uuid4()))
    before = count(session)
    first = client.post(INCIDENTS, json=body, headers=headers)
    second = client.post(INCIDENTS, json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert count(session) == before + 1


def test_retry_with_defaults_spelled_out_is_the_same_body(client: TestClient, world: World) -> None:
    headers = auth(world.user("monitor_a"))
    incident_id = str(uuid.uuid4())
    body = {
        "id": incident_id,
        "occurred_on": today().isoformat(),
        "region": "ML07",
        "incident_type": "robbery",
    }
    explicit = {
        **body,
        "urgency": "normal",
        "perpetrator_category": "unknown",
        "victims": {"female_adults": 0},
    }
    assert client.post(INCIDENTS, json=body, headers=headers).status_code == 201
    assert client.post(INCIDENTS, json=explicit, headers=headers).status_code == 200


def test_same_id_with_another_body_is_409_and_changes_nothing(
    client: TestClient, world: World, session: Session
) -> None:
    headers = auth(world.user("monitor_a"))
    incident_id = str(uuid.uuid4())
    assert (
        client.post(INCIDENTS, json=incident_body(id=incident_id), headers=headers).status_code
        == 201
    )
    response = client.post(
        INCIDENTS, json=incident_body(id=incident_id, incident_type="killing"), headers=headers
    )
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    stored = session.get(Incident, uuid.UUID(incident_id), populate_existing=True)
    assert stored is not None
    assert stored.incident_type == "extortion"


def test_same_id_from_another_organisation_is_409(client: TestClient, world: World) -> None:
    existing = world.incidents["b_mopti"]
    body = incident_body(id=str(existing.id))
    response = client.post(INCIDENTS, json=body, headers=auth(world.user("monitor_a")))
    assert response.status_code == 409
    assert "Cattle" not in response.text


def test_replay_after_an_edit_still_returns_the_current_record(
    client: TestClient, world: World
) -> None:
    headers = auth(world.user("monitor_a"))
    body = incident_body(id=str(uuid.uuid4()))
    created = client.post(INCIDENTS, json=body, headers=headers).json()
    client.patch(f"{INCIDENTS}/{created['id']}", json={"locality": "Bourem"}, headers=headers)
    replay = client.post(INCIDENTS, json=body, headers=headers)
    assert replay.status_code == 200
    assert replay.json()["locality"] == "Bourem"
    assert replay.json()["version"] == 2


def test_monitor_cannot_submit_outside_their_regions(
    client: TestClient, world: World, session: Session
) -> None:
    before = count(session)
    response = client.post(
        INCIDENTS,
        json=incident_body(region="ML05", admin2="ML0501"),
        headers=auth(world.user("monitor_a")),
    )
    assert response.status_code == 403
    assert count(session) == before


def test_supervisor_without_regions_submits_anywhere(client: TestClient, world: World) -> None:
    response = client.post(
        INCIDENTS,
        json=incident_body(region="ML08", admin2="ML0803"),
        headers=auth(world.user("supervisor_all")),
    )
    assert response.status_code == 201
    assert response.json()["organization"] == "ORGB"


BAD_BODIES: list[tuple[str, dict[str, Any], tuple[str | int, ...]]] = [
    ("wrong type", {"occurred_on": 20170501}, ("body", "occurred_on")),
    ("not a date", {"occurred_on": "last tuesday"}, ("body", "occurred_on")),
    (
        "future date",
        {"occurred_on": (today() + timedelta(days=1)).isoformat()},
        ("body", "occurred_on"),
    ),
    ("unknown type", {"incident_type": "jaywalking"}, ("body", "incident_type")),
    ("unknown group", {"population_group": "tourist"}, ("body", "population_group")),
    ("unknown perpetrator", {"perpetrator_category": "aliens"}, ("body", "perpetrator_category")),
    ("unknown urgency", {"urgency": "whenever"}, ("body", "urgency")),
    ("unknown region", {"region": "ML42", "admin2": None}, ("body", "region")),
    ("not a p-code", {"region": "Gao"}, ("body", "region")),
    ("admin2 elsewhere", {"admin2": "ML0501"}, ("body", "admin2")),
    ("negative victims", {"victims": {"male_adults": -1}}, ("body", "victims", "male_adults")),
    ("victims typo", {"victims": {"men": 2}}, ("body", "victims", "men")),
    ("victims not object", {"victims": [1, 2]}, ("body", "victims")),
    ("unknown field", {"victim_name": "Aminata"}, ("body", "victim_name")),
    ("bad id", {"id": "not-a-uuid"}, ("body", "id")),
    ("huge locality", {"locality": "x" * 201}, ("body", "locality")),
    ("missing type", {"incident_type": None}, ("body", "incident_type")),
]


@pytest.mark.parametrize(("case", "changes", "loc"), BAD_BODIES, ids=[c[0] for c in BAD_BODIES])
def test_bad_input_is_a_422_problem_and_stores_nothing(
    client: TestClient,
    world: World,
    session: Session,
    case: str,
    changes: dict[str, Any],
    loc: tuple[str | int, ...],
) -> None:
    before = count(session)
    response = client.post(
        INCIDENTS, json=incident_body(**changes), headers=auth(world.user("monitor_a"))
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert problem["title"]
    assert problem["detail"]
    assert loc in {tuple(e["loc"]) for e in problem["errors"]}
    assert count(session) == before


@pytest.mark.parametrize(
    "raw",
    [b'{"occurred_on": "2024-01-01", ', b"not json at all", b"[]", b'"a string"', b"null"],
)
def test_malformed_json_is_a_422_problem(
    client: TestClient, world: World, session: Session, raw: bytes
) -> None:
    before = count(session)
    response = client.post(
        INCIDENTS,
        content=raw,
        headers={**auth(world.user("monitor_a")), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert count(session) == before


def test_oversized_body_is_413(
    client: TestClient, world: World, session: Session, configure: Any
) -> None:
    before = count(session)
    body = incident_body(description="x" * (1024 * 1024))
    response = client.post(INCIDENTS, json=body, headers=auth(world.user("monitor_a")))
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert count(session) == before


def test_oversized_chunked_body_is_413(client: TestClient, world: World, session: Session) -> None:
    def chunks() -> Any:
        yield b'{"description": "'
        for _ in range(300):
            yield b"x" * 4096
        yield b'"}'

    response = client.post(
        INCIDENTS,
        content=chunks(),
        headers={**auth(world.user("monitor_a")), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_a_body_that_is_not_utf8_is_a_422_problem(
    client: TestClient, world: World, session: Session
) -> None:
    before = count(session)
    response = client.post(
        INCIDENTS,
        content=b'{"region": "\xff\xfe\xfa"}',
        headers={**auth(world.user("monitor_a")), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert count(session) == before
