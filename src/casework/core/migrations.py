"""Running Alembic from code (the CLI, the tests, the benchmark).

The migrations ship inside the package (``casework/migrations``), so an installed
wheel migrates from any working directory; no ``alembic.ini`` is needed. The
``alembic.ini`` at the root of a checkout points at the same folder, for developers
who run ``alembic revision --autogenerate`` by hand.
"""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection


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
