import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from casework.incidents.models import Incident
from tests.factories import World, auth, make_incident, today

INCIDENTS = "/api/v1/incidents"


def test_read_carries_an_etag(client: TestClient, world: World) -> None:
    incident = world.incidents["a_gao"]
    response = client.get(f"{INCIDENTS}/{incident.id}", headers=auth(world.user("monitor_a")))
    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'
    assert response.json()["description"] == "Extortion at a checkpoint on the Ansongo road."


def test_patch_with_current_etag_then_stale_etag(client: TestClient, world: World) -> None:
    headers = auth(world.user("monitor_a"))
    url = f"{INCIDENTS}/{world.incidents['a_gao'].id}"
    etag = client.get(url, headers=headers).headers["etag"]

    first = client.patch(url, json={"locality": "Ansongo"}, headers={**headers, "If-Match": etag})
    assert first.status_code == 200
    assert first.json()["version"] == 2
    assert first.headers["etag"] == '"2"'

    # A second device still holding the old ETag must not silently overwrite.
    stale = client.patch(url, json={"locality": "Gao"}, headers={**headers, "If-Match": etag})
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert stale.headers["etag"] == '"2"'  # the current one, to read again with
    assert stale.json()["current_version"] == 2
    assert client.get(url, headers=headers).json()["locality"] == "Ansongo"


@pytest.mark.parametrize("if_match", ['"1"', '"7", "1"', '"7" , W/"8", "1"', "*"])
def test_if_match_forms(client: TestClient, world: World, if_match: str) -> None:
    headers = auth(world.user("monitor_a"))
    url = f"{INCIDENTS}/{world.incidents['a_gao'].id}"
    response = client.patch(
        url, json={"urgency": "urgent"}, headers={**headers, "If-Match": if_match}
    )
    assert response.status_code == 200


@pytest.mark.parametrize("if_match", ['W/"1"', 'W/"1", "7"', '"01"', "1", '"2"'])
def test_if_match_is_a_strong_comparison(client: TestClient, world: World, if_match: str) -> None:
    # RFC 9110 13.1.1: If-Match compares strongly; a weak tag never matches.
    headers = auth(world.user("monitor_a"))
    url = f"{INCIDENTS}/{world.incidents['a_gao'].id}"
    response = client.patch(
        url, json={"urgency": "urgent"}, headers={**headers, "If-Match": if_match}
    )
    assert response.status_code == 412
    assert response.headers["etag"] == '"1"'


def test_patch_without_if_match_is_accepted(client: TestClient, world: World) -> None:
    url = f"{INCIDENTS}/{world.incidents['a_gao'].id}"
    response = client.patch(url, json={"urgency": "urgent"}, headers=auth(world.user("monitor_a")))
    assert response.status_code == 200
    assert response.json()["urgency"] == "urgent"


def test_patch_that_changes_nothing_keeps_the_version(client: TestClient, world: World) -> None:
    url = f"{INCIDENTS}/{world.incidents['a_gao'].id}"
    response = client.patch(url, json={"urgency": "normal"}, headers=auth(world.user("monitor_a")))
    assert response.status_code == 200
    assert response.json()["version"] == 1


def test_concurrent_write_between_read_and_flush_is_detected(
    session: Session, world: World
) -> None:
    """The version column guards the window between our read and our UPDATE."""
    incident = world.incidents["a_gao"]
    session.execute(
        text("UPDATE incidents SET version = version + 1 WHERE id = :id"),
        {"id": incident.id.hex if session.get_bind().dialect.name == "sqlite" else incident.id},
    )
    incident.locality = "Menaka"
    with pytest.raises(StaleDataError):
        session.flush()


@pytest.mark.parametrize(
    ("changes", "loc"),
    [
        ({"region": None}, ["body"]),
        ({"occurred_on": (today() + timedelta(days=2)).isoformat()}, ["body", "occurred_on"]),
        ({"admin2": "ML0501"}, ["body", "admin2"]),
        ({"region": "ML10"}, ["body", "admin2"]),  # ML0701 no longer lies inside
        ({"status": "lost"}, ["body", "status"]),
        ({"organization": "ORGB"}, ["body", "organization"]),
    ],
)
def test_bad_patches_are_422_and_change_nothing(
    client: TestClient, world: World, changes: dict[str, Any], loc: list[str]
) -> None:
    headers = auth(world.user("supervisor_a"))
    url = f"{INCIDENTS}/{world.incidents['a_gao'].id}"
    response = client.patch(url, json=changes, headers=headers)
    assert response.status_code == 422, response.text
    assert loc in [e["loc"][: len(loc)] for e in response.json()["errors"]]
    after = client.get(url, headers=headers).json()
    assert after["version"] == 1


