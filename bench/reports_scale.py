"""Reports and lists at a million incidents, on PostgreSQL, measured in one run.

1. Loads 1,000,000 realistic incidents (every region and admin2, every type,
   months over three years) into a schema of its own with COPY, with a progress
   bar, and prints the time it took (target: under two minutes).
2. Starts the service (one uvicorn worker) and prints, for three typical
   reports, the endpoint's latency against the bare SQL GROUP BY it issues
   (median of several runs each; target ratio <= 1.5).
3. Prints list latency at the first page against a page one million rows deep,
   reached with the cursor (target ratio <= 1.5).

    .venv/bin/python bench/reports_scale.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
from rich.progress import Progress
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("CASEWORK_SECRET_KEY", "scale-secret-" + "s" * 40)
os.environ.setdefault(
    "CASEWORK_ENCRYPTION_KEYS", "s1:" + "c2NhbGUtZW5jcnlwdGlvbi1rZXktMzItYnl0ZXMhISE="
)
os.environ.setdefault("CASEWORK_BLIND_INDEX_KEY", "c2NhbGUtYmxpbmQtaW5kZXgta2V5LTMyLWJ5dGVzISE=")

from tests.factories import auth, build_world, principal_of  # noqa: E402

from bench.incident_throughput import free_port, postgres_schema  # noqa: E402
from casework.core.config import get_settings  # noqa: E402
from casework.core.db import create_db_engine  # noqa: E402
from casework.core.migrations import upgrade  # noqa: E402
from casework.core.pagination import encode_cursor  # noqa: E402
from casework.reference.codesets import get_code_set  # noqa: E402
from casework.reference.vocabularies import IncidentType, PerpetratorCategory, PopulationGroup  # noqa: E402
from casework.reports import service as report_service  # noqa: E402
from casework.reports.schemas import AggregateQuery  # noqa: E402

COLUMNS = (
    "id, occurred_on, region, admin2, code_set, locality, incident_type, perpetrator_category, "
    "population_group, female_adults, male_adults, female_children, male_children, urgency, "
    "description, status, organization_id, reported_by_id, create_fingerprint, version, "
    "created_at, updated_at"
)
REPORTS = [
    {"dataset": "incidents", "group_by": "region,month", "from": "2024-01-01", "to": "2026-10-31"},
    {"dataset": "incidents", "group_by": "incident_type", "from": "2025-01-01", "to": "2025-12-31"},
    {
        "dataset": "incidents",
        "group_by": "region,incident_type,month",
        "from": "2026-01-01",
        "to": "2026-10-31",
    },
]
RUNS = 7


def load(url: str, rows: int, organization_id: uuid.UUID, user_id: uuid.UUID) -> float:
    code_set = get_code_set("ocha-cod-ab-mli-2021-12-20")
    admin2 = [(a.admin1, a.pcode) for a in code_set.admin2.values()]
    types = [t.value for t in IncidentType]
    perpetrators = [p.value for p in PerpetratorCategory]
    groups = [g.value for g in PopulationGroup]
    rng = random.Random(2017)
    start = date(2023, 11, 1)
    created0 = datetime(2023, 11, 1, tzinfo=UTC)
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    began = time.perf_counter()
    with psycopg.connect(conninfo) as connection, connection.cursor() as cursor, Progress() as bar:
        task = bar.add_task("COPY incidents", total=rows)
        with cursor.copy(f"COPY incidents ({COLUMNS}) FROM STDIN") as copy:
            for n in range(rows):
                region, pcode = admin2[rng.randrange(len(admin2))]
                occurred = start + timedelta(days=rng.randrange(3 * 365 - 30))
                moment = created0 + timedelta(seconds=n * 90 + rng.randrange(60))
                copy.write_row(
                    (
                        uuid.uuid4(),
                        occurred,
                        region,
                        pcode,
                        code_set.name,
                        None,
                        types[rng.randrange(len(types))],
                        perpetrators[rng.randrange(len(perpetrators))],
                        groups[rng.randrange(len(groups))],
                        rng.randrange(3),
                        rng.randrange(3),
                        rng.randrange(2),
                        rng.randrange(2),
                        "urgent" if n % 9 == 0 else "normal",
                        None,
                        "submitted",
                        organization_id,
                        user_id,
                        "0" * 64,
                        1,
                        moment,
                        moment,
                    )
                )
                if n % 20_000 == 0:
                    bar.update(task, completed=n)
            bar.update(task, completed=rows)
        connection.commit()
        cursor.execute("ANALYZE incidents")
    return time.perf_counter() - began


def median_ms(fn: object, runs: int = RUNS) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
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
            session.commit()
        seconds = load(url, args.rows, world.org_a.id, world.user("monitor_a").id)
        print(f"loaded {args.rows:,} incidents in {seconds:.1f} s (target < 120 s)")

        port = free_port()
        env = {
            **os.environ,
            "CASEWORK_DATABASE_URL": url,
            "CASEWORK_DATA_DIR": tempfile.mkdtemp(prefix="casework-scale-"),
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "casework.cli", "serve", "--port", str(port)],
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
            report(api, engine, world)
        finally:
            server.terminate()
            server.wait(timeout=20)
            engine.dispose()


def report(api: str, engine: object, world: object) -> None:
    reporter = auth(world.user("reporting"))  # type: ignore[attr-defined]
    supervisor = auth(world.user("supervisor_all"))  # type: ignore[attr-defined]
    principal = principal_of(world.user("reporting"))  # type: ignore[attr-defined]
    settings = get_settings()
    print(f"\n{'report':<40} {'endpoint ms':>11} {'bare SQL ms':>11} {'ratio':>6}  cells")
    with httpx.Client(base_url=api, timeout=120) as client, engine.connect() as connection:  # type: ignore[attr-defined]
        for params in REPORTS:
            # The exact statement the endpoint issues, compiled for PostgreSQL.
            captured: list[str] = []

            class Capture:
                def execute(self, stmt: object, captured: list[str] = captured) -> list[object]:
                    captured.append(
                        str(
                            stmt.compile(  # type: ignore[attr-defined]
                                dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
                            )
                        )
                    )
                    return []

                def get_bind(self) -> object:
                    return engine

            query = AggregateQuery.model_validate(params)
            report_service.aggregate(Capture(), principal, query, settings)  # type: ignore[arg-type]
            sql = text(captured[0])
            cells = len(
                client.get("/api/v1/reports/aggregates", params=params, headers=reporter).json()[
                    "rows"
                ]
            )
            bare = median_ms(lambda sql=sql: connection.execute(sql).all())
            endpoint = median_ms(
                lambda params=params: client.get(
                    "/api/v1/reports/aggregates", params=params, headers=reporter
                ).raise_for_status()
            )
            label = f"{params['group_by']} {params['from'][:7]}..{params['to'][:7]}"
            print(f"{label:<40} {endpoint:>11.1f} {bare:>11.1f} {endpoint / bare:>6.2f}  {cells}")

        total = connection.execute(text("SELECT count(*) FROM incidents")).scalar_one()
        deep = connection.execute(
            text(
                "SELECT created_at, id FROM incidents ORDER BY created_at DESC, id DESC "
                "OFFSET :n LIMIT 1"
            ),
            {"n": min(1_000_000, total - 51)},
        ).one()
        cursor = encode_cursor(deep[0], deep[1])
        first = median_ms(
            lambda: client.get(
                "/api/v1/incidents", params={"limit": 50}, headers=supervisor
            ).raise_for_status()
        )
        far = median_ms(
            lambda: client.get(
                "/api/v1/incidents", params={"limit": 50, "cursor": cursor}, headers=supervisor
            ).raise_for_status()
        )
        page = client.get(
            "/api/v1/incidents", params={"limit": 50, "cursor": cursor}, headers=supervisor
        ).json()
        assert len(page["items"]) == 50
        print(
            f"\nlist page 1: {first:.1f} ms; page {min(1_000_000, total - 51):,} rows deep "
            f"(cursor): {far:.1f} ms; ratio {far / first:.2f} (target <= 1.5)"
        )


if __name__ == "__main__":
    main()
