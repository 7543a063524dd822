"""Migration 0014_cases on existing data: owners from eligible creators, one creation entry."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import text

from casework.core.db import create_db_engine
from casework.core.migrations import downgrade, upgrade

NOW = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def run(connection: Any, sql: str, params: dict[str, Any]) -> None:
    """Raw SQL as a release before 0014 would have written it, with typed parameters."""
    types = {uuid.UUID: sa.Uuid(), datetime: sa.DateTime(timezone=True), bool: sa.Boolean()}
    statement = text(sql).bindparams(
        *(
            sa.bindparam(name, type_=types[type(value)])
            for name, value in params.items()
            if type(value) in types
        )
    )
    connection.execute(statement, params)


def _user(connection: Any, name: str, role: str, org: uuid.UUID, active: bool = True) -> uuid.UUID:
    user_id = uuid.uuid4()
    run(
        connection,
        (
            "INSERT INTO users (id, username, password_hash, role, organization_id, regions,"
            " is_active, token_generation, version, created_at, updated_at)"
            " VALUES (:id, :name, 'x', :role, :org, '[]', :active, 0, 1, :now, :now)"
        ),
        {"id": user_id, "name": name, "role": role, "org": org, "active": active, "now": NOW},
    )
    return user_id


def _person(connection: Any, org: uuid.UUID, by: uuid.UUID) -> uuid.UUID:
    person_id = uuid.uuid4()
    run(
        connection,
        (
            "INSERT INTO persons (id, full_name, sex, region, code_set, organization_id,"
            " created_by_id, create_fingerprint, version, created_at, updated_at)"
            " VALUES (:id, 'x', 'female', 'ML07', 'c', :org, :by, 'f', 1, :now, :now)"
        ),
        {"id": person_id, "org": org, "by": by, "now": NOW},
    )
    return person_id


def _case(connection: Any, org: uuid.UUID, by: uuid.UUID, code: str) -> uuid.UUID:
    case_id = uuid.uuid4()
    run(
        connection,
        (
            "INSERT INTO sgbv_cases (id, survivor_code, gbv_type, occurred_on, region, code_set,"
            " services_needed, organization_id, created_by_id, create_fingerprint, version,"
            " created_at, updated_at) VALUES (:id, :code, 'rape', '2026-01-01', 'ML07', 'c',"
            " '[]', :org, :by, 'f', 1, :now, :now)"
        ),
        {"id": case_id, "code": code, "org": org, "by": by, "now": NOW},
    )
    return case_id


def test_existing_cases_get_owners_status_and_a_creation_entry(
    backend: str, fresh_database_url: Any
) -> None:
    engine = create_db_engine(fresh_database_url(backend))
    try:
        with engine.begin() as connection:
            upgrade(connection, "0009")
            org, other = uuid.uuid4(), uuid.uuid4()
            for code, org_id in (("A", org), ("B", other)):
                run(
                    connection,
                    "INSERT INTO organizations (id, code, name, created_at)"
                    " VALUES (:id, :code, :code, :now)",
                    {"id": org_id, "code": code, "now": NOW},
                )
            caseworker = _user(connection, "cw", "caseworker", org)
            gone = _user(connection, "gone", "caseworker", org, active=False)
            supervisor = _user(connection, "sup", "supervisor", org)
            moved = _user(connection, "moved", "gbv_caseworker", other)
            gbv = _user(connection, "gbv", "gbv_caseworker", org)
            persons = {
                "kept": _person(connection, org, caseworker),
                "creator left": _person(connection, org, gone),
                "by a supervisor": _person(connection, org, supervisor),
                "creator in another org": _person(connection, org, moved),
            }
            cases = {
                "kept": _case(connection, org, gbv, "A-1"),
                "plain caseworker": _case(connection, org, caseworker, "A-2"),
            }
        with engine.begin() as connection:
            upgrade(connection)
            owners = dict(connection.execute(text("SELECT id, owner_id FROM persons")).all())
            statuses = {row[0] for row in connection.execute(text("SELECT status FROM persons"))}
            case_owners = dict(
                connection.execute(text("SELECT id, owner_id FROM sgbv_cases")).all()
            )
            entries = connection.execute(
                text(
                    "SELECT person_id, seq, event, from_status, to_status, by_id, at"
                    " FROM person_events"
                )
            ).all()
            case_entries = connection.execute(
                text("SELECT count(*) FROM sgbv_case_events")
            ).scalar()

        def uid(value: Any) -> uuid.UUID:
            return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))

        owners = {uid(k): (uid(v) if v else None) for k, v in owners.items()}
        assert owners[persons["kept"]] == caseworker
        assert owners[persons["creator left"]] is None
        assert owners[persons["by a supervisor"]] is None
        assert owners[persons["creator in another org"]] is None
        case_owners = {uid(k): (uid(v) if v else None) for k, v in case_owners.items()}
        assert case_owners == {cases["kept"]: gbv, cases["plain caseworker"]: None}
        assert statuses == {"open"}
        assert len(entries) == len(persons)
        assert {(e.seq, e.event, e.from_status, e.to_status) for e in entries} == {
            (1, "created", None, "open")
        }
        assert {uid(e.person_id): uid(e.by_id) for e in entries}[persons["creator left"]] == gone
        assert case_entries == len(cases)
        with engine.begin() as connection:
            downgrade(connection, "0011_security")
            count = connection.execute(text("SELECT count(*) FROM persons")).scalar()
        assert count == len(persons)
    finally:
        engine.dispose()
