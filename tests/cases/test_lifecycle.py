"""Case lifecycles on the workflow mechanism; a closed case is read-only until reopened."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from casework.cases.workflow import PERSON_WORKFLOW, SGBV_WORKFLOW
from casework.reference.vocabularies import Role
from tests.factories import (
    World,
    auth,
    consent_body,
    counselling_body,
    make_person,
    make_referral,
)

PERSONS = "/api/v1/persons"
CASES = "/api/v1/sgbv-cases"


def move(client: TestClient, url: str, headers: dict[str, str], to: str, **extra: Any) -> Any:
    return client.post(f"{url}/transitions", json={"to": to, **extra}, headers=headers)


def test_a_person_is_closed_and_reopened_with_reasons(client: TestClient, world: World) -> None:
    url = f"{PERSONS}/{world.persons['a'].id}"
    owner = auth(world.user("caseworker_a"))
    refused = move(client, url, owner, "closed")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "note"]
    closed = move(client, url, {**owner, "If-Match": '"1"'}, "closed", note="Resettled.")
    assert closed.status_code == 200, closed.text
    assert (closed.json()["status"], closed.headers["ETag"]) == ("closed", '"2"')
    assert move(client, url, owner, "open").status_code == 422
    again = move(client, url, owner, "closed", note="twice")
    assert again.status_code == 409
    assert again.json()["allowed"] == ["open"]
    assert move(client, url, owner, "open", note="Came back to Gao.").status_code == 200
    items = client.get(f"{url}/history", headers=owner).json()["items"]
    assert [(i["event"], i["from"], i["to"], i["note"]) for i in items] == [
        ("created", None, "open", None),
        ("status", "open", "closed", "Resettled."),
        ("status", "closed", "open", "Came back to Gao."),
    ]


def test_only_the_owner_or_a_supervisor_moves_a_case(client: TestClient, world: World) -> None:
    url = f"{PERSONS}/{world.persons['a'].id}"
    colleague = auth(world.user("caseworker_a2"))
    assert move(client, url, colleague, "closed", note="x").status_code == 403
    supervisor = auth(world.user("supervisor_a"))
    assert move(client, url, supervisor, "closed", note="Supervisor closes").status_code == 200


def test_sgbv_closure_needs_a_supervisors_approval(client: TestClient, world: World) -> None:
    url = f"{CASES}/{world.cases['a'].id}"
    owner, supervisor = auth(world.user("gbv_a")), auth(world.user("supervisor_a"))
    assert move(client, url, owner, "closed", note="done").status_code == 409
    assert move(client, url, owner, "closure_requested").status_code == 422
    requested = move(client, url, owner, "closure_requested", note="Care plan completed.")
    assert requested.status_code == 200, requested.text
    # The owner may not approve their own request.
    assert move(client, url, owner, "closed").status_code == 403
    # A supervisor rejects it (with a reason); the owner asks again; a supervisor approves.
    assert move(client, url, supervisor, "open").status_code == 422
    rejected = move(client, url, supervisor, "open", note="Follow-up visit still due.")
    assert rejected.status_code == 200
    move(client, url, owner, "closure_requested", note="Visit done.")
    approved = move(client, url, supervisor, "closed")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "closed"
    assert move(client, url, owner, "open", note="Survivor came back.").status_code == 200
    items = client.get(f"{url}/history", headers=owner).json()["items"]
    assert [(i["from"], i["to"], i["by_username"]) for i in items] == [
        (None, "open", "gbv_a"),
        ("open", "closure_requested", "gbv_a"),
        ("closure_requested", "open", "supervisor_a"),
        ("open", "closure_requested", "gbv_a"),
        ("closure_requested", "closed", "supervisor_a"),
        ("closed", "open", "gbv_a"),
    ]


def test_a_stale_if_match_on_a_transition_is_412(client: TestClient, world: World) -> None:
    url = f"{PERSONS}/{world.persons['a'].id}"
    headers = {**auth(world.user("caseworker_a")), "If-Match": '"9"'}
    assert move(client, url, headers, "closed", note="x").status_code == 412


def test_a_closed_case_is_read_only(client: TestClient, world: World) -> None:
    person = world.persons["a"]
    url = f"{PERSONS}/{person.id}"
    owner = auth(world.user("caseworker_a"))
    assert move(client, url, owner, "closed", note="Resettled.").status_code == 200
    assert client.patch(url, json={"phone": "+223 70 00 00 00"}, headers=owner).status_code == 409
    new_referral = {"person_id": str(person.id), "actor": "CVJR", "services": ["legal"]}
    assert client.post("/api/v1/referrals", json=new_referral, headers=owner).status_code == 409
    # A draft made before closing is not sent while the case is closed.
    draft = world.referrals["draft"]
    sent = client.post(
        f"/api/v1/referrals/{draft.id}/transitions", json={"to": "sent"}, headers=owner
    )
    assert sent.status_code == 409
    session = counselling_body(person_id=str(person.id))
    assert (
        client.post("/api/v1/counselling-sessions", json=session, headers=owner).status_code == 409
    )
    consent = consent_body(person_id=str(person.id))
    assert client.post("/api/v1/consents", json=consent, headers=owner).status_code == 409
    # Withdrawing consent is a right the person keeps, closed case or not.
    withdrawn = client.post(
        f"/api/v1/consents/{world.consents['a'].id}/withdraw",
        json={"reason": "Changed their mind."},
        headers=owner,
    )
    assert withdrawn.status_code == 200
    # Reading stays possible, and reopening makes it writable again.
    assert client.get(url, headers=owner).status_code == 200
    assert move(client, url, owner, "open", note="Back.").status_code == 200
    assert client.patch(url, json={"phone": "+223 70 00 00 00"}, headers=owner).status_code == 200


def test_a_closed_sgbv_case_is_read_only(client: TestClient, world: World) -> None:
    url = f"{CASES}/{world.cases['a'].id}"
    owner, supervisor = auth(world.user("gbv_a")), auth(world.user("supervisor_a"))
    move(client, url, owner, "closure_requested", note="Done.")
    # Still editable while the request waits.
    assert (
        client.patch(url, json={"services_needed": ["medical"]}, headers=owner).status_code == 200
    )
    move(client, url, supervisor, "closed")
    assert client.patch(url, json={"services_needed": ["legal"]}, headers=owner).status_code == 409
    referral = {"sgbv_case_id": str(world.cases["a"].id), "actor": "CVJR", "services": ["legal"]}
    assert client.post("/api/v1/referrals", json=referral, headers=owner).status_code == 409


@pytest.mark.parametrize(
    ("user", "url"),
    [
        ("caseworker_b", lambda w: f"{PERSONS}/{w.persons['a'].id}"),
        ("supervisor_mopti", lambda w: f"{PERSONS}/{w.persons['a'].id}"),
        ("gbv_b", lambda w: f"{CASES}/{w.cases['a'].id}"),
        ("supervisor_mopti", lambda w: f"{CASES}/{w.cases['a'].id}"),
    ],
)
def test_other_organisations_and_regions_see_nothing(
    client: TestClient, world: World, user: str, url: Any
) -> None:
    headers = auth(world.user(user))
    base = url(world)
    assert client.get(f"{base}/history", headers=headers).status_code == 404
    assert move(client, base, headers, "closed", note="x").status_code == 404
    assignee = world.user("caseworker_b" if "persons" in base else "gbv_b")
    response = client.post(f"{base}/assign", json={"owner": str(assignee.id)}, headers=headers)
    assert response.status_code == 404


def test_the_tables_are_what_the_contract_says() -> None:
    assert PERSON_WORKFLOW.next_statuses("open") == ["closed"]
    assert PERSON_WORKFLOW.next_statuses("closed") == ["open"]
    assert SGBV_WORKFLOW.next_statuses("open") == ["closure_requested"]
    assert SGBV_WORKFLOW.next_statuses("closure_requested", Role.gbv_caseworker) == ["open"]
    assert SGBV_WORKFLOW.next_statuses("closure_requested", Role.supervisor) == ["closed", "open"]
    assert SGBV_WORKFLOW.next_statuses("closed") == ["open"]


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    moves=st.lists(
        st.tuples(
            st.sampled_from(["open", "closed"]),
            st.sampled_from(["caseworker_a", "caseworker_a2", "supervisor_a"]),
            st.booleans(),
        ),
        max_size=6,
    )
)
def test_history_replays_to_the_current_status(
    client: TestClient, world: World, session: Session, moves: list[tuple[str, str, bool]]
) -> None:
    """Whatever is attempted, the history is one line from creation to the current status,
    and only legal moves by the owner or a supervisor, with a note, are in it."""
    person = make_person(session, world.user("caseworker_a"), registration_number=None)
    session.commit()
    url = f"{PERSONS}/{person.id}"
    expected = ["open"]
    for to, who, with_note in moves:
        body: dict[str, Any] = {"to": to, "note": "reason"} if with_note else {"to": to}
        response = client.post(f"{url}/transitions", json=body, headers=auth(world.user(who)))
        legal = to != expected[-1] and with_note and who != "caseworker_a2"
        assert response.status_code in {200, 403, 409, 422}
        assert (response.status_code == 200) == legal
        if legal:
            expected.append(to)
    items = client.get(f"{url}/history", headers=auth(world.user("supervisor_a"))).json()["items"]
    assert [i["to"] for i in items] == expected
    assert [i["from"] for i in items] == [None, *expected[:-1]]
    assert (
        client.get(url, headers=auth(world.user("supervisor_a"))).json()["status"] == expected[-1]
    )


def test_closing_waits_for_a_pending_transfer(client: TestClient, world: World) -> None:
    url = f"{PERSONS}/{world.persons['moving'].id}"
    response = move(client, url, auth(world.user("caseworker_a")), "closed", note="Moved.")
    assert response.status_code == 409


def test_a_referral_draft_is_sent_once_the_case_is_reopened(
    client: TestClient, world: World, session: Session
) -> None:
    person = world.persons["a"]
    url = f"{PERSONS}/{person.id}"
    owner = auth(world.user("caseworker_a"))
    draft = make_referral(session, world.user("caseworker_a"), person_id=str(person.id))
    session.commit()
    move(client, url, owner, "closed", note="Resettled.")
    move(client, url, owner, "open", note="Back.")
    sent = client.post(
        f"/api/v1/referrals/{draft.id}/transitions", json={"to": "sent"}, headers=owner
    )
    assert sent.status_code == 200, sent.text
