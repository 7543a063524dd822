"""The work list at 10,000 cases and 50,000 tasks: endpoint against the bare SQL it needs.

Loads, into a fresh database (SQLite file, or a PostgreSQL schema of its own):
7,000 persons and 3,000 SGBV cases, 10,000 referrals and 50,000 tasks spread over
50 case handlers of two organisations, the measured caseworker holding 2,000
tasks (1,200 open) and 1,000 referrals. Then, in one run and in alternating rounds:

* ``endpoint``: ``GET /api/v1/me/work`` through the whole application, called at its
  ASGI boundary as a server calls it (every middleware, token, user, scope, Core
  statements, decryption of task titles, validation, JSON), with no HTTP client;
* ``service``: the work-list service alone (statements, rows, validation, JSON);
* ``bare SQL``: the statements the work list issues for its sections, compiled with
  their values and run on a raw DB-API cursor, rows fetched and nothing else;
* ``test client``: the same request through Starlette's TestClient, for reference only:
  it adds the client's own work and a thread hop per request (about 1.5 ms here), which
  no server pays.

It prints the median time of each path and the median of the rounds' ratios to the bare
SQL (target: the endpoint within 3x).

    .venv/bin/python bench/work_list.py [--backend sqlite|postgresql] [--rounds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import logging
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("CASEWORK_ENV", "test")
os.environ.setdefault("CASEWORK_SECRET_KEY", "work-list-secret-" + "w" * 40)
os.environ.setdefault(
    "CASEWORK_ENCRYPTION_KEYS", "w1:" + "d29yay1saXN0LWVuY3J5cHRpb24ta2V5LTMyLWJ5dCE="
)
os.environ.setdefault("CASEWORK_BLIND_INDEX_KEY", "d29yay1saXN0LWJsaW5kLWluZGV4LWtleS0zMi1ieSE=")
os.environ["CASEWORK_SCHEDULER_INTERVAL_SECONDS"] = "0"

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import insert  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from tests.factories import auth, build_world, make_user, principal_of  # noqa: E402

from bench.incident_throughput import postgres_schema  # noqa: E402
from casework.auth.models import User  # noqa: E402
from casework.core.config import get_settings  # noqa: E402
from casework.core.db import create_db_engine, utcnow  # noqa: E402
from casework.core.migrations import upgrade  # noqa: E402
from casework.main import create_app  # noqa: E402
from casework.persons.models import Person  # noqa: E402
from casework.reference.vocabularies import Role  # noqa: E402
from casework.referrals.models import Referral  # noqa: E402
from casework.sgbv.models import SgbvCase  # noqa: E402
from casework.tasks.models import Task  # noqa: E402
from casework.work import service as work_service  # noqa: E402

PERSONS, CASES, REFERRALS, TASKS = 7_000, 3_000, 10_000, 50_000
HANDLERS = 50
MEASURED_TASKS, MEASURED_REFERRALS = 2_000, 1_000
REFERRAL_STATUSES = ["draft", "sent", "acknowledged", "accepted", "declined", "in_progress",
                     "completed", "cancelled"]  # fmt: skip


def load(session: Session, rng: random.Random) -> dict[str, User]:
    world = build_world(session)
    handlers = [world.user("caseworker_a"), world.user("gbv_a")]
    for index in range(HANDLERS - len(handlers)):
        organization = world.org_a if index % 2 else world.org_b
        role = Role.gbv_caseworker if index % 5 == 0 else Role.caseworker
        handlers.append(make_user(session, f"handler{index}", role, organization))
    session.commit()
    now = datetime.now(UTC)
    today = now.date()
    measured = world.user("caseworker_a")

    def stamp(i: int) -> dict[str, Any]:
        moment = now - timedelta(minutes=i)
        return {"created_at": moment, "updated_at": moment, "version": 1}

    persons = []
    for i in range(PERSONS):
        owner = measured if i % 10 == 0 else handlers[i % HANDLERS]
        persons.append({
            "id": uuid.uuid4(), "full_name": f"Person {i}", "sex": "female", "region": "ML07",
            "code_set": "ocha-cod-ab-mli-2021-12-20", "organization_id": owner.organization_id,
            "created_by_id": owner.id, "owner_id": owner.id, "create_fingerprint": "bench",
            **stamp(i),
        })  # fmt: skip
    session.execute(insert(Person), persons)
    cases = []
    for i in range(CASES):
        owner = handlers[(i * 5) % HANDLERS]
        cases.append({
            "id": uuid.uuid4(), "survivor_code": f"B-{i}", "gbv_type": "rape",
            "occurred_on": today - timedelta(days=i % 300), "region": "ML07",
            "code_set": "ocha-cod-ab-mli-2021-12-20", "services_needed": ["medical"],
            "organization_id": owner.organization_id, "created_by_id": owner.id,
            "owner_id": owner.id, "create_fingerprint": "bench", **stamp(i),
        })  # fmt: skip
    session.execute(insert(SgbvCase), cases)
    referrals = []
    for i in range(REFERRALS):
        maker = measured if i < MEASURED_REFERRALS else handlers[i % HANDLERS]
        person = persons[i % PERSONS]
        status = rng.choice(REFERRAL_STATUSES)
        sent = now - timedelta(hours=rng.randint(1, 2000))
        referrals.append({
            "id": uuid.uuid4(), "kind": "person", "person_id": person["id"],
            "actor_code": rng.choice(["CVJR", "CMCOORD", "RRM"]), "services": ["legal"],
            "urgency": "normal", "status": status, "region": "ML07",
            "sent_at": None if status == "draft" else sent,
            "due_at": None if status == "draft" else sent + timedelta(hours=72),
            "organization_id": maker.organization_id, "created_by_id": maker.id,
            "create_fingerprint": "bench", **stamp(i),
        })  # fmt: skip
    session.execute(insert(Referral), referrals)
    tasks = []
    for i in range(TASKS):
        assignee = measured if i < MEASURED_TASKS else handlers[i % HANDLERS]
        tasks.append({
            "id": uuid.uuid4(), "title": f"Follow up {i}", "kind": "follow_up",
            "person_id": persons[i % PERSONS]["id"], "assignee_id": assignee.id,
            "created_by_id": assignee.id,
            "due_on": None if i % 7 == 0 else today + timedelta(days=rng.randint(-60, 60)),
            "status": "open" if rng.random() < 0.6 else rng.choice(["done", "cancelled"]),
            "organization_id": assignee.organization_id, "create_fingerprint": "bench",
            **stamp(i),
        })  # fmt: skip
    session.execute(insert(Task), tasks)
    session.commit()
    return {"caseworker": measured, "focal point": world.user("focal_cvjr")}


def bare_statements(session: Session, user: User, limit: int) -> list[str]:
    dialect = session.get_bind().dialect
    queries = work_service.statements(principal_of(user), limit)
    values = work_service.parameters(utcnow())
    return [
        str(
            stmt.params({k: v for k, v in values.items() if k in stmt.compile().params}).compile(
                dialect=dialect, compile_kwargs={"literal_binds": True}
            )
        )
        for stmt in queries.all()
    ]


@contextmanager
def database(backend: str) -> Iterator[str]:
    if backend == "postgresql":
        base = os.environ.get("CASEWORK_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1/test")
        with postgres_schema(base) as url:
            yield url
    else:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/work.db"


async def asgi_get(app: Any, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """One GET through the application, called as an ASGI server calls it."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"bench")]
        + [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        "client": ("127.0.0.1", 40000),
        "server": ("bench", 80),
        "state": {},
    }
    status, body = 0, bytearray()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    await app(scope, receive, send)
    return status, bytes(body)


