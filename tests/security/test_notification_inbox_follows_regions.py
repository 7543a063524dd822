"""The supervisors' inbox follows their CURRENT regions.

Class: a notification is a copy of scope taken when it was made. A supervisor moved
from Gao to Mopti must stop seeing Gao's overdue notices, and find Mopti's.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from casework.core.db import utcnow
from casework.notifications import service as notifications
from casework.referrals.models import Referral
from tests.factories import World, auth, make_person, make_referral


def _inbox(client: TestClient, world: World, name: str) -> set[str]:
    response = client.get("/api/v1/notifications", headers=auth(world.user(name)))
    assert response.status_code == 200
    return {n["referral_id"] for n in response.json()["items"]}


def _overdue(session: Session, referral: Referral) -> None:
    referral.due_at = utcnow() - timedelta(minutes=5)
    session.commit()
    notifications.queue_overdue(session)
    session.commit()


def test_a_supervisor_moved_to_another_region_stops_seeing_the_old_one(
    client: TestClient, world: World, session: Session
) -> None:
    gao = session.get(Referral, world.referrals["person_sent"].id)
    assert gao is not None
    _overdue(session, gao)
    assert str(gao.id) in _inbox(client, world, "supervisor_a")

    moved = client.patch(
        f"/api/v1/users/{world.user('supervisor_a').id}",
        json={"regions": ["ML05"]},
        headers=auth(world.user("admin")),
    )
    assert moved.status_code == 200
    session.refresh(world.user("supervisor_a"))
    assert str(gao.id) not in _inbox(client, world, "supervisor_a")

    # Mopti's late referral reaches them with the next sweep.
    person = make_person(
        session,
        world.user("caseworker_b"),
        registration_number="MLI-MOP-000900",
        region="ML05",
    )
    mopti = make_referral(session, world.user("caseworker_b"), person_id=str(person.id))
    mopti.status, mopti.sent_at = "sent", utcnow() - timedelta(days=5)
    _overdue(session, mopti)
    assert _inbox(client, world, "supervisor_a") == {str(mopti.id)}

    # Moved back: Gao's notice (still stored) is visible again, Mopti's is not.
    client.patch(
        f"/api/v1/users/{world.user('supervisor_a').id}",
        json={"regions": ["ML07"]},
        headers=auth(world.user("admin")),
    )
    session.refresh(world.user("supervisor_a"))
    assert _inbox(client, world, "supervisor_a") == {str(gao.id)}


def test_a_supervisor_of_every_region_keeps_seeing_all(
    client: TestClient, world: World, session: Session
) -> None:
    gao = session.get(Referral, world.referrals["person_sent"].id)
    assert gao is not None
    _overdue(session, gao)
    assert str(gao.id) in _inbox(client, world, "supervisor_all")
