import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from casework.persons.models import Person
from tests.factories import World, auth, person_body

PERSONS = "/api/v1/persons"


def raw_rows(session: Session, table: str) -> list[str]:
    """Every row of a table as the database stores it, as one string per row."""
    return [repr(tuple(row)) for row in session.execute(text(f"SELECT * FROM {table}"))]


def test_register_and_read_back_in_clear(client: TestClient, world: World) -> None:
    headers = auth(world.user("caseworker_a"))
    body = person_body(registration_number="MLI-GAO-555", full_name="Fatoumata Touré")
    created = client.post(PERSONS, json=body, headers=headers)
    assert created.status_code == 201, created.text
    person = client.get(f"{PERSONS}/{created.json()['id']}", headers=headers).json()
    assert person["full_name"] == "Fatoumata Touré"
    assert person["registration_number"] == "MLI-GAO-555"
    assert person["phone"] == "+223 76 12 34 56"
    assert person["organization"] == "ORGA"


def test_identities_are_not_stored_in_clear(
    client: TestClient, world: World, session: Session
) -> None:
    headers = auth(world.user("caseworker_a"))
    secrets = {
        "full_name": "Mariam Ag Ahmed",
        "registration_number": "MLI-MEN-31337",
        "phone": "+223 90 90 90 90",
    }
    assert client.post(PERSONS, json=person_body(**secrets), headers=headers).status_code == 201
    dump = "\n".join(raw_rows(session, "persons"))
    for value in (*secrets.values(), "Mariam", "31337", "90 90 90", "Aminata", "Maïga"):
        assert value not in dump
    assert "v1:t1:" in dump  # values are there, encrypted under the test key


def test_exact_lookup_by_registration_number(client: TestClient, world: World) -> None:
    headers = auth(world.user("caseworker_a"))
    found = client.get(PERSONS, params={"registration_number": "MLI-GAO-000123"}, headers=headers)
    assert [p["id"] for p in found.json()["items"]] == [str(world.persons["a"].id)]
    # Normalised: spacing and case do not matter.
    again = client.get(PERSONS, params={"registration_number": "mli-gao-000123 "}, headers=headers)
    assert len(again.json()["items"]) == 1
    # A prefix is not a match: the lookup is exact.
    prefix = client.get(PERSONS, params={"registration_number": "MLI-GAO"}, headers=headers)
    assert prefix.json()["items"] == []
    # Another organisation cannot find it.
    other = client.get(
        PERSONS,
        params={"registration_number": "MLI-GAO-000123"},
        headers=auth(world.user("caseworker_b")),
    )
    assert other.json()["items"] == []


def test_registration_number_is_unique_per_organisation(client: TestClient, world: World) -> None:
    duplicate = person_body(full_name="Someone Else")
    assert (
        client.post(PERSONS, json=duplicate, headers=auth(world.user("caseworker_a"))).status_code
        == 409
    )
    # Another partner may register the same refugee.
    assert (
        client.post(PERSONS, json=duplicate, headers=auth(world.user("caseworker_b"))).status_code
        == 201
    )


def test_idempotent_registration(client: TestClient, world: World, session: Session) -> None:
    headers = auth(world.user("caseworker_a"))
    body = person_body(id=str(uuid.uuid4()), registration_number="MLI-GAO-42")
    first = client.post(PERSONS, json=body, headers=headers)
    second = client.post(PERSONS, json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    changed = client.post(PERSONS, json={**body, "full_name": "Changed"}, headers=headers)
    assert changed.status_code == 409
    assert session.scalar(select(func.count()).where(Person.id == uuid.UUID(body["id"]))) == 1


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("caseworker_a", 200),
        ("gbv_a", 200),
        ("supervisor_a", 200),
        ("supervisor_all", 200),
        ("caseworker_b", 404),
        ("supervisor_mopti", 404),
        ("monitor_a", 403),
        ("focal_cvjr", 403),
        ("reporting", 403),
        ("admin", 403),
    ],
)
def test_person_scope(client: TestClient, world: World, username: str, status: int) -> None:
    response = client.get(f"{PERSONS}/{world.persons['a'].id}", headers=auth(world.user(username)))
    assert response.status_code == status
    if status == 200:
        assert response.json()["full_name"] == "Aminata Maïga"
    else:
        assert "Aminata" not in response.text


def test_lists_hold_only_the_callers_scope(client: TestClient, world: World) -> None:
    names = {
        p["full_name"]
        for p in client.get(PERSONS, headers=auth(world.user("caseworker_b"))).json()["items"]
    }
    assert names == {"Oumar Cissé"}


def test_update_honours_if_match_and_recomputes_the_index(client: TestClient, world: World) -> None:
    headers = auth(world.user("caseworker_a"))
    url = f"{PERSONS}/{world.persons['a'].id}"
    etag = client.get(url, headers=headers).headers["etag"]
    changed = client.patch(
        url, json={"registration_number": "MLI-GAO-999"}, headers={**headers, "If-Match": etag}
    )
    assert changed.status_code == 200
    stale = client.patch(
        url, json={"phone": "+223 11 11 11 11"}, headers={**headers, "If-Match": etag}
    )
    assert stale.status_code == 412
    found = client.get(PERSONS, params={"registration_number": "MLI-GAO-999"}, headers=headers)
    assert len(found.json()["items"]) == 1
    gone = client.get(PERSONS, params={"registration_number": "MLI-GAO-000123"}, headers=headers)
    assert gone.json()["items"] == []


@pytest.mark.parametrize(
    ("changes", "loc"),
    [
        ({"nationality": "Mali"}, ["body", "nationality"]),
        ({"birth_year": 1850}, ["body", "birth_year"]),
        ({"phone": "call me"}, ["body", "phone"]),
        ({"sex": "f"}, ["body", "sex"]),
        ({"region": "ML77"}, ["body", "region"]),
        ({"full_name": ""}, ["body", "full_name"]),
        ({"ethnicity": "x"}, ["body", "ethnicity"]),
    ],
)
def test_bad_person_input_is_422(
    client: TestClient, world: World, session: Session, changes: dict[str, Any], loc: list[str]
) -> None:
    before = session.scalar(select(func.count()).select_from(Person))
    response = client.post(
        PERSONS,
        json=person_body(registration_number="X-1", **changes),
        headers=auth(world.user("caseworker_a")),
    )
    assert response.status_code == 422
    assert loc in [e["loc"] for e in response.json()["errors"]]
    assert session.scalar(select(func.count()).select_from(Person)) == before
