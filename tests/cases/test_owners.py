"""Owners: the creator by default, re-assigned by the owner or a supervisor, with history."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import World, auth, case_body, person_body

PERSONS = "/api/v1/persons"
CASES = "/api/v1/sgbv-cases"


def assign(client: TestClient, url: str, headers: dict[str, str], **body: Any) -> Any:
    return client.post(f"{url}/assign", json=body, headers=headers)


def test_the_creator_owns_a_new_case(client: TestClient, world: World) -> None:
    caseworker = world.user("caseworker_a")
    person = client.post(
        PERSONS, json=person_body(registration_number="MLI-GAO-9"), headers=auth(caseworker)
    ).json()
    assert person["owner"] == str(caseworker.id)
    assert person["owner_username"] == "caseworker_a"
    assert person["status"] == "open"
    gbv = world.user("gbv_a")
    case = client.post(CASES, json=case_body(survivor_code="GAO-9"), headers=auth(gbv)).json()
    assert (case["owner"], case["owner_username"], case["status"]) == (
        str(gbv.id),
        "gbv_a",
        "open",
    )
    history = client.get(f"{PERSONS}/{person['id']}/history", headers=auth(caseworker)).json()
    assert history["items"] == [
        {
            "event": "created",
            "from": None,
            "to": "open",
            "by": str(caseworker.id),
            "by_username": "caseworker_a",
            "at": history["items"][0]["at"],
            "note": None,
            "owner": str(caseworker.id),
            "owner_username": "caseworker_a",
            "organization": "ORGA",
            "transfer_id": None,
        }
    ]


def test_the_owner_hands_a_person_over_with_a_note(client: TestClient, world: World) -> None:
    url = f"{PERSONS}/{world.persons['a'].id}"
    new_owner = world.user("caseworker_a2")
    response = assign(
        client,
        url,
        {**auth(world.user("caseworker_a")), "If-Match": '"1"'},
        owner=str(new_owner.id),
        note="Going on leave.",
    )
    assert response.status_code == 200, response.text
    assert response.json()["owner_username"] == "caseworker_a2"
    assert response.headers["ETag"] == '"2"'
    # The former owner is no longer the owner: they may not assign it back.
    again = assign(client, url, auth(world.user("caseworker_a")), owner=str(new_owner.id))
    assert again.status_code == 403
    items = client.get(f"{url}/history", headers=auth(new_owner)).json()["items"]
    assert [(i["event"], i["owner_username"], i["note"]) for i in items] == [
        ("created", "caseworker_a", None),
        ("assigned", "caseworker_a2", "Going on leave."),
    ]
    assert items[1]["by_username"] == "caseworker_a"


def test_a_supervisor_of_the_region_reassigns(client: TestClient, world: World) -> None:
    url = f"{CASES}/{world.cases['a'].id}"
    response = assign(
        client, url, auth(world.user("supervisor_a")), owner=str(world.user("gbv_a2").id)
    )
    assert response.status_code == 200, response.text
    assert response.json()["owner_username"] == "gbv_a2"


@pytest.mark.parametrize(
    ("subject", "candidate", "why"),
    [
        ("person", "caseworker_b", "another organisation"),
        ("person", "supervisor_a", "not a caseworker"),
        ("person", "monitor_a", "not a caseworker"),
        ("case", "caseworker_a", "plain caseworkers never own SGBV cases"),
        ("case", "gbv_b", "another organisation"),
        ("case", "inactive", "deactivated"),
        ("case", "nobody", "no such user"),
    ],
)
def test_the_new_owner_must_be_an_active_caseworker_of_the_organisation(
    client: TestClient, world: World, session: Any, subject: str, candidate: str, why: str
) -> None:
    import uuid

    if candidate == "inactive":
        user = world.user("gbv_a2")
        user.is_active = False
        session.commit()
        owner = str(user.id)
    elif candidate == "nobody":
        owner = str(uuid.uuid4())
    else:
        owner = str(world.user(candidate).id)
    url = (
        f"{PERSONS}/{world.persons['a'].id}"
        if subject == "person"
        else f"{CASES}/{world.cases['a'].id}"
    )
    response = assign(client, url, auth(world.user("supervisor_a")), owner=owner)
    assert response.status_code == 422, why
    assert response.json()["errors"][0]["loc"] == ["body", "owner"]


def test_assigning_to_the_current_owner_is_a_conflict(client: TestClient, world: World) -> None:
    url = f"{PERSONS}/{world.persons['a'].id}"
    owner = str(world.user("caseworker_a").id)
    assert assign(client, url, auth(world.user("supervisor_a")), owner=owner).status_code == 409


def test_a_stale_if_match_is_412(client: TestClient, world: World) -> None:
    url = f"{PERSONS}/{world.persons['a'].id}"
    headers = {**auth(world.user("caseworker_a")), "If-Match": '"7"'}
    response = assign(client, url, headers, owner=str(world.user("caseworker_a2").id))
    assert response.status_code == 412


def test_lists_filter_by_owner_and_status(client: TestClient, world: World) -> None:
    mine = client.get(f"{PERSONS}?owner=me", headers=auth(world.user("caseworker_a"))).json()
    ids = {p["id"] for p in mine["items"]}
    assert str(world.persons["a"].id) in ids
    assert all(p["owner_username"] == "caseworker_a" for p in mine["items"])
    assert (
        client.get(f"{PERSONS}?owner=me", headers=auth(world.user("caseworker_a2"))).json()["items"]
        == []
    )
    by_id = client.get(
        f"{PERSONS}?owner={world.user('caseworker_a').id}", headers=auth(world.user("supervisor_a"))
    ).json()
    assert {p["id"] for p in by_id["items"]} == ids
    closed = client.get(f"{PERSONS}?status=closed", headers=auth(world.user("caseworker_a")))
    assert closed.json()["items"] == []
    cases = client.get(f"{CASES}?owner=me&status=open", headers=auth(world.user("gbv_a"))).json()
    assert [c["id"] for c in cases["items"]] == [str(world.cases["a"].id)]
    assert (
        client.get(f"{PERSONS}?owner=someone", headers=auth(world.user("caseworker_a"))).status_code
        == 422
    )
    assert client.get(f"{CASES}?status=shut", headers=auth(world.user("gbv_a"))).status_code == 422


def test_unassigned_cases_are_listed_with_owner_none(
    client: TestClient, world: World, session: Any
) -> None:
    world.persons["b"].owner_id = None
    session.commit()
    headers = auth(world.user("caseworker_b"))
    listed = client.get(f"{PERSONS}?owner=none", headers=headers).json()["items"]
    assert [p["id"] for p in listed] == [str(world.persons["b"].id)]
    # Nobody owns it: any caseworker of its organisation may handle it, a supervisor assigns.
    url = f"{PERSONS}/{world.persons['b'].id}"
    moved = client.post(
        f"{url}/transitions", json={"to": "closed", "note": "Left the area."}, headers=headers
    )
    assert moved.status_code == 200, moved.text
    given = assign(
        client, url, auth(world.user("supervisor_mopti")), owner=str(world.user("caseworker_b").id)
    )
    assert given.status_code == 200, given.text


def test_a_colleague_may_be_named_by_username(client: TestClient, world: World) -> None:
    url = f"{PERSONS}/{world.persons['a'].id}"
    response = assign(client, url, auth(world.user("caseworker_a")), owner="Caseworker_A2")
    assert response.status_code == 200, response.text
    assert response.json()["owner"] == str(world.user("caseworker_a2").id)
    unknown = assign(client, url, auth(world.user("caseworker_a2")), owner="nobody.here")
    assert unknown.status_code == 422
