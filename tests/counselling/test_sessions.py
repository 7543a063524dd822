from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.factories import World, auth, counselling_body, today

SESSIONS = "/api/v1/counselling-sessions"


def test_a_reception_day(client: TestClient, world: World) -> None:
    headers = auth(world.user("caseworker_a"))
    anonymous = client.post(
        SESSIONS,
        json=counselling_body(
            sex="male",
            age_group="18-59",
            population_group="asylum_seeker",
            region="ML09",
            concerns=["financial_assistance", "income_generation"],
        ),
        headers=headers,
    )
    assert anonymous.status_code == 201, anonymous.text
    assert anonymous.json()["person_id"] is None
    known = client.post(
        SESSIONS, json=counselling_body(person_id=str(world.persons["a"].id)), headers=headers
    )
    assert known.status_code == 201
    # The person's sex and region are taken from the person.
    assert (known.json()["sex"], known.json()["region"]) == ("female", "ML07")
    assert known.json()["counsellor_id"] == str(world.user("caseworker_a").id)

    by_concern = client.get(SESSIONS, params={"concern": "income_generation"}, headers=headers)
    assert [s["id"] for s in by_concern.json()["items"]] == [anonymous.json()["id"]]
    documentation = client.get(SESSIONS, params={"concern": "documentation"}, headers=headers)
    assert len(documentation.json()["items"]) == 2  # the world's session and this one
    by_person = client.get(
        SESSIONS, params={"person_id": str(world.persons["a"].id)}, headers=headers
    )
    assert len(by_person.json()["items"]) == 2
    by_office = client.get(
        SESSIONS,
        params={"office": "Bamako reception", "held_from": today().isoformat()},
        headers=headers,
    )
    assert by_office.json()["items"] == []


def test_notes_are_encrypted_at_rest(client: TestClient, world: World, session: Session) -> None:
    assert "Ménaka" not in repr(session.execute(text("SELECT * FROM counselling_sessions")).all())
    read = client.get(
        f"{SESSIONS}/{world.sessions['a'].id}", headers=auth(world.user("caseworker_a"))
    )
    assert "Ménaka" in read.json()["notes"]


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("caseworker_a", 200),
        ("gbv_a", 200),
        ("supervisor_a", 200),
        ("caseworker_b", 404),
        ("supervisor_mopti", 404),
        ("monitor_a", 403),
        ("focal_cvjr", 403),
        ("reporting", 403),
    ],
)
def test_session_scope(client: TestClient, world: World, username: str, status: int) -> None:
    response = client.get(
        f"{SESSIONS}/{world.sessions['a'].id}", headers=auth(world.user(username))
    )
    assert response.status_code == status


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"concerns": []}, 422),
        ({"concerns": ["boredom"]}, 422),
        ({"held_on": (today() + timedelta(days=1)).isoformat()}, 422),
        ({"region": "ML09"}, 422),  # anonymous without sex
        ({"sex": "female"}, 422),  # anonymous without region
        ({"person": True, "sex": "male"}, 422),  # the person has a sex already
        ({"person_b": True}, 422),  # a person of another organisation
        ({"sex": "female", "region": "ML99"}, 422),
        ({"sex": "female", "region": "ML09", "age_group": "adult"}, 422),
    ],
)
def test_bad_sessions_are_422(
    client: TestClient, world: World, changes: dict[str, Any], status: int
) -> None:
    body = counselling_body(**{k: v for k, v in changes.items() if k not in {"person", "person_b"}})
    if changes.get("person"):
        body["person_id"] = str(world.persons["a"].id)
    if changes.get("person_b"):
        body["person_id"] = str(world.persons["b"].id)
    response = client.post(SESSIONS, json=body, headers=auth(world.user("caseworker_a")))
    assert response.status_code == status, response.text


def test_changing_concerns_moves_the_etag(client: TestClient, world: World) -> None:
    headers = auth(world.user("caseworker_a"))
    url = f"{SESSIONS}/{world.sessions['a'].id}"
    etag = client.get(url, headers=headers).headers["etag"]
    changed = client.patch(url, json={"concerns": ["legal"]}, headers={**headers, "If-Match": etag})
    assert changed.status_code == 200
    assert changed.json()["concerns"] == ["legal"]
    assert changed.headers["etag"] != etag
    stale = client.patch(url, json={"outcome": "x"}, headers={**headers, "If-Match": etag})
    assert stale.status_code == 412


def test_follow_up_referral_reuses_the_referral_service(client: TestClient, world: World) -> None:
    headers = auth(world.user("caseworker_a"))
    follow_up = client.post(
        "/api/v1/referrals",
        json={
            "person_id": str(world.persons["a"].id),
            "actor": "CVJR",
            "services": ["legal"],
            "counselling_session_id": str(world.sessions["a"].id),
        },
        headers=headers,
    )
    assert follow_up.status_code == 201, follow_up.text
    assert follow_up.json()["counselling_session_id"] == str(world.sessions["a"].id)
    listed = client.get(
        "/api/v1/referrals",
        params={"counselling_session_id": str(world.sessions["a"].id)},
        headers=headers,
    ).json()["items"]
    assert [r["id"] for r in listed] == [follow_up.json()["id"]]
    # A follow-up is about the session's person.
    wrong = client.post(
        "/api/v1/referrals",
        json={
            "person_id": str(world.persons["refugee"].id),
            "actor": "CVJR",
            "services": ["legal"],
            "counselling_session_id": str(world.sessions["a"].id),
        },
        headers=headers,
    )
    assert wrong.status_code == 422
