"""SQLite writers of one process take turns on the engine's lock, which every end of a
transaction gives back (commit, rollback, or a BEGIN that failed)."""

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

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
