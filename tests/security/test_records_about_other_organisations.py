"""Records about a subject belong to the subject's organisation, whoever makes them.

Class: a create by someone whose scope crosses organisations (a supervisor of S covering
N's region) used to stamp the creator's organisation on a record about N's subject, so S's
caseworkers elsewhere read N's survivor code and notes. Every create path is in the
authorization matrix (``test_a_record_about_another_organisations_subject_belongs_to_the_subject``);
here, the households and links that would mix two organisations.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import World, auth, repatriation_body


def test_a_household_cannot_mix_two_organisations(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/repatriation-files",
        json=repatriation_body(
            principal_person_id=str(world.persons["refugee"].id),
            member_person_ids=[str(world.persons["b"].id)],  # ORGB's person, Mopti
        ),
        headers=auth(world.user("supervisor_all")),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "member_person_ids", 0]


def test_a_case_cannot_be_linked_to_another_organisations_person(
    client: TestClient, world: World
) -> None:
    case = world.cases["a"]  # ORGA's, Gao
    response = client.patch(
        f"/api/v1/sgbv-cases/{case.id}",
        json={"person_id": str(world.persons["b"].id)},  # ORGB's
        headers=auth(world.user("supervisor_all")),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "person_id"]


def test_a_referral_shows_its_subjects_organisation(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/referrals",
        json={"person_id": str(world.persons["a"].id), "actor": "CVJR", "services": ["legal"]},
        headers=auth(world.user("supervisor_all")),
    )
    assert response.status_code == 201
    assert response.json()["organization"] == "ORGA"
