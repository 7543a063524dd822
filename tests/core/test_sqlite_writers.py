"""SQLite writers of one process take turns on the engine's lock, which every end of a
transaction gives back (commit, rollback, or a BEGIN that failed); readers take no
turn and never wait for a writer, until they come to write."""

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from casework.core.context import reads_only_var
from casework.core.db import create_db_engine

# Far below SQLite's 30 s busy timeout: a turn that was never given back makes
# the next writer wait that long, so it would not finish in time.
PROMPTLY = 5.0


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_db_engine(f"sqlite:///{tmp_path}/writers.db")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (n INTEGER)"))
    yield engine
    engine.dispose()


def write_in_another_thread(engine: Engine) -> bool:
    done = threading.Event()

    def write() -> None:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO notes VALUES (2)"))
        done.set()

    threading.Thread(target=write, daemon=True).start()
    return done.wait(PROMPTLY)


@pytest.mark.parametrize("ending", ["commit", "rollback"])
def test_ending_a_transaction_gives_the_turn_back(engine: Engine, ending: str) -> None:
    with engine.connect() as connection:
        connection.execute(text("INSERT INTO notes VALUES (1)"))
        getattr(connection, ending)()
        assert write_in_another_thread(engine)


def test_a_begin_that_failed_gives_the_turn_back(engine: Engine, tmp_path: Path) -> None:
    other_process = sqlite3.connect(tmp_path / "writers.db", isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")  # holds SQLite's write lock
    with engine.connect() as connection:
        connection.connection.dbapi_connection.execute("PRAGMA busy_timeout=50")  # type: ignore[union-attr]
        with pytest.raises(OperationalError, match="locked"):
            connection.execute(text("INSERT INTO notes VALUES (1)"))
    other_process.execute("COMMIT")
    other_process.close()
    assert write_in_another_thread(engine)


def test_concurrent_writers_all_succeed(engine: Engine) -> None:
    def writer() -> None:
        for _ in range(20):
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO notes VALUES (3)"))

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM notes")).scalar() == 160


def hold_the_write_lock(path: Path) -> sqlite3.Connection:
    """Another process's writer, in the middle of its transaction."""
    other_process = sqlite3.connect(path, isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")
    other_process.execute("INSERT INTO notes VALUES (9)")
    return other_process


def in_another_thread(work: Any) -> tuple[threading.Event, list[Any]]:
    done, results = threading.Event(), []

    def run() -> None:
        results.append(work())
        done.set()

    threading.Thread(target=run, daemon=True).start()
    return done, results


def test_a_reader_does_not_wait_for_a_writer(engine: Engine, tmp_path: Path) -> None:
    other_process = hold_the_write_lock(tmp_path / "writers.db")
    try:

        def read() -> Any:
            token = reads_only_var.set(True)
            try:
                with engine.begin() as connection:
                    return connection.execute(text("SELECT count(*) FROM notes")).scalar()
            finally:
                reads_only_var.reset(token)

        done, results = in_another_thread(read)
        assert done.wait(PROMPTLY), "the reader waited for the write lock"
        assert results == [0]  # the writer's row is not committed
    finally:
        other_process.execute("COMMIT")
        other_process.close()


def test_a_reader_that_writes_queues_and_sees_what_was_committed_meanwhile(
    engine: Engine, tmp_path: Path
) -> None:
    other_process = hold_the_write_lock(tmp_path / "writers.db")
    seen: list[Any] = []

    def read_then_write() -> Any:
        token = reads_only_var.set(True)
        try:
            with engine.begin() as connection:
                seen.append(connection.execute(text("SELECT count(*) FROM notes")).scalar())
                with connection.begin_nested():
                    connection.execute(text("INSERT INTO notes VALUES (1)"))
                    return connection.execute(text("SELECT count(*) FROM notes")).scalar()
        finally:
            reads_only_var.reset(token)

    done, results = in_another_thread(read_then_write)
    assert not done.wait(0.5), "the reader wrote while another process held the lock"
    assert seen == [0]
    other_process.execute("COMMIT")  # a snapshot older than this commit cannot write
    other_process.close()
    assert done.wait(PROMPTLY)
    assert results == [2]  # its own row and the one committed meanwhile
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM notes")).scalar() == 2


def test_a_reader_that_writes_takes_the_turn_of_this_process(engine: Engine) -> None:
    token = reads_only_var.set(True)
    try:
        with engine.begin() as connection:
            connection.execute(text("SELECT count(*) FROM notes"))
            connection.execute(text("INSERT INTO notes VALUES (1)"))
            assert not write_in_another_thread_briefly(engine)
    finally:
        reads_only_var.reset(token)
    assert write_in_another_thread(engine)


def write_in_another_thread_briefly(engine: Engine) -> bool:
    done, _ = in_another_thread(lambda: _insert(engine))
    return done.wait(0.3)


def _insert(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO notes VALUES (5)"))
