"""Nothing a create answers tells the caller that a record outside their scope exists.

Class: uniqueness checks and client-chosen ids that look beyond the caller's scope.

* Registration numbers and survivor codes are unique within what the caller can read (and,
  in the database, per organisation and region): a number the organisation holds in a
  region the caller does not cover answers 201 exactly like a free one.
* A client-chosen id is a primary key, unique across the service: a taken one can only be
  refused. The refusal is the same 409, word for word, whether the id is the caller's own
  record with other content or anyone else's record; it says neither what nor whose.
  Ids are random UUIDs, so only someone already holding one can ask.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import (
    World,
    auth,
    case_body,
    consent_body,
    counselling_body,
    incident_body,
    make_case,
    make_person,
    person_body,
    repatriation_body,
)


def test_a_registration_number_held_out_of_scope_answers_like_a_free_one(
    client: TestClient, world: World, session: Session
) -> None:
    # ORGA holds MLI-MEN-000001 in Ménaka (ML10); supervisor_a (ORGA) covers Gao only.
    make_person(
        session, world.user("caseworker_a"), registration_number="MLI-MEN-000001", region="ML10"
    )
    session.commit()
    supervisor = auth(world.user("supervisor_a"))
    held = client.post(
        "/api/v1/persons",
        json=person_body(registration_number="MLI-MEN-000001"),
        headers=supervisor,
    )
    free = client.post(
        "/api/v1/persons",
        json=person_body(registration_number="MLI-GAO-777777"),
        headers=supervisor,
    )
    assert held.status_code == free.status_code == 201
    # Within scope the number is still unique: the caseworker sees the whole organisation.
    again = client.post(
        "/api/v1/persons",
        json=person_body(registration_number="MLI-MEN-000001"),
        headers=auth(world.user("caseworker_a")),
    )
    assert again.status_code == 409
    # And the supervisor, for the number now held in Gao.
    twice = client.post(
        "/api/v1/persons",
        json=person_body(registration_number="MLI-GAO-777777"),
        headers=supervisor,
    )
    assert twice.status_code == 409


def test_a_survivor_code_held_out_of_scope_answers_like_a_free_one(
    client: TestClient, world: World, session: Session
) -> None:
    make_case(
        session, world.user("gbv_a"), survivor_code="MEN-2026-009", region="ML10", admin2=None
    )
    session.commit()
    supervisor = auth(world.user("supervisor_a"))
    held = client.post(
        "/api/v1/sgbv-cases", json=case_body(survivor_code="MEN-2026-009"), headers=supervisor
    )
    free = client.post(
        "/api/v1/sgbv-cases", json=case_body(survivor_code="GAO-2026-777"), headers=supervisor
    )
    assert held.status_code == free.status_code == 201
    again = client.post(
        "/api/v1/sgbv-cases",
        json=case_body(survivor_code="MEN-2026-009", region="ML10", admin2=None),
        headers=auth(world.user("gbv_a")),
    )
    assert again.status_code == 409


def test_moving_a_person_onto_a_visible_twin_is_409_not_500(
    client: TestClient, world: World, session: Session
) -> None:
    make_person(session, world.user("caseworker_a"), registration_number="MLI-X-1", region="ML10")
    mover = make_person(
        session, world.user("caseworker_a"), registration_number="MLI-X-2", region="ML07"
    )
    session.commit()
    response = client.patch(
        f"/api/v1/persons/{mover.id}",
        json={"registration_number": "MLI-X-1"},
        headers=auth(world.user("caseworker_a")),
    )
    assert response.status_code == 409


@dataclass(frozen=True)
class CreatePath:
    name: str
    url: str
    caller: str  # an ORGB user
    body: Callable[[World], dict[str, Any]]
    foreign: Callable[[World], uuid.UUID]  # an ORGA record of the same kind
    other_body: Callable[[World], dict[str, Any]]


CREATE_PATHS = [
    CreatePath(
        "incident",
        "/api/v1/incidents",
        "monitor_b",
        lambda w: incident_body(region="ML05", admin2="ML0506"),
        lambda w: w.incidents["a_gao"].id,
        lambda w: incident_body(region="ML05", admin2="ML0506", locality="Elsewhere"),
    ),
    CreatePath(
        "person",
        "/api/v1/persons",
        "caseworker_b",
        lambda w: person_body(registration_number=f"B-{uuid.uuid4().hex[:6]}", region="ML05"),
        lambda w: w.persons["a"].id,
        lambda w: person_body(registration_number=f"B-{uuid.uuid4().hex[:6]}", region="ML05"),
    ),
    CreatePath(
        "sgbv case",
        "/api/v1/sgbv-cases",
        "gbv_b",
        lambda w: case_body(
            survivor_code=f"MOP-{uuid.uuid4().hex[:6].upper()}", region="ML05", admin2=None
        ),
        lambda w: w.cases["a"].id,
        lambda w: case_body(
            survivor_code=f"MOP-{uuid.uuid4().hex[:6].upper()}", region="ML05", admin2=None
        ),
    ),
    CreatePath(
        "consent",
        "/api/v1/consents",
        "caseworker_b",
        lambda w: consent_body(person_id=str(w.persons["b"].id)),
        lambda w: w.consents["a"].id,
        lambda w: consent_body(person_id=str(w.persons["b"].id), services=["legal"]),
    ),
    CreatePath(
        "referral",
        "/api/v1/referrals",
        "caseworker_b",
        lambda w: {"person_id": str(w.persons["b"].id), "actor": "CVJR", "services": ["legal"]},
        lambda w: w.referrals["person_sent"].id,
        lambda w: {
            "person_id": str(w.persons["b"].id),
            "actor": "CVJR",
            "services": ["psychosocial"],
        },
    ),
    CreatePath(
        "counselling session",
        "/api/v1/counselling-sessions",
        "caseworker_b",
        lambda w: counselling_body(person_id=str(w.persons["b"].id)),
        lambda w: w.sessions["a"].id,
        lambda w: counselling_body(person_id=str(w.persons["b"].id), office="Mopti office"),
    ),
    CreatePath(
        "repatriation file",
        "/api/v1/repatriation-files",
        "caseworker_b",
        lambda w: repatriation_body(principal_person_id=str(w.persons["b"].id)),
        lambda w: w.files["a"].id,
        lambda w: repatriation_body(principal_person_id=str(w.persons["b"].id), destination="Bria"),
    ),
]


def _problem(response: Any) -> dict[str, Any]:
    body = dict(response.json())
    body.pop("instance", None)
    return body


@pytest.mark.parametrize("path", CREATE_PATHS, ids=lambda p: p.name)
def test_a_client_id_taken_out_of_scope_is_the_same_409_as_any_taken_id(
    client: TestClient, world: World, path: CreatePath
) -> None:
    headers = auth(world.user(path.caller))
    own_id = str(uuid.uuid4())
    first = client.post(path.url, json={**path.body(world), "id": own_id}, headers=headers)
    assert first.status_code == 201, first.text
    own_conflict = client.post(
        path.url, json={**path.other_body(world), "id": own_id}, headers=headers
    )
    foreign_id = str(path.foreign(world))
    foreign_conflict = client.post(
        path.url, json={**path.body(world), "id": foreign_id}, headers=headers
    )
    assert own_conflict.status_code == foreign_conflict.status_code == 409
    assert _problem(own_conflict) == _problem(foreign_conflict)
    assert foreign_conflict.headers.keys() - {"x-request-id", "date"} == (
        own_conflict.headers.keys() - {"x-request-id", "date"}
    )
    # And the record itself stays out of reach.
    assert client.get(f"{path.url}/{foreign_id}", headers=headers).status_code == 404


def test_a_batch_item_with_a_foreign_id_is_the_same_409(client: TestClient, world: World) -> None:
    headers = auth(world.user("monitor_b"))
    own_id = str(uuid.uuid4())
    body = incident_body(region="ML05", admin2="ML0506")
    response = client.post(
        "/api/v1/incidents/batch",
        json={
            "items": [
                {**body, "id": own_id},
                {**body, "id": own_id, "locality": "Elsewhere"},
                {**body, "id": str(world.incidents["a_gao"].id)},
            ]
        },
        headers=headers,
    )
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 409, 409]
    assert results[1]["error"] == results[2]["error"]
