"""Transfers between organisations: consent, the receiver's decision, the handover."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.audit.models import AuditEntry
from casework.transfers.workflow import TRANSFER_WORKFLOW
from tests.factories import (
    World,
    auth,
    data_sharing_body,
    make_consent,
    make_person,
    make_session,
    make_transfer,
)

TRANSFERS = "/api/v1/transfers"
PERSONS = "/api/v1/persons"
CASES = "/api/v1/sgbv-cases"


def decide(client: TestClient, transfer_id: Any, user: Any, to: str, **extra: Any) -> Any:
    return client.post(
        f"{TRANSFERS}/{transfer_id}/transitions", json={"to": to, **extra}, headers=auth(user)
    )


def test_a_person_moves_to_another_organisation(
    client: TestClient, world: World, session: Session
) -> None:
    person = world.persons["a"]
    sender, receiver = world.user("caseworker_a"), world.user("caseworker_b")
    # What the sender made before the transfer.
    counselling = make_session(session, sender, person_id=str(person.id))
    session.commit()
    requested = client.post(
        TRANSFERS,
        json={"person_id": str(person.id), "to_organization": "orgb", "note": "Moved to Mopti."},
        headers=auth(sender),
    )
    assert requested.status_code == 201, requested.text
    transfer = requested.json()
    assert (transfer["status"], transfer["from_organization"], transfer["to_organization"]) == (
        "pending",
        "ORGA",
        "ORGB",
    )
    # Waiting for B; A still holds the case, B does not see it yet.
    incoming = client.get(f"{TRANSFERS}?direction=incoming", headers=auth(receiver)).json()
    assert transfer["id"] in [t["id"] for t in incoming["items"]]
    outgoing = client.get(f"{TRANSFERS}?direction=outgoing", headers=auth(receiver)).json()
    assert transfer["id"] not in [t["id"] for t in outgoing["items"]]
    assert client.get(f"{PERSONS}/{person.id}", headers=auth(receiver)).status_code == 404
    # The sender cannot accept its own transfer.
    assert decide(client, transfer["id"], sender, "accepted").status_code == 403

    accepted = decide(client, transfer["id"], receiver, "accepted")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["decided_by_username"] == "caseworker_b"

    now_theirs = client.get(f"{PERSONS}/{person.id}", headers=auth(receiver))
    assert now_theirs.status_code == 200
    assert (now_theirs.json()["organization"], now_theirs.json()["owner_username"]) == (
        "ORGB",
        "caseworker_b",
    )
    # The sender is locked out of the case, everywhere.
    for path in ("", "/history", "/timeline"):
        assert client.get(f"{PERSONS}/{person.id}{path}", headers=auth(sender)).status_code == 404
    listed = client.get(PERSONS, headers=auth(sender)).json()["items"]
    assert str(person.id) not in [p["id"] for p in listed]
    # ... but keeps what it made, which the receiver does not see.
    own = f"/api/v1/counselling-sessions/{counselling.id}"
    assert client.get(own, headers=auth(sender)).status_code == 200
    assert client.get(own, headers=auth(receiver)).status_code == 404
    referral = f"/api/v1/referrals/{world.referrals['person_sent'].id}"
    assert client.get(referral, headers=auth(sender)).status_code == 200
    assert client.get(referral, headers=auth(receiver)).status_code == 404
    timeline = client.get(f"{PERSONS}/{person.id}/timeline", headers=auth(receiver)).json()
    assert timeline["items"] == []
    # The consents follow the person: the receiver sees the one that allowed the transfer.
    consents = client.get(f"/api/v1/consents?person_id={person.id}", headers=auth(receiver))
    assert {c["purpose"] for c in consents.json()["items"]} == {"services", "data_sharing"}
    # Both sides still see the transfer itself, with its history.
    history = client.get(f"{TRANSFERS}/{transfer['id']}/history", headers=auth(sender)).json()
    assert [(h["from"], h["to"], h["by_username"]) for h in history["items"]] == [
        (None, "pending", "caseworker_a"),
        ("pending", "accepted", "caseworker_b"),
    ]
    # The case's history tells the handover; notes written at A are A's.
    case_history = client.get(f"{PERSONS}/{person.id}/history", headers=auth(receiver)).json()
    assert [
        (i["event"], i["organization"], i["owner_username"]) for i in case_history["items"]
    ] == [
        ("created", "ORGA", "caseworker_a"),
        ("transfer_requested", "ORGA", "caseworker_a"),
        ("transferred", "ORGB", "caseworker_b"),
    ]
    assert case_history["items"][1]["note"] is None
    supervisor_view = client.get(
        f"{PERSONS}/{person.id}/history", headers=auth(world.user("supervisor_a"))
    ).json()
    assert supervisor_view["items"][1]["note"] == "Moved to Mopti."
    # The receiver now works on it: referrals from B need B's own services consent or the
    # person's one in force; a new owner at B can be assigned.
    patched = client.patch(
        f"{PERSONS}/{person.id}", json={"region": "ML05"}, headers=auth(receiver)
    )
    assert patched.status_code == 200


def test_every_step_is_in_the_audit_trail(
    client: TestClient, world: World, session: Session
) -> None:
    transfer = world.transfers["pending"]
    decide(client, transfer.id, world.user("caseworker_b"), "accepted")
    actions = {
        (e.action, e.record_type)
        for e in session.scalars(
            select(AuditEntry).where(
                AuditEntry.record_type.in_(["transfers", "transfer_events", "persons"]),
            )
        )
    }
    assert {
        ("create", "transfers"),
        ("create", "transfer_events"),
        ("update", "transfers"),
        ("update", "persons"),
    } <= actions


def test_a_data_sharing_consent_is_needed(
    client: TestClient, world: World, session: Session
) -> None:
    person = make_person(session, world.user("caseworker_a"), registration_number="MLI-GAO-1")
    session.commit()
    body = {"person_id": str(person.id), "to_organization": "ORGB"}
    refused = client.post(TRANSFERS, json=body, headers=auth(world.user("caseworker_a")))
    assert refused.status_code == 409
    assert refused.json()["missing"] == "consent"
    # A services consent is not a data_sharing one.
    assert world.consents["a"].purpose == "services"
    # Only a supervisor may override, and the reason is kept in the history.
    override = {**body, "consent_override_reason": "Survivor at risk; consent taken by phone."}
    assert (
        client.post(TRANSFERS, json=override, headers=auth(world.user("caseworker_a"))).status_code
        == 403
    )
    made = client.post(TRANSFERS, json=override, headers=auth(world.user("supervisor_a")))
    assert made.status_code == 201, made.text
    history = client.get(
        f"{TRANSFERS}/{made.json()['id']}/history", headers=auth(world.user("caseworker_b"))
    ).json()
    assert history["items"][0]["consent_override_reason"].startswith("Survivor at risk")


def test_a_withdrawn_consent_no_longer_allows_a_transfer(client: TestClient, world: World) -> None:
    owner = auth(world.user("caseworker_a"))
    withdrawn = client.post(
        f"/api/v1/consents/{world.consents['sharing_a'].id}/withdraw",
        json={"reason": "No."},
        headers=owner,
    )
    assert withdrawn.status_code == 200
    body = {"person_id": str(world.persons["a"].id), "to_organization": "ORGB"}
    assert client.post(TRANSFERS, json=body, headers=owner).status_code == 409


@pytest.mark.parametrize(
    ("user", "body", "status"),
    [
        # Not the owner.
        ("caseworker_a2", {"to_organization": "ORGB"}, 403),
        # Unknown or same organisation.
        ("caseworker_a", {"to_organization": "NOPE"}, 422),
        ("caseworker_a", {"to_organization": "ORGA"}, 422),
        # A case of another organisation does not exist for the caller.
        ("caseworker_b", {"to_organization": "ORGA"}, 422),
        # Outside the supervisor's regions.
        ("supervisor_mopti", {"to_organization": "ORGB"}, 422),
    ],
)
def test_who_may_request_and_where(
    client: TestClient, world: World, user: str, body: dict[str, str], status: int
) -> None:
    response = client.post(
        TRANSFERS,
        json={"person_id": str(world.persons["a"].id), **body},
        headers=auth(world.user(user)),
    )
    assert response.status_code == status, response.text


def test_one_pending_transfer_per_case(client: TestClient, world: World) -> None:
    body = {"person_id": str(world.persons["moving"].id), "to_organization": "ORGB"}
    assert (
        client.post(TRANSFERS, json=body, headers=auth(world.user("caseworker_a"))).status_code
        == 409
    )


def test_a_closed_case_is_not_transferred(client: TestClient, world: World) -> None:
    owner = auth(world.user("caseworker_a"))
    client.post(
        f"{PERSONS}/{world.persons['a'].id}/transitions",
        json={"to": "closed", "note": "Done."},
        headers=owner,
    )
    body = {"person_id": str(world.persons["a"].id), "to_organization": "ORGB"}
    assert client.post(TRANSFERS, json=body, headers=owner).status_code == 409


def test_rejection_needs_a_reason_and_leaves_the_case_with_the_sender(
    client: TestClient, world: World
) -> None:
    transfer = world.transfers["pending"]
    receiver = world.user("caseworker_b")
    assert decide(client, transfer.id, receiver, "rejected").status_code == 422
    rejected = decide(client, transfer.id, receiver, "rejected", note="Not in our area.")
    assert rejected.status_code == 200
    again = decide(client, transfer.id, receiver, "accepted")
    assert again.status_code == 409
    person = client.get(
        f"{PERSONS}/{world.persons['moving'].id}", headers=auth(world.user("caseworker_a"))
    ).json()
    assert (person["organization"], person["owner_username"]) == ("ORGA", "caseworker_a")


def test_the_sender_cancels_the_receiver_does_not(client: TestClient, world: World) -> None:
    transfer = world.transfers["pending"]
    assert decide(client, transfer.id, world.user("caseworker_b"), "cancelled").status_code == 403
    assert decide(client, transfer.id, world.user("gbv_a"), "cancelled").status_code == 403
    cancelled = decide(client, transfer.id, world.user("caseworker_a"), "cancelled")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    # A new transfer may be asked once the last one is over.
    body = {"person_id": str(world.persons["moving"].id), "to_organization": "ORGB"}
    assert (
        client.post(TRANSFERS, json=body, headers=auth(world.user("caseworker_a"))).status_code
        == 201
    )


def test_an_sgbv_case_goes_to_a_gbv_caseworker_only(
    client: TestClient, world: World, session: Session
) -> None:
    case = world.cases["a"]
    made = client.post(
        TRANSFERS,
        json={"sgbv_case_id": str(case.id), "to_organization": "ORGB", "note": "Survivor moved."},
        headers=auth(world.user("gbv_a")),
    )
    assert made.status_code == 201, made.text
    transfer_id = made.json()["id"]
    # Plain caseworkers never see SGBV transfers, on either side.
    for name in ("caseworker_a", "caseworker_b"):
        user = world.user(name)
        assert client.get(f"{TRANSFERS}/{transfer_id}", headers=auth(user)).status_code == 404
        assert decide(client, transfer_id, user, "accepted").status_code == 404
    accepted = decide(client, transfer_id, world.user("gbv_b"), "accepted")
    assert accepted.status_code == 200, accepted.text
    assert client.get(f"{CASES}/{case.id}", headers=auth(world.user("gbv_a"))).status_code == 404
    theirs = client.get(f"{CASES}/{case.id}", headers=auth(world.user("gbv_b"))).json()
    assert (theirs["organization"], theirs["owner_username"]) == ("ORGB", "gbv_b")
    # The SGBV referral A made stays A's.
    referral = f"/api/v1/referrals/{world.referrals['sgbv_sent'].id}"
    assert client.get(referral, headers=auth(world.user("gbv_a"))).status_code == 200
    assert client.get(referral, headers=auth(world.user("gbv_b"))).status_code == 404


def test_a_supervisor_of_the_receiving_organisation_decides(
    client: TestClient, world: World
) -> None:
    transfer = world.transfers["pending"]
    # supervisor_mopti (ORGB, Mopti) does not cover Gao but belongs to the receiver.
    supervisor = world.user("supervisor_mopti")
    seen = client.get(f"{TRANSFERS}?direction=incoming", headers=auth(supervisor)).json()
    assert str(transfer.id) in [t["id"] for t in seen["items"]]
    assert decide(client, transfer.id, supervisor, "accepted").status_code == 200


def test_a_duplicate_at_the_receiver_is_a_conflict(
    client: TestClient, world: World, session: Session
) -> None:
    # B already registered the same registration number.
    make_person(
        session, world.user("caseworker_b"), registration_number="MLI-GAO-000555", region="ML05"
    )
    session.commit()
    response = decide(client, world.transfers["pending"].id, world.user("caseworker_b"), "accepted")
    assert response.status_code == 409


def test_the_receiving_organisation_is_told(client: TestClient, world: World) -> None:
    inbox = client.get("/api/v1/notifications", headers=auth(world.user("caseworker_b"))).json()[
        "items"
    ]
    assert "transfer.received" in [n["event_type"] for n in inbox]
    # Nobody at the sender, and no plain caseworker for an SGBV transfer.
    mine = client.get("/api/v1/notifications", headers=auth(world.user("caseworker_a"))).json()[
        "items"
    ]
    assert "transfer.received" not in [n["event_type"] for n in mine]


def test_other_roles_and_outsiders(client: TestClient, world: World, session: Session) -> None:
    transfer = world.transfers["pending"]
    for name in ("admin", "monitor_a", "focal_cvjr", "reporting"):
        response = client.get(f"{TRANSFERS}/{transfer.id}", headers=auth(world.user(name)))
        assert response.status_code == 403
    # A third organisation sees nothing of it.
    from casework.reference.vocabularies import Role
    from tests.factories import make_org, make_user

    third = make_user(session, "caseworker_c", Role.caseworker, make_org(session, "ORGC"))
    session.commit()
    assert client.get(f"{TRANSFERS}/{transfer.id}", headers=auth(third)).status_code == 404
    assert decide(client, transfer.id, third, "accepted").status_code == 404
    assert client.get(TRANSFERS, headers=auth(third)).json()["items"] == []


def test_the_table() -> None:
    assert TRANSFER_WORKFLOW.next_statuses("pending") == ["accepted", "rejected", "cancelled"]
    for final in ("accepted", "rejected", "cancelled"):
        assert TRANSFER_WORKFLOW.next_statuses(final) == []


def test_a_client_id_makes_the_request_safe_to_retry(client: TestClient, world: World) -> None:
    import uuid

    body = {
        "id": str(uuid.uuid4()),
        "person_id": str(world.persons["a"].id),
        "to_organization": "ORGB",
    }
    headers = auth(world.user("caseworker_a"))
    assert client.post(TRANSFERS, json=body, headers=headers).status_code == 201
    assert client.post(TRANSFERS, json=body, headers=headers).status_code == 200
    other = {**body, "note": "different"}
    assert client.post(TRANSFERS, json=other, headers=headers).status_code == 409


def test_made_by_the_factory(world: World, session: Session) -> None:
    person = make_person(session, world.user("caseworker_a"), registration_number="MLI-GAO-77")
    make_consent(session, world.user("caseworker_a"), **data_sharing_body(person_id=str(person.id)))
    transfer = make_transfer(
        session,
        world.user("caseworker_a"),
        person_id=str(person.id),
        decided_by=world.user("caseworker_b"),
    )
    assert transfer.status == "accepted"
    assert person.organization_id == world.org_b.id
