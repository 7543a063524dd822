"""Running Alembic from code (the CLI, the tests, the benchmark).

The migrations ship inside the package (``casework/migrations``), so an installed
wheel migrates from any working directory; no ``alembic.ini`` is needed. The
``alembic.ini`` at the root of a checkout points at the same folder, for developers
who run ``alembic revision --autogenerate`` by hand.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine, make_url


def script_location() -> str:
    return str(resources.files("casework") / "migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", script_location())
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    # Logging is the application's business, never reconfigured by a migration run.
    config.attributes["configure_logging"] = False
    return config


def upgrade(connection: Connection, revision: str = "head") -> None:
    command.upgrade(alembic_config(connection), revision)


def downgrade(connection: Connection, revision: str = "base") -> None:
    command.downgrade(alembic_config(connection), revision)


@lru_cache(maxsize=1)
def head_revisions() -> frozenset[str]:
    """The revisions a migrated database is at (read once: the files do not change)."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(connection: Connection) -> frozenset[str]:
    return frozenset(MigrationContext.configure(connection).get_current_heads())


def is_at_head(connection: Connection) -> bool:
    return current_revisions(connection) == head_revisions()


def describe_database(url: str) -> str:
    """The database as an operator recognises it: a file path, or the URL without password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return str(Path(parsed.database).resolve())
    return parsed.render_as_string(hide_password=True)


class NotMigrated(Exception):
    """The database is missing, empty or behind the code's migrations."""

    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(
            f"the database at {describe_database(url)} is not migrated: run casework migrate"
        )


def check_migrated(engine: Engine) -> None:
    """Raise NotMigrated unless the database exists and is at the head revision.

    A SQLite file that does not exist yet is not created by the check.
    """
    url = engine.url
    file = url.database if url.get_backend_name() == "sqlite" else None
    if file and file != ":memory:" and not Path(file).exists():
        raise NotMigrated(url.render_as_string(hide_password=False))
    with engine.connect() as connection:
        at_head = is_at_head(connection)
    if not at_head:
        raise NotMigrated(url.render_as_string(hide_password=False))