async def timed(
    paths: dict[str, Callable[[], Any]], rounds: int
) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Each path's time per round, the paths alternating so that drift hits all alike.

    Runs in the event loop that serves the application; the synchronous paths simply
    block it, as nothing else runs meanwhile. Also returns each path's row count.
    """
    times: dict[str, list[float]] = {name: [] for name in paths}
    counts: dict[str, int] = {}
    for _ in range(rounds):
        for name, path in paths.items():
            started = time.perf_counter()
            result = path()
            counts[name] = await result if inspect.isawaitable(result) else result
            times[name].append(time.perf_counter() - started)
    return times, counts


def measure(backend: str, rounds: int) -> None:
    with database(backend) as url:
        os.environ["CASEWORK_DATABASE_URL"] = url
        get_settings.cache_clear()
        engine = create_db_engine(url)
        with engine.begin() as connection:
            upgrade(connection)
        started = time.perf_counter()
        with Session(engine, expire_on_commit=False) as session:
            users = load(session, random.Random(14))
            print(f"{backend}: loaded {PERSONS + CASES:,} cases, {REFERRALS:,} referrals and "
                  f"{TASKS:,} tasks in {time.perf_counter() - started:.1f} s")  # fmt: skip
            statements = {who: bare_statements(session, u, 50) for who, u in users.items()}
        app = create_app()
        logging.getLogger("casework").setLevel(logging.WARNING)  # no access log per request
        with asyncio.Runner() as runner, TestClient(app) as client:
            lifespan = AsyncExitStack()
            runner.run(lifespan.enter_async_context(app.router.lifespan_context(app)))
            for who, user in users.items():
                headers = auth(user)
                raw = engine.raw_connection()
                cursor = raw.cursor()
                commit = raw.commit

                async def endpoint(headers: dict[str, str] = headers) -> int:
                    status, body = await asgi_get(app, "/api/v1/me/work", headers)
                    assert status == 200, body
                    return sum(len(section) for section in json.loads(body).values())

                def test_client(headers: dict[str, str] = headers) -> int:
                    response = client.get("/api/v1/me/work", headers=headers)
                    assert response.status_code == 200, response.text
                    return sum(len(section) for section in response.json().values())

                def bare(
                    sqls: list[str] = statements[who], cursor: Any = cursor, commit: Any = commit
                ) -> int:
                    count = 0
                    for sql in sqls:
                        cursor.execute(sql)
                        count += len(cursor.fetchall())
                    commit()  # end the read transaction, as the request does
                    return count

                def service(principal: Any = principal_of(user)) -> int:
                    with Session(engine) as session:
                        work = work_service.work_list(session, principal, 50)
                        work.model_dump_json()
                        session.commit()
                    return sum(len(section) for section in work.model_dump().values())

                paths: dict[str, Callable[[], Any]] = {
                    "endpoint": endpoint,
                    "service": service,
                    "test client": test_client,
                    "bare": bare,
                }
                counts = runner.run(timed(paths, 1))[1]
                assert len(set(counts.values())) == 1, f"the paths differ: {counts}"
                times = runner.run(timed(paths, rounds))[0]
                raw.close()
                median = {name: statistics.median(times[name]) * 1000 for name in paths}
                # The median of each round's ratio: a slow spell of a shared machine hits
                # the paths of a round alike.
                ratio = {
                    name: statistics.median(
                        a / b for a, b in zip(times[name], times["bare"], strict=True)
                    )
                    for name in paths
                }
                print(
                    f"{backend} {who:<12} rows {counts['endpoint']:>3} | "
                    f"endpoint {median['endpoint']:5.2f} ms (x{ratio['endpoint']:4.2f}) | "
                    f"service {median['service']:5.2f} ms (x{ratio['service']:4.2f}) | "
                    f"bare SQL {median['bare']:5.2f} ms | "
                    f"[test client {median['test client']:5.2f} ms (x{ratio['test client']:4.2f})]"
                )
            runner.run(lifespan.aclose())
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()
    measure(args.backend, args.rounds)


if __name__ == "__main__":
    main()
