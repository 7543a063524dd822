"""Migrations are the schema: upgrade head == models, and every step goes down and up again."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from casework.core.db import create_db_engine
from casework.core.migrations import alembic_config, downgrade, upgrade
from casework.models import Base


def schema_diff(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def check_constraints_missing(engine: Engine) -> set[str]:
    """Autogenerate does not compare CHECK constraints: compare their names ourselves."""
    inspector = inspect(engine)
    missing = set()
    for table in Base.metadata.sorted_tables:
        declared = {
            str(c.name) for c in table.constraints if c.__class__.__name__ == "CheckConstraint"
        }
        present = {str(c["name"]) for c in inspector.get_check_constraints(table.name)}
        missing |= {f"{table.name}.{name}" for name in declared - present}
    return missing


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_one_head() -> None:
    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1


def test_upgrade_head_matches_the_models_and_round_trips(
    backend: str, fresh_database_url: Any
) -> None:
    engine = create_db_engine(fresh_database_url(backend))
    try:
        with engine.begin() as connection:
            upgrade(connection)
        assert schema_diff(engine) == []
        assert check_constraints_missing(engine) == set()
        assert tables(engine) == set(Base.metadata.tables)

        with engine.begin() as connection:
            downgrade(connection, "base")
        assert tables(engine) == set()

        with engine.begin() as connection:
            upgrade(connection)
        assert schema_diff(engine) == []
    finally:
        engine.dispose()


def test_every_revision_steps_down_and_up(backend: str, fresh_database_url: Any) -> None:
    """The stairway: for each revision, upgrade to it, down one, up again."""
    script = ScriptDirectory.from_config(alembic_config())
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    engine = create_db_engine(fresh_database_url(backend))
    try:
        for revision in revisions:
            with engine.begin() as connection:
                upgrade(connection, revision)
            with engine.begin() as connection:
                downgrade(connection, "-1")
            with engine.begin() as connection:
                upgrade(connection, revision)
        assert schema_diff(engine) == []
        assert check_constraints_missing(engine) == set()
    finally:
        engine.dispose()
