from typing import Any

import pytest
from fastapi.testclient import TestClient

from casework.reference.vocabularies import RepatriationStatus, Role
from casework.repatriation.workflow import REPATRIATION_WORKFLOW
from tests.factories import PDF, World, auth, repatriation_body

FILES = "/api/v1/repatriation-files"
STEPS = ["counselled", "voluntariness_verified", "documents_ready", "departed", "arrived"]


def move(client: TestClient, file_id: Any, headers: dict[str, str], to: str, **extra: Any) -> Any:
    return client.post(f"{FILES}/{file_id}/transitions", json={"to": to, **extra}, headers=headers)


def test_a_household_from_registration_to_arrival(client: TestClient, world: World) -> None:
    headers = auth(world.user("caseworker_a"))
    created = client.post(
        FILES,
        json=repatriation_body(
            principal_person_id=str(world.persons["refugee"].id),
            member_person_ids=[str(world.persons["refugee_child"].id)],
            destination="Carnot",
            destination_pcode="CF42",
        ),
        headers=headers,
    )
    assert created.status_code == 201, created.text
    file = created.json()
    assert file["status"] == "registered"
    assert file["member_person_ids"] == [str(world.persons["refugee_child"].id)]
    for step in STEPS:
        if step == "documents_ready":
            attach_form(client, headers, file["id"])
        response = move(client, file["id"], headers, step)
        assert response.status_code == 200, (step, response.text)
    final = client.get(f"{FILES}/{file['id']}", headers=headers).json()
    assert final["status"] == "arrived"
    assert final["voluntariness_verified_by"] == str(world.user("caseworker_a").id)
    assert final["voluntariness_verified_at"] is not None
    history = client.get(f"{FILES}/{file['id']}/history", headers=headers).json()["items"]
    assert [(h["from"], h["to"]) for h in history] == [
        (None, "registered"),
        ("registered", "counselled"),
        ("counselled", "voluntariness_verified"),
        ("voluntariness_verified", "documents_ready"),
        ("documents_ready", "departed"),
        ("departed", "arrived"),
    ]
    assert move(client, file["id"], headers, "withdrawn", note="too late").status_code == 409


def test_steps_cannot_be_skipped(client: TestClient, world: World) -> None:
    response = move(client, world.files["a"].id, auth(world.user("caseworker_a")), "departed")
    assert response.status_code == 409
    assert response.json()["allowed"] == ["counselled", "withdrawn", "suspended"]


@pytest.mark.parametrize("to", ["withdrawn", "suspended"])
def test_withdrawal_and_suspension_need_a_note(client: TestClient, world: World, to: str) -> None:
    headers = auth(world.user("caseworker_a"))
    assert move(client, world.files["a"].id, headers, to).status_code == 422
    response = move(client, world.files["a"].id, headers, to, note="Security incident on the road.")
    assert response.status_code == 200
    assert response.json()["status"] == to


def test_a_suspended_file_resumes_only_where_it_stopped(client: TestClient, world: World) -> None:
    headers = auth(world.user("caseworker_a"))
    rid = world.files["a"].id
    move(client, rid, headers, "counselled")
    move(client, rid, headers, "voluntariness_verified")
    suspended = move(client, rid, headers, "suspended", note="Border closed.")
    assert suspended.json()["suspended_from"] == "voluntariness_verified"
    wrong = move(client, rid, headers, "documents_ready")
    assert wrong.status_code == 409
    assert wrong.json()["allowed"] == ["voluntariness_verified", "withdrawn"]
    assert move(client, rid, headers, "registered").status_code == 409
    resumed = move(client, rid, headers, "voluntariness_verified")
    assert resumed.status_code == 200
    assert resumed.json()["suspended_from"] is None
    attach_form(client, headers, rid)
    assert move(client, rid, headers, "documents_ready").status_code == 200


