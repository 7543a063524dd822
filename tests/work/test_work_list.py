"""GET /me/work: what waits for each role, overdue first, in a few queries whatever the load."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from casework.core.db import utcnow
from casework.referrals.models import Referral
from casework.tasks.models import Task
from tests.factories import World, auth, make_referral, today

URL = "/api/v1/me/work"


def work(client: TestClient, world: World, who: str) -> dict[str, Any]:
    response = client.get(URL, headers=auth(world.user(who)))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def add_task(session: Session, world: World, who: str, due_in: int | None, **kw: Any) -> Task:
    user = world.user(who)
    task = Task(
        title=kw.pop("title", "Visit"),
        kind="follow_up",
        person_id=world.persons["a"].id,
        assignee_id=user.id,
        created_by_id=user.id,
        due_on=None if due_in is None else today() + timedelta(days=due_in),
        status=kw.pop("status", "open"),
        organization_id=world.org_a.id,
        create_fingerprint="x",
    )
    session.add(task)
    session.commit()
    return task


def test_open_tasks_overdue_first_then_by_due_date(
    client: TestClient, world: World, session: Session
) -> None:
    later = add_task(session, world, "caseworker_a", 10)
    undated = add_task(session, world, "caseworker_a", None)
    very_late = add_task(session, world, "caseworker_a", -20)
    late = add_task(session, world, "caseworker_a", -1)
    add_task(session, world, "caseworker_a", -5, status="done")
    add_task(session, world, "gbv_a", -5)  # someone else's
    follow_up = world.tasks["person_sent"]  # due in three days
    tasks = work(client, world, "caseworker_a")["tasks"]
    assert [t["id"] for t in tasks] == [
        str(t.id) for t in (very_late, late, follow_up, later, undated)
    ]
    assert [t["overdue"] for t in tasks] == [True, True, False, False, False]


def test_a_case_handler_sees_their_referrals_that_are_overdue_or_declined(
    client: TestClient, world: World, session: Session
) -> None:
    person = str(world.persons["a"].id)
    on_time = world.referrals["person_sent"]
    late = make_referral(session, world.user("caseworker_a"), person_id=person, to=("sent",))
    late.due_at = utcnow() - timedelta(hours=1)
    declined = make_referral(
        session,
        world.user("caseworker_a"),
        person_id=person,
        to=("sent", "acknowledged", "declined"),
    )
    old_decline = make_referral(
        session,
        world.user("caseworker_a"),
        person_id=person,
        to=("sent", "acknowledged", "declined"),
    )
    # Declined 45 days ago: history now, off the list.
    session.execute(
        Referral.__table__.update()
        .where(Referral.id == old_decline.id)
        .values(updated_at=utcnow() - timedelta(days=45))
    )
    session.commit()
    referrals = work(client, world, "caseworker_a")["referrals"]
    assert [r["id"] for r in referrals] == [str(late.id), str(declined.id)]
    assert referrals[0]["overdue"] is True
    assert referrals[1]["status"] == "declined"
    assert str(on_time.id) not in {r["id"] for r in referrals}
    # Someone else's referrals are theirs to chase, not ours.
    assert work(client, world, "gbv_a")["referrals"] == []


def test_a_focal_point_sees_what_is_addressed_to_their_actor_and_not_final(
    client: TestClient, world: World, session: Session
) -> None:
    expected = {str(world.referrals["person_sent"].id), str(world.referrals["sgbv_sent"].id)}
    referrals = work(client, world, "focal_cvjr")["referrals"]
    assert {r["id"] for r in referrals} == expected  # never the draft
    # The minimum a focal point may see, and no more.
    assert set(referrals[0]) == {
        "id",
        "status",
        "actor",
        "services",
        "urgency",
        "region",
        "due_at",
        "overdue",
    }
    focal = auth(world.user("focal_cvjr"))
    referral_id = world.referrals["person_sent"].id
    for status in ("acknowledged", "accepted", "in_progress"):
        moved = client.post(
            f"/api/v1/referrals/{referral_id}/transitions", json={"to": status}, headers=focal
        )
        assert moved.status_code == 200
        assert str(referral_id) in {r["id"] for r in work(client, world, "focal_cvjr")["referrals"]}
    client.post(
        f"/api/v1/referrals/{referral_id}/transitions", json={"to": "completed"}, headers=focal
    )
    referrals = work(client, world, "focal_cvjr")["referrals"]
    assert {r["id"] for r in referrals} == {str(world.referrals["sgbv_sent"].id)}
    # Another actor's referral never shows.
    rrm = make_referral(
        session,
        world.user("caseworker_a"),
        incident_id=str(world.incidents["a_gao"].id),
        actor="RRM",
        services=["shelter"],
        to=("sent",),
    )
    session.commit()
    assert str(rrm.id) not in {r["id"] for r in work(client, world, "focal_cvjr")["referrals"]}
    assert work(client, world, "focal_cvjr")["tasks"] == []


@pytest.mark.parametrize("who", ["admin", "monitor_a"])
def test_roles_without_case_work_get_an_empty_list(
    client: TestClient, world: World, who: str
) -> None:
    assert work(client, world, who) == {"tasks": [], "cases": [], "referrals": [], "transfers": []}


def test_reporting_never_gets_rows(client: TestClient, world: World) -> None:
    response = client.get(URL, headers=auth(world.user("reporting")))
    assert response.status_code == 403


def test_limit_bounds_each_section(client: TestClient, world: World, session: Session) -> None:
    for days in range(5):
        add_task(session, world, "caseworker_a", days)
    response = client.get(f"{URL}?limit=2", headers=auth(world.user("caseworker_a")))
    assert len(response.json()["tasks"]) == 2
    assert client.get(f"{URL}?limit=0", headers=auth(world.user("caseworker_a"))).status_code == 422


@contextmanager
def counted(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    connection = session.connection()

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(connection, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", count)


@pytest.mark.parametrize("who", ["caseworker_a", "focal_cvjr"])
def test_a_few_queries_whatever_the_caseload(
    client: TestClient, world: World, session: Session, who: str
) -> None:
    with counted(session) as few:
        work(client, world, who)
    for days in range(40):
        add_task(session, world, "caseworker_a", days - 20)
    for _ in range(15):
        make_referral(
            session,
            world.user("caseworker_a"),
            person_id=str(world.persons["a"].id),
            to=("sent",),
        ).due_at = utcnow() - timedelta(hours=2)
    session.commit()
    with counted(session) as many:
        body = work(client, world, who)
    assert len(body["tasks"]) + len(body["referrals"]) >= 15
    assert len(many) == len(few), many
    assert len(many) <= 8, many
