"""The scheduler inside ``casework serve``: overdue sweep and webhook delivery, periodically.

Nobody has to run a CLI command for actors to hear about their referrals. Every
worker process runs the loop; on PostgreSQL a tick first takes a session-level
advisory lock (keyed on the schema), so one tick runs at a time across workers and
machines, and the others skip theirs. On SQLite one process serves, and its
write lock (BEGIN IMMEDIATE) orders the rest. Even without the lease, the outbox
rows are taken ``FOR UPDATE SKIP LOCKED`` and overdue facts have unique keys, so a
double tick would still deliver each event once.

``CASEWORK_SCHEDULER_INTERVAL_SECONDS`` sets the period; 0 turns the scheduler off
(then run ``casework notify-overdue`` from cron instead).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from typing import Any

from anyio import to_thread
from fastapi import FastAPI
from sqlalchemy import Engine, text

from casework.core.config import get_settings
from casework.notifications import service as notifications

logger = logging.getLogger("casework.scheduler")

# pg_try_advisory_lock(classid, objid): a constant for "the scheduler", the schema's hash.
LEASE_CLASS = 0x63617365  # "case"
_local_lease = threading.Lock()


@contextmanager
def lease(engine: Engine) -> Iterator[bool]:
    """Yield True if this caller may run a tick now, False if another one is running."""
    if engine.dialect.name != "postgresql":
        held = _local_lease.acquire(blocking=False)
        try:
            yield held
        finally:
            if held:
                _local_lease.release()
        return
    with engine.connect() as connection:
        held = bool(
            connection.execute(
                text("SELECT pg_try_advisory_lock(:cls, hashtext(current_schema()))"),
                {"cls": LEASE_CLASS},
            ).scalar_one()
        )
        connection.commit()
        try:
            yield held
        finally:
            if held:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:cls, hashtext(current_schema()))"),
                    {"cls": LEASE_CLASS},
                )
                connection.commit()


def run_once(
    engine: Engine, factory: Callable[[], Any], post: notifications.Poster
) -> dict[str, int] | None:
    """One tick: queue overdue referrals, deliver what is due. None if another tick runs."""
    with lease(engine) as held:
        if not held:
            return None
        with factory() as session:
            late = notifications.queue_overdue(session)
            session.commit()
        outcome = notifications.deliver_due(factory, post)
    return {"overdue": late, **outcome}


def _tick() -> None:
    from casework.core.db import get_engine, session_factory
    from casework.core.migrations import check_migrated

    engine = get_engine()
    check_migrated(engine)
    result = run_once(engine, session_factory(), notifications.http_poster())
    if result and any(result.values()):
        logger.info("scheduler: %s", result)


async def _loop(interval: float) -> None:
    while True:
        try:
            await to_thread.run_sync(_tick)
        except Exception as exc:  # the server must keep serving whatever a tick meets
            logger.warning("scheduler tick failed: %s: %s", type(exc).__name__, exc)
        await asyncio.sleep(interval)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    interval = get_settings().scheduler_interval_seconds
    task = asyncio.create_task(_loop(interval)) if interval > 0 else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
