"""The work list's cases and transfers: open cases the caller owns, transfers to decide."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import (
    World,
    add_case_management,
    auth,
    build_world,
    data_sharing_body,
    make_consent,
    make_person,
    make_transfer,
)
from tests.notifications.test_email import assert_no_personal_data, deliver, give_email, text_of
from tests.smtp import SmtpServer


@pytest.fixture
def world(session: Session) -> World:
    world = add_case_management(session, build_world(session))
    session.commit()
    return world


def work(client: TestClient, world: World, who: str) -> dict[str, Any]:
    response = client.get("/api/v1/me/work", headers=auth(world.user(who)))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ids(items: list[dict[str, Any]]) -> set[str]:
    return {item["id"] for item in items}


def test_open_cases_the_caller_owns(client: TestClient, world: World) -> None:
    cases = work(client, world, "caseworker_a")["cases"]
    owned = {str(world.persons[name].id) for name in ("a", "refugee", "refugee_child", "moving")}
    assert ids(cases) == owned
    assert {c["type"] for c in cases} == {"person"}
    assert str(world.cases["a"].id) not in ids(cases)  # never an SGBV case to a caseworker
    gbv_cases = work(client, world, "gbv_a")["cases"]
    assert ids(gbv_cases) == {str(world.cases["a"].id)}
    assert gbv_cases[0]["type"] == "sgbv_case"
    # Someone else's cases, in another organisation or region: never.
    assert ids(work(client, world, "caseworker_b")["cases"]) == {str(world.persons["b"].id)}
    assert work(client, world, "supervisor_mopti")["cases"] == []  # owns none


def test_a_closed_case_leaves_the_list_and_a_closure_request_stays(
    client: TestClient, world: World
) -> None:
    person = world.persons["a"]
    closed = client.post(
        f"/api/v1/persons/{person.id}/transitions",
        json={"to": "closed", "note": "Services completed."},
        headers=auth(world.user("caseworker_a")),
    )
    assert closed.status_code == 200, closed.text
    assert str(person.id) not in ids(work(client, world, "caseworker_a")["cases"])
    case = world.cases["a"]
    asked = client.post(
        f"/api/v1/sgbv-cases/{case.id}/transitions",
        json={"to": "closure_requested", "note": "Care plan completed."},
        headers=auth(world.user("gbv_a")),
    )
    assert asked.status_code == 200, asked.text
    [entry] = work(client, world, "gbv_a")["cases"]
    assert (entry["id"], entry["status"]) == (str(case.id), "closure_requested")


def test_transfers_wait_for_the_receiving_organisation(
    client: TestClient, world: World, session: Session
) -> None:
    pending = str(world.transfers["pending"].id)
    for who in ("caseworker_b", "supervisor_all"):  # ORGB decides
        [transfer] = work(client, world, who)["transfers"]
        assert transfer["id"] == pending
        assert (transfer["kind"], transfer["from_organization"]) == ("person", "ORGA")
    for who in ("caseworker_a", "gbv_a", "supervisor_a"):  # the sender waits on nobody here
        assert work(client, world, who)["transfers"] == []
    # An SGBV case is for GBV caseworkers and supervisors of the receiver, not caseworkers.
    make_consent(
        session,
        world.user("gbv_a"),
        **data_sharing_body(sgbv_case_id=str(world.cases["a"].id), given_by="survivor"),
    )
    sgbv = make_transfer(session, world.user("gbv_a"), sgbv_case_id=str(world.cases["a"].id))
    session.commit()
    assert str(sgbv.id) not in ids(work(client, world, "caseworker_b")["transfers"])
    assert str(sgbv.id) in ids(work(client, world, "gbv_b")["transfers"])
    # Accepted: off the list.
    accepted = client.post(
        f"/api/v1/transfers/{pending}/transitions",
        json={"to": "accepted"},
        headers=auth(world.user("caseworker_b")),
    )
    assert accepted.status_code == 200, accepted.text
    assert pending not in ids(work(client, world, "caseworker_b")["transfers"])
    moved = str(world.persons["moving"].id)
    assert moved in ids(work(client, world, "caseworker_b")["cases"])  # now theirs
    assert moved not in ids(work(client, world, "caseworker_a")["cases"])


def test_a_transfer_received_is_e_mailed_to_who_may_decide(
    client: TestClient, world: World, session: Session, tmp_path: Path, configure: Any
) -> None:
    server = SmtpServer(tmp_path / "maildir").start()
    try:
        configure(smtp_url=server.url, public_url="https://casework.example.org")
        give_email(client, world, "caseworker_b", "cw.b@orgb.example.org", "en")
        give_email(client, world, "caseworker_a", "cw.a@orga.example.org")  # the sender's side
        person = make_person(
            session,
            world.user("caseworker_a"),
            registration_number="MLI-GAO-000999",
            full_name="Aminata Maïga",
        )
        make_consent(
            session, world.user("caseworker_a"), **data_sharing_body(person_id=str(person.id))
        )
        session.commit()
        requested = client.post(
            "/api/v1/transfers",
            json={"person_id": str(person.id), "to_organization": "ORGB", "note": "Moved."},
            headers=auth(world.user("caseworker_a")),
        )
        assert requested.status_code == 201, requested.text
        assert deliver(session) == {"delivered": 1}
        [message] = server.messages()
    finally:
        server.stop()
    assert message["To"] == "cw.b@orgb.example.org"
    assert message["Subject"] == "[casework] Case transfer received"
    link = f"https://casework.example.org/transfers/{requested.json()['id']}"
    assert link in text_of(message)
    assert_no_personal_data([message])
