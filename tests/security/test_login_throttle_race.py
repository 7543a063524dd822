"""Login throttling holds under concurrency: attempts are counted before passwords are checked.

Class: a check-then-act throttle. Concurrent wrong passwords for one username used to be
all evaluated (24 against a limit of 5 on PostgreSQL) and a right one among them logged
in. Each attempt now reserves its number with one atomic upsert first; those past the
limit are refused without their password being looked at.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.auth.models import LoginThrottle
from tests.factories import PASSWORD

RACERS = 24
LIMIT = 5


@pytest.fixture
def roomy_gate(configure: Any) -> None:
    # The Argon2 gate (tested in test_password_hashing_bound) would shed most of these
    # racers before they reach the throttle; open it so the throttle itself is raced.
    configure(
        login_hash_concurrency=RACERS,
        login_hash_concurrency_per_client=RACERS,
        login_hash_wait_ms=5000,
        login_max_failures=LIMIT,
    )


def _race(client: TestClient, passwords: list[str], username: str) -> list[tuple[int, str]]:
    barrier = threading.Barrier(len(passwords))
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def attempt(password: str) -> None:
        barrier.wait()
        response = client.post(
            "/api/v1/auth/token", data={"username": username, "password": password}
        )
        with lock:
            results.append((response.status_code, password))

    threads = [threading.Thread(target=attempt, args=(p,)) for p in passwords]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == len(passwords)
    return results


@pytest.mark.usefixtures("roomy_gate")
def test_concurrent_wrong_passwords_are_evaluated_at_most_limit_times(live: Any) -> None:
    app, _world, engine = live
    with TestClient(app) as client:
        results = _race(client, [f"wrong-{i}" for i in range(RACERS)], "monitor_a")
        statuses = Counter(status for status, _ in results)
        assert statuses[400] <= LIMIT, statuses  # evaluated (and wrong)
        assert statuses[400] + statuses[429] == RACERS, statuses
        # Locked now: even the right password is refused without being checked.
        after = client.post(
            "/api/v1/auth/token", data={"username": "monitor_a", "password": PASSWORD}
        )
    assert after.status_code == 429
    assert int(after.headers["retry-after"]) > 0
    with Session(engine) as session:
        throttle = session.scalar(
            select(LoginThrottle).where(LoginThrottle.username == "monitor_a")
        )
        assert throttle is not None
        assert throttle.locked_until is not None


@pytest.mark.usefixtures("roomy_gate")
def test_a_right_password_racing_wrong_ones_counts_as_one_of_the_limit(live: Any) -> None:
    app, _world, _engine = live
    passwords = [f"wrong-{i}" for i in range(RACERS - 1)]
    passwords.insert(random.randrange(RACERS), PASSWORD)
    with TestClient(app) as client:
        results = _race(client, passwords, "caseworker_a")
    statuses = Counter(status for status, _ in results)
    evaluated = statuses[200] + statuses[400]
    assert evaluated <= LIMIT, statuses
    assert statuses[200] + statuses[400] + statuses[429] == RACERS, statuses
    assert all(password == PASSWORD for status, password in results if status == 200)


@pytest.mark.usefixtures("roomy_gate")
def test_unknown_usernames_race_the_same_way(live: Any) -> None:
    app, _world, _engine = live
    with TestClient(app) as client:
        results = _race(client, [f"guess-{i}" for i in range(12)], "no.such.user")
    statuses = Counter(status for status, _ in results)
    assert statuses[400] <= LIMIT
    assert statuses[400] + statuses[429] == 12


def test_sequential_failures_lock_at_the_limit_and_success_resets(
    client: TestClient, world: Any, configure: Any
) -> None:
    configure(login_max_failures=3)
    form = {"username": "caseworker_b", "password": "wrong"}
    assert [client.post("/api/v1/auth/token", data=form).status_code for _ in range(2)] == [
        400,
        400,
    ]
    good = client.post("/api/v1/auth/token", data={**form, "password": PASSWORD})
    assert good.status_code == 200  # the third attempt, still allowed; resets the count
    statuses = [client.post("/api/v1/auth/token", data=form).status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
