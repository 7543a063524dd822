"""Admins lift a login lockout before it expires: endpoint and CLI, both audited."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from casework.audit.models import AuditEntry
from casework.cli import app as cli
from casework.core.config import get_settings
from tests.auth.test_login import login
from tests.factories import World, auth


def lock_out(client: TestClient, username: str) -> None:
    for _ in range(3):
        assert login(client, username, "wrong password").status_code == 400  # invalid_grant
    assert login(client, username).status_code == 429


def test_an_admin_unlocks_a_locked_out_user(
    client: TestClient, world: World, session: Session, configure: Any
) -> None:
    configure(login_max_failures=3, login_lockout_seconds=900)
    lock_out(client, "monitor_a")
    user = world.user("monitor_a")
    response = client.post(f"/api/v1/users/{user.id}/unlock", headers=auth(world.user("admin")))
    assert response.status_code == 204, response.text
    assert login(client, "monitor_a").status_code == 200
    entry = session.scalar(
        select(AuditEntry).where(AuditEntry.action == "user.unlock").order_by(AuditEntry.seq.desc())
    )
    assert entry is not None
    assert entry.record_id == str(user.id)
    assert entry.user_id == world.user("admin").id


def test_unlocking_needs_an_existing_user(client: TestClient, world: World) -> None:
    response = client.post(
        f"/api/v1/users/{uuid.uuid4()}/unlock", headers=auth(world.user("admin"))
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_the_cli_unlocks_by_username(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'unlock.db'}"
    monkeypatch.setenv("CASEWORK_DATABASE_URL", url)
    monkeypatch.setenv("CASEWORK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CASEWORK_LOGIN_MAX_FAILURES", "2")
    get_settings.cache_clear()
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    created = runner.invoke(
        cli, ["create-user", "--username", "Field.Admin", "--role", "admin"], input="x" * 12 + "\n"
    )
    assert created.exit_code == 0, created.output

    from casework.main import create_app

    with TestClient(create_app(get_settings())) as client:
        for _ in range(2):
            login(client, "field.admin", "wrong password")
        assert login(client, "field.admin", "x" * 12).status_code == 429
        result = runner.invoke(cli, ["unlock-user", "FIELD.ADMIN"])
        assert result.exit_code == 0, result.output
        assert "field.admin unlocked" in result.output
        assert login(client, "field.admin", "x" * 12).status_code == 200

    unknown = runner.invoke(cli, ["unlock-user", "nobody"])
    assert unknown.exit_code == 2
    assert "no user named nobody" in unknown.output
    engine = create_engine(url)
    with engine.connect() as connection:
        actions = connection.execute(
            text("SELECT action FROM audit_log WHERE action = 'user.unlock'")
        ).all()
    engine.dispose()
    assert len(actions) == 1
