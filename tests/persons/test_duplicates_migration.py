"""Migration 0017_duplicates on existing persons, and their indexing afterwards.

The migration cannot compute keyed tokens (it holds no key): existing persons come out
unindexed, and ``duplicates.index_all`` (``casework index-persons``) indexes them once.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from casework.cli import app
from casework.core.config import get_settings
from casework.core.crypto import keyring
from casework.core.db import create_db_engine
from casework.core.migrations import downgrade, upgrade
from casework.persons import duplicates, matching
from tests.cases.test_migration import NOW, _user, run

runner = CliRunner()


def test_existing_persons_are_indexed_after_the_migration(
    backend: str, fresh_database_url: Any
) -> None:
    engine = create_db_engine(fresh_database_url(backend))
    try:
        with engine.begin() as connection:
            upgrade(connection, "0016_records")
            org = uuid.uuid4()
            run(
                connection,
                "INSERT INTO organizations (id, code, name, created_at)"
                " VALUES (:id, 'A', 'A', :now)",
                {"id": org, "now": NOW},
            )
            by = _user(connection, "cw", "caseworker", org)
            person = uuid.uuid4()
            run(
                connection,
                "INSERT INTO persons (id, full_name, phone, sex, region, code_set,"
                " organization_id, created_by_id, owner_id, status, create_fingerprint,"
                " version, created_at, updated_at) VALUES (:id, :name, :phone, 'male', 'ML07',"
                " 'c', :org, :by, :by, 'open', 'f', 1, :now, :now)",
                {
                    "id": person,
                    "name": keyring().encrypt("Mohamed Ag Intallah", "persons.full_name"),
                    "phone": keyring().encrypt("+223 76 00 11 22", "persons.phone"),
                    "org": org,
                    "by": by,
                    "now": NOW,
                },
            )
            run(
                connection,
                "INSERT INTO person_events (id, person_id, seq, event, to_status,"
                " organization_id, by_id, at) VALUES (:id, :person, 1, 'created', 'open',"
                " :org, :by, :now)",
                {"id": uuid.uuid4(), "person": person, "org": org, "by": by, "now": NOW},
            )
        with engine.begin() as connection:
            upgrade(connection)
            # The persons table is altered in place: its history is still there.
            assert connection.execute(text("SELECT count(*) FROM person_events")).scalar() == 1
            scheme = connection.execute(text("SELECT name_index_scheme FROM persons")).scalar()
            tokens = connection.execute(text("SELECT count(*) FROM person_name_tokens")).scalar()
        assert scheme is None
        assert tokens == 0

        assert duplicates.index_all(engine) == 1
        assert duplicates.index_all(engine) == 0  # already done: nothing to redo
        assert duplicates.index_all(engine, batch=1, everything=True) == 1
        with engine.connect() as connection:
            stored = {
                (row.part, row.kind, row.token)
                for row in connection.execute(
                    text("SELECT part, kind, token FROM person_name_tokens")
                )
            }
            scheme, phone_index, version = connection.execute(
                text("SELECT name_index_scheme, phone_index, version FROM persons")
            ).one()
        assert stored == set(duplicates.name_tokens("Mohamed Ag Intallah"))
        assert scheme == matching.SCHEME
        assert phone_index == duplicates.phone_index("76001122")
        assert version == 1  # indexing is not an edit: the ETag does not change

        with engine.begin() as connection:
            downgrade(connection, "0016_records")
            assert connection.execute(text("SELECT count(*) FROM persons")).scalar() == 1
            assert connection.execute(text("SELECT count(*) FROM person_events")).scalar() == 1
    finally:
        engine.dispose()


def test_the_index_persons_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CASEWORK_DATABASE_URL", url)
    monkeypatch.setenv("CASEWORK_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    assert runner.invoke(app, ["demo"]).exit_code == 0
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            persons = connection.execute(text("SELECT count(*) FROM persons")).scalar()
            connection.execute(text("UPDATE persons SET name_index_scheme = NULL"))
            connection.execute(text("DELETE FROM person_name_tokens"))
        result = runner.invoke(app, ["index-persons"])
        assert result.exit_code == 0, result.output
        assert result.output.strip() == f"{persons} persons indexed"
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM person_name_tokens")).scalar()
        again = runner.invoke(app, ["index-persons"])
        assert again.output.strip() == "0 persons indexed"
        everything = runner.invoke(app, ["index-persons", "--all"])
        assert everything.output.strip() == f"{persons} persons indexed"
    finally:
        engine.dispose()
