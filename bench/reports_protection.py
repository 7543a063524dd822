"""What the cell-key protection costs: protected aggregates against the bare GROUP BY.

Loads referrals (sent over January to September 2026, every region, status and actor) and
times, for the largest tables a caller can ask for (three dimensions, about 600 cells) and
smaller ones:

- bare: the GROUP BY with COUNT alone, as an unprotected report would issue it;
- protected: the whole aggregate service (the GROUP BY with COUNT and SUM(record_key), the
  perturbation table lookup per cell, the response model).

Each pair is timed in alternating rounds; the script prints the median of each and their
ratio, measured in this run (target: a few times the bare GROUP BY).

    .venv/bin/python bench/reports_protection.py             # SQLite, 100,000 referrals
    .venv/bin/python bench/reports_protection.py --postgres  # CASEWORK_BENCH_POSTGRES_URL
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("CASEWORK_SECRET_KEY", "bench-secret-" + "s" * 40)
os.environ.setdefault(
    "CASEWORK_ENCRYPTION_KEYS", "s1:" + "c2NhbGUtZW5jcnlwdGlvbi1rZXktMzItYnl0ZXMhISE="
)
os.environ.setdefault("CASEWORK_BLIND_INDEX_KEY", "c2NhbGUtYmxpbmQtaW5kZXgta2V5LTMyLWJ5dGVzISE=")

from sqlalchemy import func, insert, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from tests.factories import build_world, principal_of  # noqa: E402

from bench.incident_throughput import postgres_schema  # noqa: E402
from casework.auth.models import User  # noqa: E402
from casework.core.config import get_settings  # noqa: E402
from casework.core.db import create_db_engine  # noqa: E402
from casework.core.migrations import upgrade  # noqa: E402
from casework.core.recordkey import new_record_key  # noqa: E402
from casework.reference.vocabularies import ReferralStatus  # noqa: E402
from casework.referrals.models import Referral  # noqa: E402
from casework.reports import service as report_service  # noqa: E402
from casework.reports.datasets import DATASETS, PERIODS, period  # noqa: E402
from casework.reports.schemas import AggregateQuery  # noqa: E402

REGIONS = [f"ML{n:02d}" for n in range(1, 11)]
ACTORS = ["CMCOORD", "CVJR", "RRM", "MINUSMA_HRPD"]
STATUSES = [s.value for s in ReferralStatus if s.value != "draft"]
TABLES = [
    "region,status,month",  # 10 x 7 x 9 = 630 cells: the largest
    "region,actor,month",  # 10 x 4 x 9 = 360
    "region,status",
    "",  # the grand total
]
ROUNDS = 15


@contextmanager
def database(postgres: bool) -> Iterator[str]:
    if postgres:
        base = os.environ.get(
            "CASEWORK_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        )
        with postgres_schema(base) as url:
            yield url
    else:
        with tempfile.TemporaryDirectory(prefix="casework-bench-") as folder:
            yield f"sqlite:///{folder}/bench.db"


def load(session: Session, rows: int) -> None:
    world = build_world(session)
    person = world.persons["a"].id
    organization, user = world.org_a.id, world.user("caseworker_a").id
    rng = random.Random(2026)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    batch: list[dict[str, Any]] = []
    for n in range(rows):
        sent = start + timedelta(seconds=rng.randrange(273 * 86400))
        batch.append(
            {
                "kind": "person",
                "person_id": person,
                "actor_code": ACTORS[n % len(ACTORS)],
                "services": ["legal"],
                "urgency": "urgent" if n % 7 == 0 else "normal",
                "status": STATUSES[rng.randrange(len(STATUSES))],
                "region": REGIONS[rng.randrange(len(REGIONS))],
                "sent_at": sent,
                "organization_id": organization,
                "created_by_id": user,
                "create_fingerprint": "0" * 64,
                "record_key": new_record_key(),
                "created_at": sent,
                "updated_at": sent,
            }
        )
        if len(batch) == 10_000:
            session.execute(insert(Referral), batch)
            batch = []
    if batch:
        session.execute(insert(Referral), batch)
    session.commit()


def bare(session: Session, group_by: list[str]) -> Callable[[], object]:
    """The unprotected GROUP BY: the same cells, COUNT only."""
    dataset = DATASETS["referrals"]
    dialect = session.get_bind().dialect.name
    expressions = [
        period(dataset.date, name, dialect) if name in PERIODS else dataset.dimensions[name]
        for name in group_by
    ]
    stmt = dataset.base().add_columns(
        *(e.label(n) for n, e in zip(group_by, expressions, strict=True)),
        func.count(),
    )
    if expressions:
        stmt = stmt.group_by(*expressions)
    return lambda: session.execute(stmt).all()


def protected(session: Session, group_by: str, world_user: Any) -> Callable[[], object]:
    principal = principal_of(world_user)
    query = AggregateQuery.model_validate({"dataset": "referrals", "group_by": group_by or None})
    settings = get_settings()
    return lambda: report_service.aggregate(session, principal, query, settings)


def alternate(first: Callable[[], object], second: Callable[[], object]) -> tuple[float, float]:
    first(), second()  # warm caches and the perturbation table
    a: list[float] = []
    b: list[float] = []
    for _ in range(ROUNDS):
        for fn, into in ((first, a), (second, b)):
            began = time.perf_counter()
            fn()
            into.append(time.perf_counter() - began)
    return statistics.median(a) * 1000, statistics.median(b) * 1000


def measure(session: Session) -> None:
    reporter = session.scalars(select(User).where(User.username == "reporting")).one()
    print(f"\n{'group_by':<22} {'cells':>5} {'bare ms':>8} {'protected ms':>12} {'ratio':>6}")
    for table in TABLES:
        names = [n for n in table.split(",") if n]
        service = protected(session, table, reporter)
        cells = len(service().rows)  # type: ignore[attr-defined]
        plain, guarded = alternate(bare(session, names), service)
        label = table or "(total)"
        print(f"{label:<22} {cells:>5} {plain:>8.1f} {guarded:>12.1f} {guarded / plain:>6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    with database(args.postgres) as url:
        engine = create_db_engine(url)
        with engine.begin() as connection:
            upgrade(connection)
        with Session(engine) as session:
            began = time.perf_counter()
            load(session, args.rows)
            print(
                f"{engine.dialect.name}: loaded {args.rows:,} referrals in "
                f"{time.perf_counter() - began:.1f} s"
            )
            measure(session)
        engine.dispose()


if __name__ == "__main__":
    main()