def attach_form(
    client: TestClient, headers: dict[str, str], file_id: Any, kind: str = "repatriation_form"
) -> None:
    response = client.post(
        "/api/v1/attachments",
        data={"kind": kind, "repatriation_file_id": str(file_id)},
        files={"file": ("signed.pdf", PDF, "application/pdf")},
        headers=headers,
    )
    assert response.status_code == 201, response.text


def test_documents_ready_needs_the_signed_repatriation_form(
    client: TestClient, world: World
) -> None:
    headers = auth(world.user("caseworker_a"))
    rid = world.files["a"].id
    move(client, rid, headers, "counselled")
    move(client, rid, headers, "voluntariness_verified")
    refused = move(client, rid, headers, "documents_ready")
    assert refused.status_code == 409
    assert refused.json()["missing"] == "repatriation_form"
    attach_form(client, headers, rid, kind="identity_document")  # not the form: still refused
    assert move(client, rid, headers, "documents_ready").status_code == 409
    attach_form(client, headers, rid)
    assert move(client, rid, headers, "documents_ready").status_code == 200


def test_filters(client: TestClient, world: World) -> None:
    headers = auth(world.user("caseworker_a"))
    client.post(
        FILES,
        json=repatriation_body(
            principal_person_id=str(world.persons["a"].id),
            household_size=1,
            country_of_asylum="NER",
            country_of_origin="MLI",
            destination="Gao",
        ),
        headers=headers,
    )

    def destinations(**params: Any) -> list[str]:
        return sorted(
            f["destination"]
            for f in client.get(FILES, params=params, headers=headers).json()["items"]
        )

    assert destinations() == ["Bangui", "Gao"]
    assert destinations(destination="bangui") == ["Bangui"]
    assert destinations(country_of_origin="MLI") == ["Gao"]
    assert destinations(status="registered") == ["Bangui", "Gao"]
    assert destinations(status="arrived") == []
    assert destinations(person_id=str(world.persons["refugee_child"].id)) == ["Bangui"]


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"household_size": 1}, 422),  # smaller than principal + member
        ({"country_of_origin": "MLI"}, 422),  # same as asylum
        ({"country_of_origin": "Centrafrique"}, 422),
        ({"principal_person_id": "b"}, 422),  # another organisation's person
        ({"member_person_ids": ["principal"]}, 422),
        ({"destination": ""}, 422),
    ],
)
def test_bad_files_are_422(
    client: TestClient, world: World, changes: dict[str, Any], status: int
) -> None:
    body = repatriation_body(
        principal_person_id=str(world.persons["refugee"].id),
        member_person_ids=[str(world.persons["refugee_child"].id)],
    )
    body.update(changes)
    if body["principal_person_id"] == "b":
        body["principal_person_id"] = str(world.persons["b"].id)
    if body["member_person_ids"] == ["principal"]:
        body["member_person_ids"] = [str(world.persons["refugee"].id)]
    response = client.post(FILES, json=body, headers=auth(world.user("caseworker_a")))
    assert response.status_code == status, response.text


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
    ],
)
def test_file_scope(client: TestClient, world: World, username: str, status: int) -> None:
    headers = auth(world.user(username))
    assert client.get(f"{FILES}/{world.files['a'].id}", headers=headers).status_code == status
    if status == 404:
        assert move(client, world.files["a"].id, headers, "counselled").status_code == 404


def test_same_mechanism_as_referrals() -> None:
    from casework.core.workflow import Workflow
    from casework.referrals.workflow import REFERRAL_WORKFLOW

    assert type(REPATRIATION_WORKFLOW) is type(REFERRAL_WORKFLOW) is Workflow
    finals = {RepatriationStatus.arrived.value, RepatriationStatus.withdrawn.value}
    assert REPATRIATION_WORKFLOW.final == finals
    for status in RepatriationStatus:
        nexts = REPATRIATION_WORKFLOW.next_statuses(status.value, Role.caseworker)
        assert ("withdrawn" in nexts) == (status.value not in finals)
