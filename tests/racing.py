"""Helpers for tests where requests race on separate connections.

These tests commit for real (no rolled-back outer transaction), in a database of
their own, so that concurrent requests meet in the database as in production.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from casework.core.db import create_db_engine, get_session
from casework.core.migrations import upgrade
from casework.main import create_app
from casework.referrals.models import ReferralEvent
from casework.repatriation.models import RepatriationEvent
from tests.factories import World, build_world

RACERS = 8
TO_ACK = {"to": "acknowledged"}


@pytest.fixture
def live(backend: str, fresh_database_url: Any) -> Iterator[tuple[FastAPI, World, Engine]]:
    with live_app(fresh_database_url(backend)) as running:
        yield running


@contextmanager
def live_app(database_url: str) -> Iterator[tuple[FastAPI, World, Engine]]:
    """The app on a database of its own, migrated, with the test world committed."""
    engine = create_db_engine(database_url, pool_size=RACERS + 2)
    with engine.begin() as connection:
        upgrade(connection)
    with Session(engine, expire_on_commit=False) as session:
        world = build_world(session)
        session.commit()
    factory = sessionmaker(engine, expire_on_commit=False)

    def real_session() -> Iterator[Session]:
        with factory() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    app = create_app()
    app.dependency_overrides[get_session] = real_session
    app.state.session_provider = factory
    yield app, world, engine
    engine.dispose()


def race(
    client: TestClient, url: str, headers: dict[str, str], body: dict[str, Any]
) -> Counter[int]:
    """POST the same body from RACERS threads released at once; count the statuses.

    The test client re-raises a server error instead of answering 500: it is
    counted as the 500 a real client would get, not lost with its thread.
    """
    barrier = threading.Barrier(RACERS)
    statuses: list[int] = []
    lock = threading.Lock()

    def attempt() -> None:
        barrier.wait()
        try:
            status = client.post(url, json=body, headers=headers).status_code
        except Exception:
            status = 500
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=attempt) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return Counter(statuses)


def referral_events(engine: Engine, referral_id: Any) -> list[tuple[int, str | None, str]]:
    with Session(engine) as session:
        return [
            (e.seq, e.from_status, e.to_status)
            for e in session.scalars(
                select(ReferralEvent)
                .where(ReferralEvent.referral_id == referral_id)
                .order_by(ReferralEvent.seq)
            )
        ]


def repatriation_events(engine: Engine, file_id: Any) -> list[tuple[int, str | None, str]]:
    with Session(engine) as session:
        return [
            (e.seq, e.from_status, e.to_status)
            for e in session.scalars(
                select(RepatriationEvent)
                .where(RepatriationEvent.file_id == file_id)
                .order_by(RepatriationEvent.seq)
            )
        ]
