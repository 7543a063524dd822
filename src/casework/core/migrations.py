"""Running Alembic from code (the CLI, the tests, the benchmark)."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection


def find_alembic_ini() -> Path:
    """alembic.ini from CASEWORK_ALEMBIC_INI, the working directory, or the source checkout."""
    candidates = [
        Path(os.environ["CASEWORK_ALEMBIC_INI"])
        if os.environ.get("CASEWORK_ALEMBIC_INI")
        else None,
        Path.cwd() / "alembic.ini",
        Path(__file__).resolve().parents[3] / "alembic.ini",
    ]
    for candidate in candidates:
        if candidate is not None and candidate.is_file():
            return candidate
    raise FileNotFoundError(
        "alembic.ini not found: run from the casework checkout or set CASEWORK_ALEMBIC_INI"
    )


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config(str(find_alembic_ini()))
    if connection is not None:
        config.attributes["connection"] = connection
        config.attributes["configure_logging"] = False
    return config


def upgrade(connection: Connection, revision: str = "head") -> None:
    command.upgrade(alembic_config(connection), revision)


def downgrade(connection: Connection, revision: str = "base") -> None:
    command.downgrade(alembic_config(connection), revision)
