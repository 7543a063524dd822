"""Consent withdrawn reaches the actors: referrals on hold, the actor told, then resumed."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.notifications import service as notifications
from casework.notifications.models import OutboxEvent
from casework.referrals.models import Referral
from casework.referrals.workflow import HOLDABLE
from tests.factories import (
    World,
    auth,
    consent_body,
    make_consent,
    make_person,
    make_referral,
    principal_of,
)
from tests.notifications.test_webhooks import Receiver, joined, subscribe

REFERRALS = "/api/v1/referrals"
WALKS = {
    "sent": ("sent",),
    "acknowledged": ("sent", "acknowledged"),
    "accepted": ("sent", "acknowledged", "accepted"),
    "in_progress": ("sent", "acknowledged", "accepted", "in_progress"),
}


def withdraw(client: TestClient, world: World, consent_id: Any, user: str = "caseworker_a") -> Any:
    response = client.post(
        f"/api/v1/consents/{consent_id}/withdraw",
        json={"reason": "The person asked us to stop sharing."},
        headers=auth(world.user(user)),
    )
    assert response.status_code == 200, response.text
    return response


def status_of(
    client: TestClient, world: World, referral: Referral, user: str = "caseworker_a"
) -> Any:
    return client.get(f"{REFERRALS}/{referral.id}", headers=auth(world.user(user))).json()


@pytest.fixture
def person_case(session: Session, world: World) -> dict[str, Any]:
    """A person with a CVJR consent and referrals in every status, one to another actor."""
    worker = world.user("caseworker_a")
    person = make_person(session, worker, registration_number="MLI-GAO-009001")
    consent = make_consent(
        session,
        worker,
        person_id=str(person.id),
        actors=["CVJR", "RRM"],
        services=["legal", "shelter"],
    )
    referrals = {
        name: make_referral(session, worker, person_id=str(person.id), to=walk)
        for name, walk in WALKS.items()
    }
    referrals["draft"] = make_referral(session, worker, person_id=str(person.id))
    referrals["completed"] = make_referral(
        session,
        worker,
        person_id=str(person.id),
        to=("sent", "acknowledged", "accepted", "in_progress", "completed"),
    )
    referrals["rrm"] = make_referral(
        session, worker, person_id=str(person.id), actor="RRM", services=["shelter"], to=("sent",)
    )
    session.commit()
    return {"person": person, "consent": consent, "referrals": referrals}


def test_withdrawal_holds_what_is_with_the_actor_and_tells_the_actor(
    client: TestClient, world: World, session: Session, person_case: dict[str, Any]
) -> None:
    hook = Receiver([])
    try:
        subscribe(client, world, hook.url)
        withdraw(client, world, person_case["consent"].id)
        referrals = person_case["referrals"]
        for name in (*WALKS, "rrm"):
            body = status_of(client, world, referrals[name])
            assert body["status"] == "on_hold", name
            assert body["on_hold_from"] == ("sent" if name == "rrm" else name)
        assert status_of(client, world, referrals["draft"])["status"] == "draft"
        assert status_of(client, world, referrals["completed"])["status"] == "completed"

        history = client.get(
            f"{REFERRALS}/{referrals['accepted'].id}/history",
            headers=auth(world.user("caseworker_a")),
        ).json()["items"]
        assert history[-1]["from"] == "accepted"
        assert history[-1]["to"] == "on_hold"
        assert history[-1]["by"] is None  # casework itself
        assert "Consent withdrawn" in history[-1]["note"]

        events = session.scalars(
            select(OutboxEvent).where(OutboxEvent.event_type == "referral.on_hold")
        ).all()
        assert sorted(e.payload["referral"]["id"] for e in events) == sorted(
            str(referrals[name].id) for name in WALKS
        )  # the RRM one went on hold too, but RRM has no webhook
        outcome = notifications.deliver_due(joined(session), notifications.http_poster())
        assert outcome["delivered"] >= len(WALKS)
        delivered = [
            (headers["X-Casework-Event"], json.loads(body)) for headers, body in hook.received
        ]
        on_hold = [body for kind, body in delivered if kind == "referral.on_hold"]
        assert {b["referral"]["id"] for b in on_hold} == {str(referrals[n].id) for n in WALKS}
        assert all(b["referral"]["status"] == "on_hold" for b in on_hold)
        for _, body in delivered:  # what reaches the actor names nobody
            assert "MLI-GAO" not in json.dumps(body)
    finally:
        hook.close()


def test_focal_points_see_on_hold_and_cannot_move_it(
    client: TestClient, world: World, person_case: dict[str, Any]
) -> None:
    withdraw(client, world, person_case["consent"].id)
    referral = person_case["referrals"]["accepted"]
    focal = auth(world.user("focal_cvjr"))
    assert client.get(f"{REFERRALS}/{referral.id}", headers=focal).json()["status"] == "on_hold"
    for target in ("accepted", "in_progress", "completed", "cancelled", "declined"):
        moved = client.post(
            f"{REFERRALS}/{referral.id}/transitions",
            json={"to": target, "note": "x"},
            headers=focal,
        )
        assert moved.status_code in (403, 409), (target, moved.text)
    # Nor can the referring side resume it by hand: only a new consent does.
    by_hand = client.post(
        f"{REFERRALS}/{referral.id}/transitions",
        json={"to": "accepted"},
        headers=auth(world.user("caseworker_a")),
    )
    assert by_hand.status_code == 403
    assert status_of(client, world, referral)["status"] == "on_hold"


def test_a_new_covering_consent_resumes_each_where_it_left(
    client: TestClient, world: World, session: Session, person_case: dict[str, Any]
) -> None:
    withdraw(client, world, person_case["consent"].id)
    narrow = client.post(
        "/api/v1/consents",
        json=consent_body(person_id=str(person_case["person"].id), services=["medical"]),
        headers=auth(world.user("caseworker_a")),
    )
    assert narrow.status_code == 201  # CVJR but not for legal: nothing resumes
    referrals = person_case["referrals"]
    assert status_of(client, world, referrals["sent"])["status"] == "on_hold"

    recorded = client.post(
        "/api/v1/consents",
        json=consent_body(person_id=str(person_case["person"].id), actors=["CVJR"]),
        headers=auth(world.user("caseworker_a")),
    )
    assert recorded.status_code == 201
    for name in WALKS:
        body = status_of(client, world, referrals[name])
        assert (body["status"], body["on_hold_from"]) == (name, None)
    assert status_of(client, world, referrals["rrm"])["status"] == "on_hold"  # RRM not covered
    history = client.get(
        f"{REFERRALS}/{referrals['in_progress'].id}/history",
        headers=auth(world.user("caseworker_a")),
    ).json()["items"]
    assert [(h["from"], h["to"], h["by"]) for h in history[-2:]] == [
        ("in_progress", "on_hold", None),
        ("on_hold", "in_progress", None),
    ]
    resumed = session.scalars(
        select(OutboxEvent).where(OutboxEvent.event_type == "referral.resumed")
    ).all()
    assert len(resumed) == 0  # CVJR has no webhook in this test: nothing queued
    # The work goes on from there.
    done = client.post(
        f"{REFERRALS}/{referrals['in_progress'].id}/transitions",
        json={"to": "completed"},
        headers=auth(world.user("focal_cvjr")),
    )
    assert done.status_code == 200


def test_resume_and_hold_again_each_reach_the_webhook(
    client: TestClient, world: World, session: Session, person_case: dict[str, Any]
) -> None:
    hook = Receiver([])
    try:
        subscribe(client, world, hook.url)
        person = str(person_case["person"].id)
        withdraw(client, world, person_case["consent"].id)
        again = client.post(
            "/api/v1/consents",
            json=consent_body(person_id=person, actors=["CVJR"]),
            headers=auth(world.user("caseworker_a")),
        ).json()
        withdraw(client, world, again["id"])
        notifications.deliver_due(joined(session), notifications.http_poster())
        kinds = [
            (headers["X-Casework-Event"], json.loads(body)["referral"]["id"])
            for headers, body in hook.received
        ]
        sent_id = str(person_case["referrals"]["sent"].id)
        assert [k for k, rid in kinds if rid == sent_id] == [
            "referral.on_hold",
            "referral.resumed",
            "referral.on_hold",
        ]
    finally:
        hook.close()


def test_cancelling_from_on_hold(
    client: TestClient, world: World, person_case: dict[str, Any]
) -> None:
    withdraw(client, world, person_case["consent"].id)
    referral = person_case["referrals"]["acknowledged"]
    response = client.post(
        f"{REFERRALS}/{referral.id}/transitions",
        json={"to": "cancelled", "note": "The person left the region."},
        headers=auth(world.user("caseworker_a")),
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["on_hold_from"]) == ("cancelled", None)


def test_another_consent_still_in_force_keeps_the_referral_going(
    client: TestClient, world: World, session: Session, person_case: dict[str, Any]
) -> None:
    make_consent(
        session,
        world.user("caseworker_a"),
        person_id=str(person_case["person"].id),
        actors=["CVJR"],
        services=["legal"],
    )
    session.commit()
    withdraw(client, world, person_case["consent"].id)
    assert status_of(client, world, person_case["referrals"]["accepted"])["status"] == "accepted"
    assert status_of(client, world, person_case["referrals"]["rrm"])["status"] == "on_hold"


def test_other_purposes_hold_nothing(
    client: TestClient, world: World, session: Session, person_case: dict[str, Any]
) -> None:
    sharing = make_consent(
        session,
        world.user("caseworker_a"),
        person_id=str(person_case["person"].id),
        purpose="data_sharing",
    )
    session.commit()
    withdraw(client, world, sharing.id)
    assert status_of(client, world, person_case["referrals"]["sent"])["status"] == "sent"


def test_sgbv_referrals_are_held_too(client: TestClient, world: World, session: Session) -> None:
    referral = world.referrals["sgbv_sent"]
    consent_id = client.get(
        f"/api/v1/consents?sgbv_case_id={world.cases['a'].id}", headers=auth(world.user("gbv_a"))
    ).json()["items"][0]["id"]
    withdraw(client, world, consent_id, user="gbv_a")
    assert status_of(client, world, referral, user="gbv_a")["status"] == "on_hold"
    assert status_of(client, world, referral, user="focal_cvjr")["status"] == "on_hold"


def test_the_timeline_shows_the_hold_and_the_resume(
    client: TestClient, world: World, person_case: dict[str, Any]
) -> None:
    person = str(person_case["person"].id)
    withdraw(client, world, person_case["consent"].id)
    client.post(
        "/api/v1/consents",
        json=consent_body(person_id=person, actors=["CVJR"]),
        headers=auth(world.user("caseworker_a")),
    )
    items = client.get(
        f"/api/v1/persons/{person}/timeline", headers=auth(world.user("caseworker_a"))
    ).json()["items"]
    sent_id = str(person_case["referrals"]["sent"].id)
    mine = [(i["status"], i["title"]) for i in items if i["record_id"] == sent_id]
    assert mine[-2][0] == "on_hold"
    assert "on hold, consent withdrawn" in mine[-2][1]
    assert mine[-1][0] == "sent"
    assert "resumed" in mine[-1][1]
    # Another organisation's caseworker still sees nothing of it.
    other = client.get(
        f"/api/v1/persons/{person}/timeline", headers=auth(world.user("caseworker_b"))
    )
    assert other.status_code == 404


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    walk=st.sampled_from(list(WALKS.values())),
    rounds=st.integers(min_value=1, max_value=3),
)
def test_any_number_of_holds_and_resumes_returns_to_the_same_status(
    session: Session, world: World, walk: tuple[str, ...], rounds: int
) -> None:
    from casework.consent import service as consent_service
    from casework.consent.schemas import ConsentCreate

    worker = world.user("caseworker_a")
    person = make_person(session, worker, registration_number=f"MLI-P-{uuid.uuid4().hex[:8]}")
    consent = make_consent(session, worker, person_id=str(person.id), actors=["CVJR"])
    referral = make_referral(session, worker, person_id=str(person.id), to=walk)
    for _ in range(rounds):
        consent_service.withdraw(session, principal_of(worker), consent, "no", if_match=None)
        assert (referral.status, referral.on_hold_from) == ("on_hold", walk[-1])
        consent, _ = consent_service.record_consent(
            session,
            principal_of(worker),
            ConsentCreate.model_validate(consent_body(person_id=str(person.id), actors=["CVJR"])),
        )
        assert (referral.status, referral.on_hold_from) == (walk[-1], None)
    assert walk[-1] in {s.value for s in HOLDABLE}


def _hold_tasks(client: TestClient, world: World, user: str = "caseworker_a") -> list[Any]:
    response = client.get("/api/v1/tasks", headers=auth(world.user(user)))
    assert response.status_code == 200, response.text
    return [t for t in response.json()["items"] if t["kind"] == "review"]


def test_a_hold_gives_the_referring_caseworker_a_task_that_settles_itself(
    client: TestClient, world: World, person_case: dict[str, Any]
) -> None:
    referrals = person_case["referrals"]
    assert _hold_tasks(client, world) == []
    withdraw(client, world, person_case["consent"].id)
    held = {str(referrals[name].id) for name in (*WALKS, "rrm")}
    tasks = _hold_tasks(client, world)
    assert {t["referral_id"] for t in tasks} == held  # one each, for the sender
    assert all(t["status"] == "open" for t in tasks)
    assert all("consent" in t["title"] for t in tasks)
    assert {t["assignee_username"] for t in tasks} == {world.user("caseworker_a").username}
    assert all(t["automatic"] for t in tasks)

    # Cancelling a held referral cancels its task; a new consent completes the others.
    cancelled = client.post(
        f"{REFERRALS}/{referrals['rrm'].id}/transitions",
        json={"to": "cancelled", "note": "No longer needed."},
        headers=auth(world.user("caseworker_a")),
    )
    assert cancelled.status_code == 200, cancelled.text
    client.post(
        "/api/v1/consents",
        json=consent_body(person_id=str(person_case["person"].id), actors=["CVJR"]),
        headers=auth(world.user("caseworker_a")),
    )
    status = {t["referral_id"]: t["status"] for t in _hold_tasks(client, world)}
    assert status.pop(str(referrals["rrm"].id)) == "cancelled"
    assert set(status.values()) == {"done"}

    # Held again: a new task (the first one stays done in the history).
    latest = client.get(
        "/api/v1/consents",
        params={"person_id": str(person_case["person"].id)},
        headers=auth(world.user("caseworker_a")),
    ).json()["items"]
    in_force = [c for c in latest if c["withdrawn_at"] is None]
    for consent in in_force:
        withdraw(client, world, consent["id"])
    sent = [t for t in _hold_tasks(client, world) if t["referral_id"] == str(referrals["sent"].id)]
    assert sorted(t["status"] for t in sent) == ["done", "open"]
