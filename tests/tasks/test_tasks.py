"""Tasks: subjects, assignees, visibility by the subject's own rule, filters, status, ETags."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from casework.reference.vocabularies import TaskStatus
from casework.tasks import service as task_service
from casework.tasks.models import Task
from casework.tasks.schemas import TaskQuery
from tests.factories import World, auth, principal_of, today

URL = "/api/v1/tasks"


def make(client: TestClient, world: World, by: str = "caseworker_a", **fields: Any) -> Any:
    body = {"title": "Call back about the documentation appointment", "kind": "follow_up"}
    body.update(fields)
    if not any(key.endswith("_id") and key != "id" for key in fields):
        body["person_id"] = str(world.persons["a"].id)
    return client.post(URL, json=body, headers=auth(world.user(by)))


def test_a_task_is_the_callers_by_default(client: TestClient, world: World) -> None:
    due = (today() + timedelta(days=3)).isoformat()
    response = make(client, world, due_on=due)
    assert response.status_code == 201, response.text
    task = response.json()
    assert task["assignee"] == str(world.user("caseworker_a").id)
    assert task["assignee_username"] == "caseworker_a"
    assert (task["status"], task["overdue"], task["due_on"]) == ("open", False, due)
    assert task["automatic"] is False
    assert response.headers["ETag"] == '"1"'
    read = client.get(f"{URL}/{task['id']}", headers=auth(world.user("caseworker_a")))
    assert read.status_code == 200
    assert read.json() == task


@pytest.mark.parametrize(
    "subjects",
    [{}, {"person_id": "P", "referral_id": "R"}],
    ids=["none", "two"],
)
def test_exactly_one_subject(client: TestClient, world: World, subjects: dict[str, str]) -> None:
    values = {"P": str(world.persons["a"].id), "R": str(world.referrals["draft"].id)}
    body: dict[str, Any] = {"title": "Something", **{k: values[v] for k, v in subjects.items()}}
    response = client.post(URL, json=body, headers=auth(world.user("caseworker_a")))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("by", "field", "subject"),
    [
        ("caseworker_a", "person_id", "person_b"),  # another organisation's person
        ("caseworker_a", "sgbv_case_id", "case_a"),  # a caseworker never reads SGBV cases
        ("supervisor_mopti", "person_id", "person_a"),  # another region
        ("caseworker_b", "repatriation_file_id", "file_a"),
        ("caseworker_b", "referral_id", "person_sent"),
    ],
)
def test_a_subject_out_of_scope_does_not_exist(
    client: TestClient, world: World, by: str, field: str, subject: str
) -> None:
    ids = {
        "person_b": world.persons["b"].id,
        "person_a": world.persons["a"].id,
        "case_a": world.cases["a"].id,
        "file_a": world.files["a"].id,
        "person_sent": world.referrals["person_sent"].id,
    }
    response = make(client, world, by=by, **{field: str(ids[subject])})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["body", field]


@pytest.mark.parametrize(
    ("assignee", "status"),
    [
        ("gbv_a", 201),  # same organisation, reads persons
        ("supervisor_a", 201),  # region ML07
        ("caseworker_b", 422),  # another organisation
        ("supervisor_mopti", 422),  # another region
        ("focal_cvjr", 422),  # not a case handler
        ("monitor_a", 422),
        ("admin", 422),
    ],
)
def test_the_assignee_must_be_able_to_read_the_subject(
    client: TestClient, world: World, assignee: str, status: int
) -> None:
    response = make(client, world, assignee=str(world.user(assignee).id))
    assert response.status_code == status, response.text
    if status == 422:
        assert response.json()["errors"][0]["loc"] == ["body", "assignee"]


def test_unknown_or_inactive_assignee(client: TestClient, world: World, session: Session) -> None:
    assert make(client, world, assignee=str(uuid.uuid4())).status_code == 422
    world.user("gbv_a").is_active = False
    session.commit()
    assert make(client, world, assignee=str(world.user("gbv_a").id)).status_code == 422


@pytest.mark.parametrize(
    ("reader", "visible"),
    [
        ("caseworker_a", True),  # reads the person
        ("gbv_a", True),  # the assignee
        ("supervisor_a", True),  # the person's region
        ("supervisor_all", True),
        ("caseworker_b", False),  # another organisation
        ("supervisor_mopti", False),  # another region
    ],
)
def test_visible_to_the_assignee_and_whoever_reads_the_subject(
    client: TestClient, world: World, reader: str, visible: bool
) -> None:
    task = make(client, world, assignee=str(world.user("gbv_a").id)).json()
    response = client.get(f"{URL}/{task['id']}", headers=auth(world.user(reader)))
    assert response.status_code == (200 if visible else 404)
    listed = client.get(URL, headers=auth(world.user(reader))).json()["items"]
    assert (task["id"] in {t["id"] for t in listed}) is visible
    patched = client.patch(
        f"{URL}/{task['id']}", json={"status": "done"}, headers=auth(world.user(reader))
    )
    assert patched.status_code == (200 if visible else 404)


def test_an_sgbv_task_stays_out_of_plain_caseworkers_sight(
    client: TestClient, world: World
) -> None:
    task = make(client, world, by="gbv_a", sgbv_case_id=str(world.cases["a"].id)).json()
    assert task["sgbv_case_id"] == str(world.cases["a"].id)
    for reader, status in (("caseworker_a", 404), ("supervisor_a", 200), ("gbv_a", 200)):
        response = client.get(f"{URL}/{task['id']}", headers=auth(world.user(reader)))
        assert response.status_code == status, reader


def test_the_assignee_keeps_sight_of_their_task(
    client: TestClient, world: World, session: Session
) -> None:
    """Visible to the assignee even when the subject is no longer theirs to read."""
    task = make(client, world, assignee=str(world.user("gbv_a").id)).json()
    gbv = world.user("gbv_a")
    gbv.organization = world.org_b
    gbv.token_generation += 1
    session.commit()
    response = client.get(f"{URL}/{task['id']}", headers=auth(gbv))
    assert response.status_code == 200
    person = client.get(f"/api/v1/persons/{world.persons['a'].id}", headers=auth(gbv))
    assert person.status_code == 404


def test_filters(client: TestClient, world: World) -> None:
    caseworker = auth(world.user("caseworker_a"))
    late = make(client, world, due_on=(today() - timedelta(days=2)).isoformat()).json()
    soon = make(client, world, due_on=(today() + timedelta(days=2)).isoformat()).json()
    theirs = make(client, world, assignee=str(world.user("gbv_a").id)).json()
    done = make(client, world, due_on=(today() - timedelta(days=9)).isoformat()).json()
    assert client.patch(f"{URL}/{done['id']}", json={"status": "done"}, headers=caseworker)

    def ids(query: str) -> set[str]:
        response = client.get(f"{URL}?{query}", headers=caseworker)
        assert response.status_code == 200, response.text
        return {t["id"] for t in response.json()["items"]}

    assert {late["id"], soon["id"]} <= ids("assignee=me&status=open")
    assert theirs["id"] not in ids("assignee=me")
    assert theirs["id"] in ids(f"assignee={world.user('gbv_a').id}")
    assert ids("overdue=true") == {late["id"]}  # a done task is never overdue
    assert done["id"] in ids("status=done")
    assert late["id"] not in ids("status=done")
    assert late["id"] not in ids("overdue=false")
    assert ids("kind=review") == set()
    person_tasks = ids(f"person_id={world.persons['a'].id}")
    assert {late["id"], soon["id"], theirs["id"], done["id"]} <= person_tasks
    assert client.get(f"{URL}?assignee=someone", headers=caseworker).status_code == 422
    assert client.get(f"{URL}?statuss=open", headers=caseworker).status_code == 422


def test_status_moves_etag_and_if_match(client: TestClient, world: World) -> None:
    caseworker = auth(world.user("caseworker_a"))
    task = make(client, world).json()
    url = f"{URL}/{task['id']}"
    stale = client.patch(url, json={"title": "x"}, headers={**caseworker, "If-Match": '"7"'})
    assert stale.status_code == 412
    done = client.patch(url, json={"status": "done"}, headers={**caseworker, "If-Match": '"1"'})
    assert done.status_code == 200
    assert done.json()["completed_at"] is not None
    assert done.headers["ETag"] == '"2"'
    refused = client.patch(url, json={"status": "cancelled"}, headers=caseworker)
    assert refused.status_code == 409
    assert refused.json()["allowed"] == ["open"]
    reopened = client.patch(url, json={"status": "open"}, headers=caseworker).json()
    assert (reopened["status"], reopened["completed_at"]) == ("open", None)
    assert client.patch(url, json={"status": None}, headers=caseworker).status_code == 422
    assert client.patch(url, json={"subject": "x"}, headers=caseworker).status_code == 422


def test_reassignment_is_checked_like_assignment(client: TestClient, world: World) -> None:
    caseworker = auth(world.user("caseworker_a"))
    task = make(client, world).json()
    url = f"{URL}/{task['id']}"
    other_org = client.patch(
        url, json={"assignee": str(world.user("caseworker_b").id)}, headers=caseworker
    )
    assert other_org.status_code == 422
    moved = client.patch(url, json={"assignee": str(world.user("gbv_a").id)}, headers=caseworker)
    assert moved.status_code == 200
    assert moved.json()["assignee_username"] == "gbv_a"


def test_client_ids_replay_and_conflict(client: TestClient, world: World) -> None:
    task_id = str(uuid.uuid4())
    first = make(client, world, id=task_id)
    again = make(client, world, id=task_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == task_id
    assert make(client, world, id=task_id, title="Another thing").status_code == 409


def test_titles_are_encrypted_at_rest(client: TestClient, world: World, session: Session) -> None:
    make(client, world, title="Call Aminata Maïga about her card")
    raw = session.execute(text("SELECT title FROM tasks")).scalars().all()
    assert raw
    assert not any("Aminata" in value for value in raw)


# --- tasks the system makes --------------------------------------------------------------


def referral_tasks(client: TestClient, world: World, referral_id: Any) -> list[dict[str, Any]]:
    response = client.get(
        f"{URL}?referral_id={referral_id}", headers=auth(world.user("caseworker_a"))
    )
    assert response.status_code == 200
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_sending_a_referral_makes_its_senders_follow_up_done_on_acknowledgement(
    client: TestClient, world: World
) -> None:
    referral_id = world.referrals["draft"].id
    assert referral_tasks(client, world, referral_id) == []  # a draft waits on nobody
    sent = client.post(
        f"/api/v1/referrals/{referral_id}/transitions",
        json={"to": "sent"},
        headers=auth(world.user("caseworker_a")),
    ).json()
    [task] = referral_tasks(client, world, referral_id)
    assert task["kind"] == "referral_follow_up"
    assert task["automatic"] is True
    assert task["assignee"] == str(world.user("caseworker_a").id)
    assert task["due_on"] == sent["due_at"][:10]
    assert task["status"] == "open"
    acknowledged = client.post(
        f"/api/v1/referrals/{referral_id}/transitions",
        json={"to": "acknowledged"},
        headers=auth(world.user("focal_cvjr")),
    )
    assert acknowledged.status_code == 200
    [task] = referral_tasks(client, world, referral_id)
    assert task["status"] == "done"
    assert task["completed_at"] is not None
    assert task["version"] == 2


def test_a_cancelled_referral_cancels_its_follow_up(client: TestClient, world: World) -> None:
    referral_id = world.referrals["person_sent"].id
    [task] = referral_tasks(client, world, referral_id)
    assert task["status"] == "open"
    client.post(
        f"/api/v1/referrals/{referral_id}/transitions",
        json={"to": "cancelled", "note": "The person left for Niamey."},
        headers=auth(world.user("caseworker_a")),
    )
    [task] = referral_tasks(client, world, referral_id)
    assert task["status"] == "cancelled"


def test_a_counselling_follow_up_date_is_a_task_for_the_counsellor(
    client: TestClient, world: World
) -> None:
    from tests.factories import counselling_body

    caseworker = auth(world.user("caseworker_a"))
    follow_up = (today() + timedelta(days=14)).isoformat()
    record = client.post(
        "/api/v1/counselling-sessions",
        json=counselling_body(person_id=str(world.persons["a"].id), follow_up_on=follow_up),
        headers=caseworker,
    ).json()
    assert record["follow_up_on"] == follow_up

    def follow_ups() -> list[dict[str, Any]]:
        query = f"{URL}?person_id={world.persons['a'].id}&kind=follow_up"
        items: list[dict[str, Any]] = client.get(query, headers=caseworker).json()["items"]
        return [t for t in items if t["automatic"]]

    [task] = follow_ups()
    assert (task["due_on"], task["assignee_username"], task["status"]) == (
        follow_up,
        "caseworker_a",
        "open",
    )
    later = (today() + timedelta(days=21)).isoformat()
    url = f"/api/v1/counselling-sessions/{record['id']}"
    assert client.patch(url, json={"follow_up_on": later}, headers=caseworker).status_code == 200
    [task] = follow_ups()
    assert task["due_on"] == later
    assert client.patch(url, json={"follow_up_on": None}, headers=caseworker).status_code == 200
    [task] = follow_ups()
    assert task["status"] == "cancelled"


def test_an_anonymous_visitor_has_no_follow_up(client: TestClient, world: World) -> None:
    from tests.factories import counselling_body

    body = counselling_body(
        sex="female", region="ML07", follow_up_on=(today() + timedelta(days=3)).isoformat()
    )
    response = client.post(
        "/api/v1/counselling-sessions", json=body, headers=auth(world.user("caseworker_a"))
    )
    assert response.status_code == 422


# --- overdue, for every date and status ----------------------------------------------------


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(list(TaskStatus)),
            st.one_of(st.none(), st.integers(min_value=-400, max_value=400)),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_overdue_is_open_and_past_due_in_the_flag_and_the_filter(
    world: World, session: Session, specs: list[tuple[TaskStatus, int | None]]
) -> None:
    caseworker = world.user("caseworker_a")
    principal = principal_of(caseworker)
    nested = session.begin_nested()
    try:
        made = []
        for status, offset in specs:
            task = Task(
                title="t",
                kind="other",
                person_id=world.persons["refugee"].id,
                assignee_id=caseworker.id,
                created_by_id=caseworker.id,
                due_on=None if offset is None else today() + timedelta(days=offset),
                status=status.value,
                organization_id=world.org_a.id,
                create_fingerprint="x",
            )
            session.add(task)
            made.append(task)
        session.flush()
        expected = {
            t.id
            for t, (status, offset) in zip(made, specs, strict=True)
            if status is TaskStatus.open and offset is not None and offset < 0
        }
        assert {t.id for t in made if t.overdue()} == expected
        query = TaskQuery(person_id=world.persons["refugee"].id, overdue=True, limit=500)
        late, _ = task_service.list_readable(session, principal, query)
        assert {t.id for t in late} == expected
        on_time, _ = task_service.list_readable(
            session, principal, query.model_copy(update={"overdue": False})
        )
        assert {t.id for t in on_time} == {t.id for t in made} - expected
    finally:
        nested.rollback()


def test_tasks_table_holds_one_subject(world: World, session: Session) -> None:
    """The database itself refuses a task with two subjects."""
    from sqlalchemy.exc import IntegrityError

    caseworker = world.user("caseworker_a")
    nested = session.begin_nested()
    session.add(
        Task(
            title="t",
            kind="other",
            person_id=world.persons["a"].id,
            referral_id=world.referrals["draft"].id,
            assignee_id=caseworker.id,
            created_by_id=caseworker.id,
            status="open",
            organization_id=world.org_a.id,
            create_fingerprint="x",
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()
    nested.rollback()
    assert (
        session.scalar(select(Task).where(Task.referral_id == world.referrals["draft"].id)) is None
    )
