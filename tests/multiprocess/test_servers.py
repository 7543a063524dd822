"""Several `casework serve` processes on one PostgreSQL database behave as one service.

A monitor's device sends 500 incidents and the server is killed mid-batch;
after a restart the device resends: nothing lost, nothing duplicated.
Throttling, idempotency records and the audit chain are shared through the
database, so two workers agree on all three.
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from casework.audit import service as audit_service
from casework.incidents.models import Incident
from tests.factories import PASSWORD, World, auth, incident_body
from tests.servers import Cluster


def incidents(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Incident)) or 0


def wait_for_batch_in_flight(engine: Engine, timeout: float = 20) -> bool:
    """True once another session is inside a transaction that has written incidents."""
    deadline = time.monotonic() + timeout
    probe = text(
        "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
        "AND xact_start IS NOT NULL AND query ILIKE '%incidents%' "
        "AND backend_xid IS NOT NULL"
    )
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            if connection.execute(probe).scalar_one():
                return True
            connection.rollback()
            time.sleep(0.02)
    return False


def test_server_killed_mid_batch_then_resend_is_exact(
    cluster: tuple[Cluster, World, Engine],
) -> None:
    group, world, engine = cluster
    headers = auth(world.user("monitor_a2"))
    items = [
        incident_body(
            id=str(uuid.uuid4()),
            victims={"male_children": n % 4},
            region="ML10" if n % 2 else "ML07",
            admin2="ML1003" if n % 2 else "ML0702",
        )
        for n in range(500)
    ]
    before = incidents(engine)
    server = group.start()
    outcome: dict[str, object] = {}

    def send() -> None:
        try:
            outcome["response"] = httpx.post(
                f"{server.url}/api/v1/incidents/batch",
                json={"items": items},
                headers=headers,
                timeout=60,
            )
        except httpx.HTTPError as exc:
            outcome["error"] = exc

    sender = threading.Thread(target=send)
    sender.start()
    assert wait_for_batch_in_flight(engine), "the batch never showed up in the database"
    server.kill()
    sender.join(timeout=60)
    assert "error" in outcome, "the server answered before it was killed: kill it earlier"
    # The batch is one transaction: a killed worker leaves nothing half-stored.
    assert incidents(engine) in (before, before + 500)

    restarted = group.start()
    again = httpx.post(
        f"{restarted.url}/api/v1/incidents/batch",
        json={"items": items},
        headers=headers,
        timeout=60,
    )
    assert again.status_code == 200
    statuses = {r["status"] for r in again.json()["results"]}
    assert statuses <= {200, 201}
    assert incidents(engine) == before + 500
    # And once more: every item is now a replay.
    third = httpx.post(
        f"{restarted.url}/api/v1/incidents/batch",
        json={"items": items},
        headers=headers,
        timeout=60,
    )
    assert {r["status"] for r in third.json()["results"]} == {200}
    assert incidents(engine) == before + 500


def test_two_workers_share_throttling_idempotency_and_one_audit_chain(
    cluster: tuple[Cluster, World, Engine],
) -> None:
    group, world, engine = cluster
    a, b = group.start(), group.start()

    # Failed logins on both workers count towards one lock (default: 5 failures).
    for attempt in range(5):
        server = (a, b)[attempt % 2]
        response = httpx.post(
            f"{server.url}/api/v1/auth/token", data={"username": "monitor_b", "password": "wrong"}
        )
        assert response.status_code == 400  # RFC 6749: invalid_grant
    for server in (a, b):
        locked = httpx.post(
            f"{server.url}/api/v1/auth/token", data={"username": "monitor_b", "password": PASSWORD}
        )
        assert locked.status_code == 429

    # An Idempotency-Key used on one worker is replayed by the other.
    headers = {**auth(world.user("monitor_a")), "Idempotency-Key": "device-7-item-1"}
    first = httpx.post(f"{a.url}/api/v1/incidents", json=incident_body(), headers=headers)
    replay = httpx.post(f"{b.url}/api/v1/incidents", json=incident_body(), headers=headers)
    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.headers["idempotency-replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"]

    # Concurrent writers in both processes keep one valid audit chain.
    writer = auth(world.user("monitor_a"))

    def write(n: int) -> int:
        server = (a, b)[n % 2]
        return httpx.post(
            f"{server.url}/api/v1/incidents", json=incident_body(), headers=writer, timeout=30
        ).status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(write, range(40))) == {201}
    with Session(engine) as session:
        result = audit_service.verify(session)
    assert result.ok, result
    assert result.checked > 40
