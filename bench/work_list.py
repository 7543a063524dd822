"""The work list at 10,000 cases and 50,000 tasks: endpoint against the bare SQL it needs.

Loads, into a fresh database (SQLite file, or a PostgreSQL schema of its own):
7,000 persons and 3,000 SGBV cases, 10,000 referrals and 50,000 tasks spread over
50 case handlers of two organisations, the measured caseworker holding 2,000
tasks (1,200 open) and 1,000 referrals. Then, in one run and in alternating rounds:

* ``endpoint``: ``GET /api/v1/me/work`` through the whole application in process
  (token, user, scope, ORM, decryption of task titles, JSON);
* ``bare SQL``: the statements the work list issues for its sections, compiled with
  their values and run on a raw DB-API cursor, rows fetched and nothing else.

It prints the median time of each path and the median of the rounds' ratios to the bare
SQL (target: the work list within 3x).

    .venv/bin/python bench/work_list.py [--backend sqlite|postgresql] [--rounds 60]
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
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
        with TestClient(app) as client:
            for who, user in users.items():
                headers = auth(user)
                raw = engine.raw_connection()
                cursor = raw.cursor()
                commit = raw.commit

                def endpoint(headers: dict[str, str] = headers) -> int:
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

                assert endpoint() == bare() == service(), "the paths must return the same rows"
                times: dict[str, list[float]] = {"endpoint": [], "service": [], "bare": []}
                paths = {"endpoint": endpoint, "service": service, "bare": bare}
                for _ in range(rounds):  # alternate, so drift hits all alike
                    for name, path in paths.items():
                        t0 = time.perf_counter()
                        path()
                        times[name].append(time.perf_counter() - t0)
                raw.close()
                full, data, plain = (statistics.median(times[name]) * 1000 for name in paths)
                # The median of each round's ratio: a slow spell of a shared machine hits
                # the three paths of a round alike.
                ratios = {
                    name: statistics.median(
                        a / b for a, b in zip(times[name], times["bare"], strict=True)
                    )
                    for name in ("endpoint", "service")
                }
                print(
                    f"{backend} {who:<12} rows {endpoint():>3} | endpoint {full:6.2f} ms "
                    f"(x{ratios['endpoint']:4.2f}) | service {data:6.2f} ms "
                    f"(x{ratios['service']:4.2f}) | bare SQL {plain:6.2f} ms"
                )
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()
    measure(args.backend, args.rounds)


if __name__ == "__main__":
    main()
