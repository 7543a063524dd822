"""Incident POST throughput through the full stack vs a bare raw-INSERT endpoint.

For SQLite and PostgreSQL, in one run: starts the service (uvicorn, one worker)
on a fresh database, sends the same incident body to

* ``POST /api/v1/incidents`` (auth, validation, scope, idempotency, ORM), and
* ``POST /bench/raw-insert`` (one INSERT of the same row, nothing else),

at a fixed concurrency, in six rounds that alternate the two paths, and prints
requests/s for both (median round), their ratio (median of the rounds' ratios,
target >= 0.5, with the lowest and highest round) and p50/p99 latency. Loopback
only, bounded in count and time.

    .venv/bin/python bench/incident_throughput.py [--requests 2400] [--concurrency 8]

PostgreSQL: CASEWORK_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test);
the benchmark works in a schema of its own and drops it afterwards.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from casework.core.config import normalize_database_url  # noqa: E402

SECRET = "bench-secret-" + "b" * 40
TIME_LIMIT_SECONDS = 60  # per measured phase, whatever --requests says
ROUNDS = 6  # alternating bare/full rounds per backend


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def postgres_schema(base_url: str) -> Iterator[str]:
    schema = f"cw_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalize_database_url(base_url))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(normalize_database_url(base_url)).update_query_dict(
        {"options": f"-csearch_path={schema}"}
    )
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def prepare(url: str, env: dict[str, str]) -> tuple[str, str, str]:
    """Migrate and create one monitor; return (token, organization id, user id)."""
    subprocess.run(
        [sys.executable, "-m", "casework.cli", "migrate"],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "casework.cli",
            "create-user",
            "--username",
            "bench.monitor",
            "--role",
            "monitor",
            "--organization",
            "BENCH",
            "--region",
            "ML07",
            "--create-organization",
        ],
        input="bench password 123\n",
        text=True,
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    engine = create_engine(url)
    with engine.connect() as connection:
        user_id, org_id, generation = connection.execute(
            text(
                "SELECT id, organization_id, token_generation FROM users "
                "WHERE username = 'bench.monitor'"
            )
        ).one()
    engine.dispose()
    from casework.core.security import issue_access_token

    user_uuid = uuid.UUID(str(user_id))
    token = issue_access_token(
        user_id=user_uuid, generation=generation, key=SECRET, lifetime=timedelta(hours=1)
    )
    return token, str(uuid.UUID(str(org_id))), str(user_uuid)


@contextmanager
def server(env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench_app:app",
            "--app-dir",
            str(ROOT / "bench"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("server did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def incident(today: str) -> dict[str, Any]:
    return {
        "occurred_on": today,
        "region": "ML07",
        "admin2": "ML0701",
        "locality": "Ansongo",
        "incident_type": "extortion",
        "perpetrator_category": "armed_group",
        "population_group": "idp",
        "victims": {"female_adults": 1, "male_adults": 2},
        "urgency": "normal",
        "description": "Extortion at a checkpoint on the Ansongo road.",
    }


def load(
    url: str, headers: dict[str, str], body: dict[str, Any], requests: int, concurrency: int
) -> tuple[float, list[float], int]:
    """Send `requests` POSTs at `concurrency`; return (req/s, latencies, failures)."""
    per_worker = requests // concurrency
    deadline = time.monotonic() + TIME_LIMIT_SECONDS

    def worker(_: int) -> tuple[list[float], int]:
        latencies: list[float] = []
        failures = 0
        with httpx.Client(headers=headers, timeout=30) as client:
            for _ in range(per_worker):
                if time.monotonic() > deadline:
                    break
                started = time.perf_counter()
                response = client.post(url, json=body)
                latencies.append(time.perf_counter() - started)
                failures += response.status_code != 201
        return latencies, failures

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(worker, range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies = [lat for lats, _ in results for lat in lats]
    return len(latencies) / elapsed, latencies, sum(f for _, f in results)


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def run_backend(name: str, url: str, requests: int, concurrency: int) -> dict[str, Any]:
    env = {
        **os.environ,
        "CASEWORK_DATABASE_URL": url,
        "CASEWORK_SECRET_KEY": SECRET,
        "CASEWORK_ENV": "development",
        "PYTHONPATH": str(ROOT / "src"),
    }
    token, org_id, user_id = prepare(url, env)
    today = datetime.now(UTC).date().isoformat()
    body = incident(today)
    bare_body = {**body, "_organization_id": org_id, "_reported_by_id": user_id}
    headers = {"Authorization": f"Bearer {token}"}
    with server(env) as base:
        # Warm both paths (imports, connection pool, caches) before measuring.
        load(f"{base}/api/v1/incidents", headers, body, 50, 5)
        load(f"{base}/bench/raw-insert", {}, bare_body, 50, 5)
        # The machine's speed drifts (a shared VM): measure the two paths in
        # alternating rounds, each pair back to back, and take the median of the
        # per-round ratios, instead of one long phase of each.
        phases = {
            "bare": (f"{base}/bench/raw-insert", {}, bare_body),
            "full": (f"{base}/api/v1/incidents", headers, body),
        }
        measured: dict[str, list[tuple[float, list[float], int]]] = {"bare": [], "full": []}
        for round_no in range(ROUNDS):
            order = ("bare", "full") if round_no % 2 == 0 else ("full", "bare")
            for path in order:
                target, phase_headers, phase_body = phases[path]
                measured[path].append(
                    load(target, phase_headers, phase_body, requests // ROUNDS, concurrency)
                )
    ratios = [
        full[0] / bare[0] for full, bare in zip(measured["full"], measured["bare"], strict=True)
    ]
    bare_lat = [lat for _, lats, _ in measured["bare"] for lat in lats]
    full_lat = [lat for _, lats, _ in measured["full"] for lat in lats]
    bare_rps = statistics.median(rps for rps, _, _ in measured["bare"])
    full_rps = statistics.median(rps for rps, _, _ in measured["full"])
    bare_fail = sum(f for _, _, f in measured["bare"])
    full_fail = sum(f for _, _, f in measured["full"])
    engine = create_engine(url)
    with engine.connect() as connection:
        stored = connection.execute(select(func.count()).select_from(text("incidents"))).scalar()
    engine.dispose()
    return {
        "backend": name,
        "full_rps": full_rps,
        "bare_rps": bare_rps,
        "ratio": statistics.median(ratios),
        "ratio_range": (min(ratios), max(ratios)),
        "full_p50_ms": percentile(full_lat, 50) * 1000,
        "full_p99_ms": percentile(full_lat, 99) * 1000,
        "bare_p50_ms": percentile(bare_lat, 50) * 1000,
        "bare_p99_ms": percentile(bare_lat, 99) * 1000,
        "failures": full_fail + bare_fail,
        "stored": stored,
        "sent": len(full_lat) + len(bare_lat) + 100,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    results = []
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            results.append(
                run_backend("sqlite", f"sqlite:///{tmp}/bench.db", args.requests, args.concurrency)
            )
    if args.backend in ("postgresql", "both"):
        base = os.environ.get(
            "CASEWORK_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        )
        with postgres_schema(base) as url:
            results.append(run_backend("postgresql", url, args.requests, args.concurrency))

    print(
        f"\nincident POST, {args.requests} requests per path in {ROUNDS} alternating rounds, "
        f"concurrency {args.concurrency}, one uvicorn worker, loopback"
    )
    print(
        f"{'backend':<11} {'full req/s':>10} {'bare req/s':>10} {'ratio':>6} {'rounds':>11} "
        f"{'full p50':>9} {'full p99':>9} {'bare p50':>9} {'bare p99':>9} "
        f"{'non-201':>7} {'rows ok':>7}"
    )
    for r in results:
        print(
            f"{r['backend']:<11} {r['full_rps']:>10.0f} {r['bare_rps']:>10.0f} {r['ratio']:>6.2f} "
            f"{r['ratio_range'][0]:>5.2f}-{r['ratio_range'][1]:<5.2f} "
            f"{r['full_p50_ms']:>7.1f}ms {r['full_p99_ms']:>7.1f}ms "
            f"{r['bare_p50_ms']:>7.1f}ms {r['bare_p99_ms']:>7.1f}ms {r['failures']:>7} "
            f"{'yes' if r['stored'] == r['sent'] else 'NO':>7}"
        )
    print("target: ratio (full / bare) >= 0.5")


if __name__ == "__main__":
    main()
