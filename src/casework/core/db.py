"""Engine, sessions and the declarative base shared by every domain."""

from __future__ import annotations

import threading
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Connection, DateTime, Dialect, Engine, MetaData, Uuid, create_engine, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeDecorator

from casework.core.config import get_settings
from casework.core.context import reads_only_var

# Constraint names must be stable across SQLite and PostgreSQL so that Alembic
# revisions can drop and alter them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware timestamps, stored in UTC on every backend.

    SQLite has no timezone type and hands back naive values; this decorator
    refuses naive input and always returns aware UTC datetimes.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        # SQLite compares timestamps as text: store one canonical naive-UTC form.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), uuid.UUID: Uuid()}


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def _configure_sqlite(engine: Engine) -> None:
    """Make SQLite behave: foreign keys on, real SAVEPOINTs, writers that wait their turn,
    readers that never wait for a writer.

    pysqlite's own transaction handling breaks SAVEPOINT (used for per-item
    batch isolation), so we disable it and emit BEGIN ourselves. BEGIN IMMEDIATE
    takes the write lock up front, so two writers queue instead of failing with
    "database is locked" when a reader upgrades.

    Writers of one process queue on a lock of the engine's before BEGIN: the
    next one starts as soon as the previous transaction ends. SQLite's own
    busy handler (still there for other processes) polls with sleeps of up to
    100 ms, which left the database idle while writers slept: with eight
    concurrent writers it cost a quarter of the throughput and most of the
    tail latency (bench/incident_throughput.py).

    Readers (a GET or HEAD request, ``reads_only_var``) begin DEFERRED: in WAL
    mode they read a snapshot while a writer works, without its lock. A reader
    that comes to write after all (an audited read appends to the audit trail
    at commit) becomes a writer before its first write: it takes the turn and
    restarts as BEGIN IMMEDIATE. Upgrading the deferred transaction in place
    would fail at once ("database is locked") whenever another writer had
    committed since its snapshot; restarting instead means its writes see
    what was committed meanwhile, as every statement does on PostgreSQL (READ
    COMMITTED). ``SELECT ... FOR UPDATE`` (ignored by SQLite) counts as a
    write: it announces one, and must read the newest row.
    """
    writer = threading.Lock()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    def _take_turn(connection: Connection) -> None:
        # Past the timeout, go on without the turn: SQLite's lock still guards.
        connection.info[_HOLDS_WRITER] = writer.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if reads_only_var.get():
            connection.info[_READING] = []  # its open savepoints, to carry over
            connection.exec_driver_sql("BEGIN")
            return
        _take_turn(connection)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _end_turn(connection)
            raise

    @event.listens_for(engine, "before_cursor_execute")
    def _before_execute(
        connection: Connection,
        _cursor: Any,
        statement: str,
        _parameters: Any,
        context: Any,
        _executemany: bool,
    ) -> None:
        savepoints = connection.info.get(_READING)
        if savepoints is None:
            return
        if not _writes(statement, context):
            _follow_savepoints(savepoints, statement)
            return
        del connection.info[_READING]
        _take_turn(connection)
        driver = connection.connection.driver_connection
        assert driver is not None
        try:
            # Nothing was written yet: ending the reader's transaction loses nothing.
            driver.execute("COMMIT")
            driver.execute("BEGIN IMMEDIATE")
            for name in savepoints:
                driver.execute(f"SAVEPOINT {name}")
        except BaseException:
            _end_turn(connection)
            raise

    # Fired as COMMIT or ROLLBACK is sent; for the instant between, SQLite's
    # own lock makes the next writer wait.
    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _end_turn(connection: Connection) -> None:
        connection.info.pop(_READING, None)
        if connection.info.pop(_HOLDS_WRITER, False):
            writer.release()


