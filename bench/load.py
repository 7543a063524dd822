"""Mixed load on PostgreSQL with two worker processes: zero 5xx, nothing lost or duplicated.

For --seconds (default 60), on loopback only:
* monitors submit incidents (client ids, some re-sent as a flaky device would);
* caseworkers refer from incidents and walk referrals sent -> cancelled;
* a reporting tool pulls aggregates with an API key.
Then every count is checked against the database and the audit chain is verified.

    .venv/bin/python bench/load.py [--seconds 60] [--concurrency 6]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

os.environ.setdefault("CASEWORK_SECRET_KEY", "load-secret-" + "l" * 40)
os.environ.setdefault(
    "CASEWORK_ENCRYPTION_KEYS", "l1:" + "bG9hZC1lbmNyeXB0aW9uLWtleS0zMi1ieXRlcyEhISE="
)
os.environ.setdefault("CASEWORK_BLIND_INDEX_KEY", "bG9hZC1ibGluZC1pbmRleC1rZXktMzItYnl0ZXMhISE=")

from tests.factories import auth, build_world, incident_body  # noqa: E402

from bench.incident_throughput import free_port, postgres_schema  # noqa: E402
from casework.audit import service as audit_service  # noqa: E402
from casework.auth import apikeys  # noqa: E402
from casework.core.db import create_db_engine  # noqa: E402
from casework.core.migrations import upgrade  # noqa: E402
from casework.incidents.models import Incident  # noqa: E402
from casework.referrals.models import Referral, ReferralEvent  # noqa: E402

MAX_REQUESTS_PER_WORKER = 20_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=6)
    args = parser.parse_args()
    base = os.environ.get(
        "CASEWORK_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
    )
    with postgres_schema(base) as url:
        engine = create_db_engine(url)
        with engine.begin() as connection:
            upgrade(connection)
        with Session(engine, expire_on_commit=False) as session:
            world = build_world(session)
            _, key = apikeys.create(session, "load", world.user("admin").id)
            session.commit()
            before_incidents = session.scalar(select(func.count()).select_from(Incident))
            before_referrals = session.scalar(select(func.count()).select_from(Referral))
        port = free_port()
        env = {
            **os.environ,
            "CASEWORK_DATABASE_URL": url,
            "CASEWORK_DATA_DIR": tempfile.mkdtemp(prefix="casework-load-"),
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "casework.cli", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        api = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    if httpx.get(f"{api}/ready", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            results = run(api, world, key, args.seconds, args.concurrency)
        finally:
            server.terminate()
            server.wait(timeout=20)

        with Session(engine) as session:
            incidents = (
                session.scalar(select(func.count()).select_from(Incident)) - before_incidents
            )
            referrals = (
                session.scalar(select(func.count()).select_from(Referral)) - before_referrals
            )
            cancelled_events = session.scalar(
                select(func.count()).where(ReferralEvent.to_status == "cancelled")
            )
            chain = audit_service.verify(session)
        engine.dispose()

    statuses, latencies, created = results
    print(f"\nmixed load, {args.seconds} s, concurrency {args.concurrency}, 2 workers, PostgreSQL")
    print(f"{'operation':<22} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8}  statuses")
    for op in sorted(latencies):
        values = sorted(latencies[op])
        p50 = statistics.median(values) * 1000
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))] * 1000
        print(f"{op:<22} {len(values):>8} {p50:>8.1f} {p99:>8.1f}  {dict(statuses[op])}")
    server_errors = sum(n for op in statuses for code, n in statuses[op].items() if code >= 500)
    print(f"5xx responses: {server_errors}")
    print(f"incidents: {created['incidents']} created by the API, {incidents} in the database")
    print(f"referrals: {created['referrals']} created by the API, {referrals} in the database")
    print(f"cancellations: {created['cancelled']} answered 200, {cancelled_events} in history")
    print(f"audit chain: {'intact' if chain.ok else 'BROKEN'} ({chain.checked} entries)")
    ok = (
        server_errors == 0
        and incidents == created["incidents"]
        and referrals == created["referrals"]
        and cancelled_events == created["cancelled"]
        and chain.ok
    )
    print("result:", "PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


def run(
    api: str, world: object, key: str, seconds: int, concurrency: int
) -> tuple[dict[str, Counter[int]], dict[str, list[float]], Counter[str]]:
    statuses: dict[str, Counter[int]] = defaultdict(Counter)
    latencies: dict[str, list[float]] = defaultdict(list)
    created: Counter[str] = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    monitor = auth(world.user("monitor_a"))  # type: ignore[attr-defined]
    caseworker = auth(world.user("caseworker_a"))  # type: ignore[attr-defined]
    reporter = {"Authorization": f"Bearer {key}"}
    day = (datetime.now(UTC).date() - timedelta(days=5)).isoformat()

    def call(client: httpx.Client, op: str, method: str, url: str, **kw: object) -> httpx.Response:
        started = time.perf_counter()
        response = client.request(method, url, **kw)  # type: ignore[arg-type]
        with lock:
            latencies[op].append(time.perf_counter() - started)
            statuses[op][response.status_code] += 1
        return response

    def worker(number: int) -> None:
        rng = random.Random(number)
        with httpx.Client(base_url=api, timeout=30) as client:
            for _ in range(MAX_REQUESTS_PER_WORKER):
                if time.monotonic() > deadline:
                    return
                role = number % 3
                if role == 0:  # a monitor's device, re-sending one time in five
                    body = incident_body(id=str(uuid.uuid4()), occurred_on=day)
                    first = call(
                        client,
                        "incident.create",
                        "POST",
                        "/api/v1/incidents",
                        json=body,
                        headers=monitor,
                    )
                    if first.status_code == 201:
                        with lock:
                            created["incidents"] += 1
                    if rng.random() < 0.2:
                        call(
                            client,
                            "incident.resend",
                            "POST",
                            "/api/v1/incidents",
                            json=body,
                            headers=monitor,
                        )
                elif role == 1:  # a caseworker refers from an incident, sends, cancels
                    incidents = call(
                        client,
                        "incident.list",
                        "GET",
                        "/api/v1/incidents?limit=20",
                        headers=caseworker,
                    ).json()["items"]
                    if not incidents:
                        continue
                    referral = call(
                        client,
                        "referral.create",
                        "POST",
                        "/api/v1/referrals",
                        json={
                            "incident_id": rng.choice(incidents)["id"],
                            "actor": "RRM",
                            "services": ["shelter"],
                        },
                        headers=caseworker,
                    )
                    if referral.status_code != 201:
                        continue
                    with lock:
                        created["referrals"] += 1
                    rid = referral.json()["id"]
                    for status in ("sent", "cancelled"):
                        moved = call(
                            client,
                            "referral.transition",
                            "POST",
                            f"/api/v1/referrals/{rid}/transitions",
                            json={"to": status},
                            headers=caseworker,
                        )
                        if status == "cancelled" and moved.status_code == 200:
                            with lock:
                                created["cancelled"] += 1
                else:  # the cluster's dashboard
                    group_by = rng.choice(["region", "region,incident_type", "month"])
                    call(
                        client,
                        "report.aggregates",
                        "GET",
                        f"/api/v1/reports/aggregates?dataset=incidents&group_by={group_by}",
                        headers=reporter,
                    )

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(worker, range(concurrency)))
    return statuses, latencies, created


if __name__ == "__main__":
    main()