def test_moving_region_with_matching_admin2_recodes_it(client: TestClient, world: World) -> None:
    url = f"{INCIDENTS}/{world.incidents['a_gao'].id}"
    response = client.patch(
        url, json={"region": "ML10", "admin2": "ML1002"}, headers=auth(world.user("monitor_a2"))
    )
    assert response.status_code == 200
    assert (response.json()["region"], response.json()["admin2"]) == ("ML10", "ML1002")


def test_monitor_cannot_move_an_incident_out_of_their_regions(
    client: TestClient, world: World
) -> None:
    url = f"{INCIDENTS}/{world.incidents['a_gao'].id}"
    response = client.patch(
        url, json={"region": "ML05", "admin2": None}, headers=auth(world.user("monitor_a"))
    )
    assert response.status_code == 403


def test_only_supervisors_change_status(client: TestClient, world: World) -> None:
    url = f"{INCIDENTS}/{world.incidents['a_gao'].id}"
    assert (
        client.patch(url, json={"status": "verified"}, headers=auth(world.user("monitor_a")))
    ).status_code == 403
    response = client.patch(
        url, json={"status": "verified"}, headers=auth(world.user("supervisor_a"))
    )
    assert response.status_code == 200
    assert response.json()["status"] == "verified"


def test_victims_patch_replaces_the_counts(client: TestClient, world: World) -> None:
    url = f"{INCIDENTS}/{world.incidents['a_gao'].id}"
    response = client.patch(
        url, json={"victims": {"female_children": 2}}, headers=auth(world.user("monitor_a"))
    )
    assert response.json()["victims"] == {
        "female_adults": 0,
        "male_adults": 0,
        "female_children": 2,
        "male_children": 0,
    }


def test_list_filters(client: TestClient, world: World, session: Session) -> None:
    supervisor = world.user("supervisor_all")
    make_incident(
        session,
        supervisor,
        region="ML08",
        admin2="ML0802",
        incident_type="killing",
        occurred_on=(today() - timedelta(days=40)).isoformat(),
        urgency="urgent",
    )
    session.commit()
    headers = auth(supervisor)

    def ids(**params: Any) -> set[str]:
        response = client.get(INCIDENTS, params=params, headers=headers)
        assert response.status_code == 200, response.text
        return {item["region"] + ":" + item["incident_type"] for item in response.json()["items"]}

    assert ids() == {"ML07:extortion", "ML05:robbery", "ML08:killing"}
    assert ids(region="ML08") == {"ML08:killing"}
    assert ids(region=["ML05", "ML07"]) == {"ML07:extortion", "ML05:robbery"}
    assert ids(incident_type="robbery") == {"ML05:robbery"}
    assert ids(urgency="urgent") == {"ML08:killing"}
    assert ids(admin2="ML0506") == {"ML05:robbery"}
    assert ids(occurred_to=(today() - timedelta(days=30)).isoformat()) == {"ML08:killing"}
    assert ids(occurred_from=(today() - timedelta(days=30)).isoformat()) == {
        "ML07:extortion",
        "ML05:robbery",
    }
    assert ids(status="verified") == set()


@pytest.mark.parametrize(
    "params",
    [
        {"regoin": "ML07"},
        {"incident_type": "jaywalking"},
        {"limit": 0},
        {"limit": 501},
        {"occurred_from": "2024-02-01", "occurred_to": "2024-01-01"},
        {"cursor": "garbage"},
        {"cursor": "W10"},
    ],
)
def test_bad_list_parameters_are_422(
    client: TestClient, world: World, params: dict[str, Any]
) -> None:
    response = client.get(INCIDENTS, params=params, headers=auth(world.user("supervisor_all")))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_cursor_pagination_visits_every_row_once_even_with_inserts(
    client: TestClient, world: World, session: Session
) -> None:
    monitor = world.user("monitor_a")
    for _ in range(23):
        make_incident(session, monitor)
    session.commit()
    headers = auth(monitor)
    expected = {
        str(i.id)
        for i in session.query(Incident).filter_by(organization_id=monitor.organization_id)
    }
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 7}
        if cursor:
            params["cursor"] = cursor
        page = client.get(INCIDENTS, params=params, headers=headers).json()
        seen += [item["id"] for item in page["items"]]
        if len(seen) == 7:
            # Rows added meanwhile are newer than the cursor: they do not shift pages.
            make_incident(session, monitor)
            session.commit()
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == len(expected)
    assert set(seen) == expected


def test_unknown_incident_is_404(client: TestClient, world: World) -> None:
    response = client.get(f"{INCIDENTS}/{uuid.uuid4()}", headers=auth(world.user("supervisor_all")))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