# Statements (not compiled by SQLAlchemy) that leave the database as it was.
_READ_STATEMENTS = ("SELECT", "PRAGMA", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")


def _follow_savepoints(savepoints: list[str], statement: str) -> None:
    """Keep the names of a reader's open savepoints (the event gives none)."""
    words = statement.split()
    if len(words) == 2 and words[0].upper() == "SAVEPOINT":
        savepoints.append(words[1])
    elif len(words) >= 3 and words[-2].upper() == "SAVEPOINT" and words[-1] in savepoints:
        # RELEASE SAVEPOINT x ends x and those inside it; so, for SQLite, does
        # ROLLBACK TO SAVEPOINT x, after which x stays open.
        index = savepoints.index(words[-1])
        del savepoints[index + (words[0].upper() == "ROLLBACK") :]


def _writes(statement: str, context: Any) -> bool:
    compiled = getattr(context, "compiled", None)
    if isinstance(compiled, SQLCompiler) and getattr(compiled.statement, "is_select", False):
        return getattr(compiled.statement, "_for_update_arg", None) is not None
    return not statement.lstrip()[:9].upper().startswith(_READ_STATEMENTS)


SQLITE_BUSY_TIMEOUT_MS = 30_000
_HOLDS_WRITER = "casework_holds_writer_turn"
_READING = "casework_reading"


def upsert_insert(session: Session, model: Any) -> Any:
    """An INSERT that takes ON CONFLICT clauses, for the session's database (both speak it)."""
    if session.get_bind().dialect.name == "postgresql":
        return pg_insert(model)
    return sqlite_insert(model)


def _track_writes(engine: Engine) -> None:
    """Mark a connection whose transaction wrote something (``_only_read``)."""

    @event.listens_for(engine, "before_cursor_execute")
    def _mark(
        connection: Connection,
        _cursor: Any,
        statement: str,
        _parameters: Any,
        context: Any,
        _executemany: bool,
    ) -> None:
        if not connection.info.get(_WROTE) and _writes(statement, context):
            connection.info[_WROTE] = True

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _forget(connection: Connection) -> None:
        connection.info.pop(_WROTE, None)


_WROTE = "casework_wrote"


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    # Database errors must never echo row values (names, codes) into logs or traces.
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
    else:
        kwargs.setdefault("pool_pre_ping", True)
        engine = create_engine(url, **kwargs)
    _track_writes(engine)
    return engine


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    return create_db_engine(url)


def get_engine() -> Engine:
    return engine_for(get_settings().sqlalchemy_url)


@lru_cache(maxsize=4)
def _sessionmaker(url: str) -> sessionmaker[Session]:
    return sessionmaker(bind=engine_for(url), expire_on_commit=False)


def session_factory() -> sessionmaker[Session]:
    """Sessions on the configured database, with every write audited."""
    from casework.audit import service as audit_service

    audit_service.install()
    return _sessionmaker(get_settings().sqlalchemy_url)


def new_session() -> Session:
    return session_factory()()


async def get_session() -> AsyncIterator[Session]:
    """One session per request; commit at the boundary, before the response is sent.

    Services only flush. Used with ``scope="function"`` (see ``SessionDep``) so
    the commit happens before FastAPI sends the response: a client never gets a
    2xx for a write that then failed to commit.

    An async generator on purpose: opening a session does no I/O (it connects
    on first use), so only the commit goes to the thread pool. Each hop to a
    worker thread costs a request two thread switches.
    """
    session = new_session()
    try:
        yield session
    except BaseException:
        await run_in_threadpool(_roll_back_and_close, session)
        raise
    if _only_read(session):
        # Ending a transaction that wrote nothing waits for no lock and flushes nothing
        # to disk: quicker here than the hop to a worker thread (about 0.1 ms).
        _commit_and_close(session)
    else:
        await run_in_threadpool(_commit_and_close, session)


def _only_read(session: Session) -> bool:
    """Nothing to flush, and no statement of the transaction so far wrote anything."""
    if session.new or session.dirty or session.deleted:
        return False
    if not session.in_transaction():
        return True
    return not session.connection().info.get(_WROTE, False)


def _commit_and_close(session: Session) -> None:
    try:
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _roll_back_and_close(session: Session) -> None:
    try:
        session.rollback()
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
