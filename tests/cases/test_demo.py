"""The demo shows case management: owners, a closure waiting for approval, an open transfer."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from casework.auth.models import Organization, User
from casework.cli import app
from casework.core.config import get_settings
from casework.persons.models import Person, PersonEvent
from casework.sgbv.models import SgbvCase
from casework.transfers.models import Transfer

runner = CliRunner()


@pytest.fixture
def demo_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setenv("CASEWORK_DATABASE_URL", url)
    monkeypatch.setenv("CASEWORK_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    return url


def test_the_demo_has_owners_a_closure_request_and_an_open_transfer(demo_db: str) -> None:
    for _ in range(2):  # idempotent: the second run adds nothing
        result = runner.invoke(app, ["demo"])
        assert result.exit_code == 0, result.output
    assert "assignments, closure request and transfer: 0 created" in result.output
    engine = create_engine(demo_db)
    with Session(engine) as session:
        names = {u.id: u.username for u in session.scalars(select(User))}
        owners = {names.get(p.owner_id) for p in session.scalars(select(Person))}
        assert {"caseworker", "caseworker.ansongo"} <= owners
        assigned = session.scalars(select(PersonEvent).where(PersonEvent.event == "assigned"))
        assert len(assigned.all()) == 1
        statuses = {c.survivor_code: c.status for c in session.scalars(select(SgbvCase))}
        assert statuses == {"GAO-2026-001": "open", "GAO-2026-002": "closure_requested"}
        transfers = session.scalars(select(Transfer)).all()
        assert [t.status for t in transfers] == ["pending"]
        receiver = session.get(Organization, transfers[0].to_organization_id)
        assert receiver is not None
        assert receiver.code == "NRA"
    engine.dispose()
