"""On SQLite, a GET never waits for another writer's lock; an audited read, which
appends to the audit trail, queues behind it like any writer and never fails."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from casework.audit import service as audit_service
from casework.audit.models import AuditEntry
from tests.factories import World, auth
from tests.racing import live_app

# Far below SQLite's 30 s busy timeout, which a GET that waited for the lock would reach.
PROMPTLY = 5.0


@pytest.fixture
def sqlite_live(fresh_database_url: Any) -> Iterator[tuple[FastAPI, World, Engine]]:
    """SQLite only (its write lock is the subject), so no PostgreSQL run to skip."""
    with live_app(fresh_database_url("sqlite")) as running:
        yield running


@pytest.fixture
def other_writer(sqlite_live: tuple[FastAPI, World, Engine]) -> Iterator[sqlite3.Connection]:
    """Another process in the middle of a write: it holds SQLite's write lock."""
    database = sqlite_live[2].url.database
    assert database
    other = sqlite3.connect(database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE audit_chain_head SET seq = seq")
    yield other
    if other.in_transaction:
        other.execute("COMMIT")
    other.close()


def in_a_thread(call: Callable[[], Any]) -> tuple[threading.Event, list[Any]]:
    done, results = threading.Event(), []

    def run() -> None:
        results.append(call())
        done.set()

    threading.Thread(target=run, daemon=True).start()
    return done, results


@pytest.mark.parametrize("path", ["/api/v1/users/me", "/api/v1/me/work"])
def test_a_get_completes_while_another_connection_holds_the_write_lock(
    sqlite_live: tuple[FastAPI, World, Engine], other_writer: sqlite3.Connection, path: str
) -> None:
    app, world, _ = sqlite_live
    headers = auth(world.user("caseworker_a"))
    with TestClient(app) as client:
        done, results = in_a_thread(lambda: client.get(path, headers=headers))
        assert done.wait(PROMPTLY), "the GET waited for the write lock"
    assert results[0].status_code == 200


def test_an_audited_get_queues_behind_the_writer_and_is_audited(
    sqlite_live: tuple[FastAPI, World, Engine], other_writer: sqlite3.Connection
) -> None:
    app, world, engine = sqlite_live
    person = world.persons["a"]
    headers = auth(world.user("caseworker_a"))
    with TestClient(app) as client:
        done, results = in_a_thread(
            lambda: client.get(f"/api/v1/persons/{person.id}", headers=headers)
        )
        assert not done.wait(0.5), "the audit entry was written under another's lock"
        other_writer.execute("COMMIT")  # its snapshot is now older than the head
        assert done.wait(PROMPTLY)
    assert results[0].status_code == 200
    with engine.connect() as connection:
        reads = connection.execute(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "read", AuditEntry.record_id == str(person.id))
        ).scalar_one()
    assert reads == 1
    with Session(engine) as session:
        assert audit_service.verify(session).ok
