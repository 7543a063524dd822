"""Test harness.

* Every database test runs on SQLite and, when CASEWORK_TEST_POSTGRES_URL is set,
  on PostgreSQL too (each in a fresh schema). With CASEWORK_TEST_REQUIRE_POSTGRES=1
  (as in CI) a missing or unreachable PostgreSQL is an error, never a skip.
* The schema is built by Alembic migrations, never ``create_all``.
* Each test runs inside one outer transaction that is rolled back; the app's
  commits become SAVEPOINT releases (``join_transaction_mode="create_savepoint"``).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# Settings for the whole test process, before casework reads any.
os.environ["CASEWORK_ENV"] = "test"
os.environ["CASEWORK_SECRET_KEY"] = "test-secret-key-" + "x" * 32
# Fixed test keys (base64 of 32 bytes each); never used anywhere else.
os.environ["CASEWORK_ENCRYPTION_KEYS"] = "t1:" + "dGVzdC1lbmNyeXB0aW9uLWtleS0xLTMyLWJ5dGVzISE="
os.environ["CASEWORK_BLIND_INDEX_KEY"] = "dGVzdC1ibGluZC1pbmRleC1rZXktMzItYnl0ZXMhISE="
os.environ.pop("CASEWORK_ENCRYPTION_ACTIVE_KEY", None)
# Webhook receivers in tests listen on loopback (refused unless explicitly allowed).
os.environ["CASEWORK_WEBHOOK_ALLOW_LOOPBACK"] = "true"
os.environ.pop("CASEWORK_DATABASE_URL", None)
# Attachments uploaded by tests go to a throw-away directory, never under ./var.
os.environ["CASEWORK_ATTACHMENT_DIR"] = tempfile.mkdtemp(prefix="casework-attachments-")
os.environ.pop("CASEWORK_ATTACHMENT_STORE", None)
# The in-process scheduler is tested on its own (tests/notifications/test_scheduler.py).
os.environ["CASEWORK_SCHEDULER_INTERVAL_SECONDS"] = "0"

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session

from casework.core.config import get_settings, normalize_database_url
from casework.core.db import create_db_engine, get_session
from casework.core.migrations import upgrade
from casework.main import create_app
from tests.factories import World, build_world

# The `live` fixture (a committed database for racing requests) lives there.
# Real server processes on PostgreSQL (`cluster`) live in tests.servers.
pytest_plugins = ["tests.racing", "tests.servers"]

POSTGRES_URL = os.environ.get("CASEWORK_TEST_POSTGRES_URL", "")
REQUIRE_POSTGRES = os.environ.get("CASEWORK_TEST_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL or REQUIRE_POSTGRES else ["sqlite"]


def pytest_report_header() -> list[str]:
    if POSTGRES_URL:
        target = make_url(normalize_database_url(POSTGRES_URL)).render_as_string(hide_password=True)
        return [f"databases: sqlite, postgresql ({target})"]
    return ["databases: sqlite only (set CASEWORK_TEST_POSTGRES_URL to add PostgreSQL)"]


def pytest_configure(config: pytest.Config) -> None:
    if REQUIRE_POSTGRES and not POSTGRES_URL:
        raise pytest.UsageError(
            "CASEWORK_TEST_REQUIRE_POSTGRES=1 but CASEWORK_TEST_POSTGRES_URL is not set"
        )


def postgres_url_in_schema(schema: str) -> str:
    url = make_url(normalize_database_url(POSTGRES_URL))
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


@pytest.fixture(scope="session")
def fresh_database_url(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[object]:
    """A factory of empty databases on a backend: SQLite files or PostgreSQL schemas."""
    created_schemas: list[str] = []
    admin: Engine | None = None

    def make(backend: str) -> str:
        nonlocal admin
        if backend == "sqlite":
            path = tmp_path_factory.mktemp("db") / "casework.db"
            return f"sqlite:///{path}"
        if admin is None:
            admin = create_engine(normalize_database_url(POSTGRES_URL))
        schema = f"cw_test_{uuid.uuid4().hex[:12]}"
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        created_schemas.append(schema)
        return postgres_url_in_schema(schema)

    yield make

    if admin is not None:
        for schema in created_schemas:
            drop_schema(admin, schema)
        admin.dispose()


def drop_schema(admin: Engine, schema: str) -> None:
    """Drop a schema table by table, one transaction each.

    A single ``DROP SCHEMA ... CASCADE`` of a migrated schema locks every object in it
    (about 3,600 locks) until it commits, and PostgreSQL's lock table is shared by every
    connection (max_locks_per_transaction x max_connections: 6,400 by default): two
    workers finishing together ran it out ("out of shared memory") under other tests.
    """
    with admin.connect() as connection:
        tables = connection.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = :schema"),
            {"schema": schema},
        ).all()
    for table in tables:
        with admin.begin() as connection:
            connection.execute(text(f'DROP TABLE IF EXISTS "{schema}"."{table}" CASCADE'))
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(backend: str, fresh_database_url: object) -> str:
    return fresh_database_url(backend)  # type: ignore[operator, no-any-return]


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    with engine.begin() as connection:
        upgrade(connection)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    with Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    ) as session:
        yield session


def join_test_transaction(app: FastAPI, session: Session) -> FastAPI:
    """Point an app's sessions (requests and the idempotency middleware) at the test's."""

    def test_session() -> Iterator[Session]:
        # Mirrors get_session: a fresh caller per request, commit at the request
        # boundary, roll back on error.
        session.info.pop("current_user", None)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

    app.dependency_overrides[get_session] = test_session

    @contextmanager
    def shared_session() -> Iterator[Session]:
        yield session  # the test's session: never closed here

    app.state.session_provider = shared_session
    return app


@pytest.fixture
def app(session: Session) -> FastAPI:
    get_settings.cache_clear()
    return join_test_transaction(create_app(get_settings()), session)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def world(session: Session) -> World:
    world = build_world(session)
    # Release the savepoint: a request that fails rolls back only its own work,
    # never the test's arranged data. The outer transaction still ends in rollback.
    session.commit()
    return world


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CASEWORK_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    return tmp_path


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch) -> object:
    """Change settings for one test: ``configure(login_max_failures=3)``."""

    def apply(**values: object) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"CASEWORK_{name.upper()}", str(value))
        get_settings.cache_clear()

    return apply


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
