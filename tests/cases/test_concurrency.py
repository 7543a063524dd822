"""Racing assignments, case moves and transfer decisions keep one consistent history.

Each test commits for real (the ``live`` fixture of tests/racing.py), so the
requests meet in the database as in production, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from casework.audit import service as audit_service
from casework.persons.models import Person, PersonEvent
from casework.sgbv.models import SgbvCaseEvent
from casework.transfers.models import Transfer, TransferEvent
from tests.factories import World, add_case_management, auth
from tests.racing import RACERS, race


def with_cases(live: tuple[FastAPI, World, Engine]) -> tuple[FastAPI, World, Engine]:
    app, world, engine = live
    with Session(engine, expire_on_commit=False) as session:
        session.add_all([world.org_a, world.org_b, *world.users.values(), *world.persons.values()])
        session.add_all(world.cases.values())
        add_case_management(session, world)
        session.commit()
    return app, world, engine


def person_events(engine: Engine, person_id: Any) -> list[tuple[int, str, str | None, str]]:
    with Session(engine) as session:
        return [
            (e.seq, e.event, e.from_status, e.to_status)
            for e in session.scalars(
                select(PersonEvent)
                .where(PersonEvent.person_id == person_id)
                .order_by(PersonEvent.seq)
            )
        ]


def race_many(
    client: TestClient, requests: list[tuple[str, dict[str, str], dict[str, Any]]]
) -> list[int]:
    """Different requests released at once; the statuses in request order."""
    barrier = threading.Barrier(len(requests))
    statuses: list[int] = [0] * len(requests)

    def attempt(index: int) -> None:
        url, headers, body = requests[index]
        barrier.wait()
        try:
            statuses[index] = client.post(url, json=body, headers=headers).status_code
        except Exception:
            statuses[index] = 500

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def chain_ok(engine: Engine) -> bool:
    with Session(engine) as session:
        return audit_service.verify(session).ok


def test_racing_closures_one_wins(live: tuple[FastAPI, World, Engine]) -> None:
    app, world, engine = with_cases(live)
    person = world.persons["a"]
    with TestClient(app) as client:
        outcome = race(
            client,
            f"/api/v1/persons/{person.id}/transitions",
            {**auth(world.user("caseworker_a")), "If-Match": '"1"'},
            {"to": "closed", "note": "Resettled."},
        )
    assert outcome == Counter({200: 1, 412: RACERS - 1})
    assert person_events(engine, person.id) == [
        (1, "created", None, "open"),
        (2, "status", "open", "closed"),
    ]
    assert chain_ok(engine)


def test_racing_assignments_one_wins(live: tuple[FastAPI, World, Engine]) -> None:
    app, world, engine = with_cases(live)
    case = world.cases["a"]
    supervisor = auth(world.user("supervisor_a"))
    owner = auth(world.user("gbv_a"))
    url = f"/api/v1/sgbv-cases/{case.id}/assign"
    # The owner and a supervisor give the case to two different people at once.
    requests = [
        (url, owner if i % 2 else supervisor, {"owner": str(world.user("gbv_a2").id)})
        for i in range(RACERS)
    ]
    with TestClient(app) as client:
        statuses = race_many(client, requests)
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 403, 409, 412}
    with Session(engine) as session:
        events = list(
            session.scalars(
                select(SgbvCaseEvent)
                .where(SgbvCaseEvent.sgbv_case_id == case.id)
                .order_by(SgbvCaseEvent.seq)
            )
        )
    assert [(e.seq, e.event) for e in events] == [(1, "created"), (2, "assigned")]
    assert events[-1].owner_id == world.user("gbv_a2").id
    assert chain_ok(engine)


def test_assignment_racing_a_closure_keeps_one_line(live: tuple[FastAPI, World, Engine]) -> None:
    app, world, engine = with_cases(live)
    person = world.persons["a"]
    owner = auth(world.user("caseworker_a"))
    base = f"/api/v1/persons/{person.id}"
    requests: list[tuple[str, dict[str, str], dict[str, Any]]] = []
    for i in range(RACERS):
        if i % 2:
            requests.append((f"{base}/transitions", owner, {"to": "closed", "note": "Done."}))
        else:
            body = {"owner": str(world.user("caseworker_a2").id)}
            requests.append((f"{base}/assign", owner, body))
    with TestClient(app) as client:
        statuses = race_many(client, requests)
    assert 500 not in statuses
    assert set(statuses) <= {200, 403, 409, 412}
    events = person_events(engine, person.id)
    # Seqs are one line, and every winner is in it exactly once.
    assert [e[0] for e in events] == list(range(1, len(events) + 1))
    assert len(events) - 1 == statuses.count(200)
    with Session(engine) as session:
        final = session.get(Person, person.id)
        assert final is not None
        assert final.version == len(events)
    assert chain_ok(engine)


def _decide(to: str, note: str | None = None) -> dict[str, Any]:
    return {"to": to, "note": note} if note else {"to": to}


def test_racing_transfer_decisions_one_wins(live: tuple[FastAPI, World, Engine]) -> None:
    app, world, engine = with_cases(live)
    transfer = world.transfers["pending"]
    url = f"/api/v1/transfers/{transfer.id}/transitions"
    receiver, sender = auth(world.user("caseworker_b")), auth(world.user("caseworker_a"))
    makers: list[Callable[[], tuple[str, dict[str, str], dict[str, Any]]]] = [
        lambda: (url, receiver, _decide("accepted")),
        lambda: (url, receiver, _decide("rejected", "No room.")),
        lambda: (url, sender, _decide("cancelled")),
    ]
    requests = [makers[i % len(makers)]() for i in range(RACERS)]
    with TestClient(app) as client:
        statuses = race_many(client, requests)
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 409, 412}
    with Session(engine) as session:
        events = list(
            session.scalars(
                select(TransferEvent)
                .where(TransferEvent.transfer_id == transfer.id)
                .order_by(TransferEvent.seq)
            )
        )
        final = session.get(Transfer, transfer.id)
        person = session.get(Person, transfer.person_id)
        assert final is not None
        assert person is not None
        assert [(e.seq, e.from_status) for e in events] == [(1, None), (2, "pending")]
        assert events[-1].to_status == final.status
        # The case moved if and only if the winner accepted.
        moved = person.organization_id == world.org_b.id
        assert moved == (final.status == "accepted")
    case_events = person_events(engine, transfer.person_id)
    assert [e[1] for e in case_events][-1] in {
        "transferred",
        "transfer_rejected",
        "transfer_cancelled",
    }
    assert [e[0] for e in case_events] == list(range(1, len(case_events) + 1))
    assert chain_ok(engine)


def test_racing_transfer_requests_make_one(live: tuple[FastAPI, World, Engine]) -> None:
    app, world, engine = with_cases(live)
    person = world.persons["a"]
    with TestClient(app) as client:
        outcome = race(
            client,
            "/api/v1/transfers",
            auth(world.user("caseworker_a")),
            {"person_id": str(person.id), "to_organization": "ORGB"},
        )
    assert outcome[201] == 1, outcome
    assert set(outcome) <= {201, 409, 412}
    with Session(engine) as session:
        made = session.scalars(select(Transfer).where(Transfer.person_id == person.id)).all()
    assert len(made) == 1
    assert chain_ok(engine)
