import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from casework.audit import service as audit_service
from casework.audit.models import HEAD_ID, AuditChainHead, AuditEntry
from casework.core.db import create_db_engine
from casework.core.migrations import upgrade
from tests.factories import PASSWORD, World, auth, incident_body


def entries(session: Session, **where: object) -> list[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.seq)
    for name, value in where.items():
        stmt = stmt.where(getattr(AuditEntry, name) == value)
    return list(session.scalars(stmt))


def drop_trigger(session: Session, name: str, table: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"DROP TRIGGER {name} ON {table}"))
    else:
        session.execute(text(f"DROP TRIGGER {name}"))


def disarm_audit_log(session: Session, operation: str) -> None:
    """What a tamperer with database access does first: drop the trigger refusing `operation`."""
    if session.get_bind().dialect.name == "postgresql":
        drop_trigger(session, "audit_log_no_update", "audit_log")  # BEFORE UPDATE OR DELETE
    else:
        drop_trigger(session, f"audit_log_no_{operation.lower()}", "audit_log")


def test_writes_are_audited_with_who_and_from_where(
    client: TestClient, world: World, session: Session
) -> None:
    response = client.post(
        "/api/v1/incidents",
        json=incident_body(),
        headers={**auth(world.user("monitor_a")), "X-Request-ID": "req-write-1"},
    )
    incident_id = response.json()["id"]
    [entry] = entries(session, record_type="incidents", record_id=incident_id)
    assert entry.action == "create"
    assert entry.username == "monitor_a"
    assert entry.role == "monitor"
    # The trail holds the server's request id, never one a client chose.
    assert entry.request_id == response.headers["X-Request-ID"] != "req-write-1"
    assert entry.client_address == "testclient"
    client.patch(
        f"/api/v1/incidents/{incident_id}",
        json={"locality": "Bourem"},
        headers=auth(world.user("monitor_a")),
    )
    update = entries(session, record_type="incidents", record_id=incident_id, action="update")
    assert update[0].detail == {"fields": ["locality"]}


def test_logins_are_audited_success_and_failure(
    client: TestClient, world: World, session: Session
) -> None:
    client.post("/api/v1/auth/token", data={"username": "monitor_a", "password": "wrong"})
    client.post("/api/v1/auth/token", data={"username": "monitor_a", "password": PASSWORD})
    actions = [
        e.action for e in entries(session, username="monitor_a") if e.action.startswith("login")
    ]
    assert actions == ["login.failure", "login.success"]
    assert "wrong" not in repr([e.detail for e in entries(session)])


@pytest.mark.parametrize(
    ("path", "record_type", "user"),
    [
        ("/api/v1/persons/{person}", "persons", "caseworker_a"),
        ("/api/v1/persons/{person}/timeline", "persons", "caseworker_a"),
        ("/api/v1/persons/{person}/duplicates", "persons", "caseworker_a"),
        ("/api/v1/sgbv-cases/{case}", "sgbv_cases", "gbv_a"),
        ("/api/v1/consents/{consent}", "consents", "caseworker_a"),
        ("/api/v1/incidents/{incident}", "incidents.description", "caseworker_a"),
        ("/api/v1/referrals/{referral}", "referrals.note", "focal_cvjr"),
    ],
)
def test_sensitive_reads_are_audited(
    client: TestClient, world: World, session: Session, path: str, record_type: str, user: str
) -> None:
    ids = {
        "person": world.persons["a"].id,
        "case": world.cases["a"].id,
        "consent": world.consents["a"].id,
        "incident": world.incidents["a_gao"].id,
        "referral": world.referrals["sgbv_sent"].id,
    }
    url = path.format(**ids)
    record_id = str(next(v for k, v in ids.items() if "{" + k + "}" in path))
    assert client.get(url, headers=auth(world.user(user))).status_code == 200
    reads = entries(session, action="read", record_type=record_type, record_id=record_id)
    assert [e.username for e in reads] == [user]


def test_list_reads_are_audited_per_record(
    client: TestClient, world: World, session: Session
) -> None:
    client.get("/api/v1/persons", headers=auth(world.user("caseworker_a")))
    read_ids = {e.record_id for e in entries(session, action="read", record_type="persons")}
    assert read_ids == {str(p.id) for k, p in world.persons.items() if k != "b"}


def test_a_refused_read_leaves_no_read_entry(
    client: TestClient, world: World, session: Session
) -> None:
    client.get(f"/api/v1/persons/{world.persons['a'].id}", headers=auth(world.user("caseworker_b")))
    assert entries(session, action="read", record_type="persons") == []


def test_the_database_refuses_update_and_delete(world: World, session: Session) -> None:
    session.commit()
    for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
            session.execute(text(statement))


def test_chain_verifies_and_catches_tampering(world: World, session: Session) -> None:
    session.commit()
    result = audit_service.verify(session)
    assert result.ok
    assert result.checked > 10
    target = entries(session)[5]
    disarm_audit_log(session, "UPDATE")
    session.execute(
        text("UPDATE audit_log SET username = 'someone_else' WHERE seq = :seq"), {"seq": target.seq}
    )
    session.expire_all()
    broken = audit_service.verify(session)
    assert not broken.ok
    assert broken.broken_at == target.seq
    assert broken.checked == target.seq - 1


@pytest.mark.parametrize(
    ("removed", "first_missing"),
    [
        ("seq = :last - 3", 3),  # from the middle: the next entry's link shows it
        ("seq >= :last - 1", 1),  # the newest ones: links cannot show it, the head can
    ],
)
def test_removing_entries_is_caught(
    world: World, session: Session, removed: str, first_missing: int
) -> None:
    session.commit()
    last = entries(session)[-1].seq
    disarm_audit_log(session, "DELETE")
    session.execute(text(f"DELETE FROM audit_log WHERE {removed}"), {"last": last})
    session.expire_all()
    result = audit_service.verify(session)
    assert result.broken_at == last - first_missing
    assert result.checked == last - first_missing - 1
    assert "missing" in (result.reason or "")


def test_the_head_follows_every_append(client: TestClient, world: World, session: Session) -> None:
    client.post("/api/v1/incidents", json=incident_body(), headers=auth(world.user("monitor_a")))
    head = session.get(AuditChainHead, HEAD_ID, populate_existing=True)
    last = entries(session)[-1]
    assert head is not None
    assert (head.seq, head.hash) == (last.seq, last.hash)


def test_a_head_that_does_not_match_the_last_entry_is_caught(
    world: World, session: Session
) -> None:
    session.commit()
    session.execute(text("UPDATE audit_chain_head SET hash = :h"), {"h": "f" * 64})
    session.expire_all()
    result = audit_service.verify(session)
    assert (result.ok, result.reason) == (False, "the chain head does not match the last entry")


def test_the_database_refuses_to_remove_the_head(world: World, session: Session) -> None:
    session.commit()
    with pytest.raises(DBAPIError, match="never removed"), session.begin_nested():
        session.execute(text("DELETE FROM audit_chain_head"))
    drop_trigger(session, "audit_chain_head_no_delete", "audit_chain_head")
    session.execute(text("DELETE FROM audit_chain_head"))
    session.expire_all()
    assert audit_service.verify(session).reason == "the chain head row is missing"
    # Appending refuses too: no entry may start a second chain.
    audit_service.record(session, "read", "persons", world.persons["a"].id)
    with pytest.raises(audit_service.ChainHeadMissing):
        session.commit()


def test_audit_endpoint_filters_and_pages(client: TestClient, world: World) -> None:
    headers = auth(world.user("admin"))
    client.get(f"/api/v1/persons/{world.persons['a'].id}", headers=auth(world.user("caseworker_a")))
    reads = client.get(
        "/api/v1/audit", params={"action": "read", "record_type": "persons"}, headers=headers
    ).json()["items"]
    assert [(r["username"], r["record_id"]) for r in reads] == [
        ("caseworker_a", str(world.persons["a"].id))
    ]
    for _ in range(3):
        client.get(f"/api/v1/sgbv-cases/{world.cases['a'].id}", headers=auth(world.user("gbv_a")))
    by_user = client.get("/api/v1/audit", params={"username": "gbv_a", "limit": 2}, headers=headers)
    page = by_user.json()
    assert len(page["items"]) == 2
    assert page["next_cursor"]
    assert {i["username"] for i in page["items"]} == {"gbv_a"}
    rest = client.get(
        "/api/v1/audit",
        params={"username": "gbv_a", "cursor": page["next_cursor"]},
        headers=headers,
    ).json()
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None
    assert client.get("/api/v1/audit", headers=auth(world.user("supervisor_a"))).status_code == 403


def test_cli_verify(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from casework.cli import app
    from casework.core.config import get_settings

    monkeypatch.setenv("CASEWORK_DATABASE_URL", f"sqlite:///{tmp_path}/audit.db")
    get_settings.cache_clear()
    runner = CliRunner()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    assert runner.invoke(app, ["demo"]).exit_code == 0
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "audit chain intact" in result.output
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{tmp_path}/audit.db")
    with engine.begin() as connection:
        connection.execute(text("DROP TRIGGER audit_log_no_update"))
        connection.execute(text("UPDATE audit_log SET action = 'read' WHERE seq = 7"))
    engine.dispose()
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "broken at entry 7" in broken.output


def test_a_chain_written_before_the_head_existed_keeps_growing(
    backend: str, fresh_database_url: Any
) -> None:
    # Deployments from before migration 0009 have a chain and no head row.
    engine = create_db_engine(fresh_database_url(backend))
    with engine.begin() as connection:
        upgrade(connection, "0008")
    prev_hash, now = audit_service.GENESIS, datetime.now(UTC)
    with engine.begin() as connection:
        for seq in (1, 2, 3):
            entry = AuditEntry(
                id=uuid.uuid4(), seq=seq, at=now, username="admin", role="admin",
                action="login.success", detail={}, prev_hash=prev_hash,
            )  # fmt: skip
            entry.hash = prev_hash = audit_service.entry_hash(
                prev_hash, audit_service.hashed_fields(entry)
            )
            connection.execute(
                insert(AuditEntry),
                {c.key: getattr(entry, c.key) for c in AuditEntry.__table__.columns},
            )
    with engine.begin() as connection:
        upgrade(connection)
    audit_service.install()  # as every session of the app has it
    with Session(engine) as session:
        assert audit_service.verify(session) == audit_service.Verification(3, None, None)
        audit_service.record(session, "read", "persons", uuid.uuid4())
        session.commit()
        assert audit_service.verify(session) == audit_service.Verification(4, None, None)
    engine.dispose()
