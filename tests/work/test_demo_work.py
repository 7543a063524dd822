"""`casework demo` fills every work list: due and overdue tasks, referrals waiting on CVJR."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from casework.auth.models import User
from casework.auth.principal import principal_for
from casework.cli import app
from casework.core.config import get_settings
from casework.core.db import create_db_engine
from casework.tasks.models import Task
from casework.work import service as work_service

runner = CliRunner()


@pytest.fixture
def demo_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setenv("CASEWORK_DATABASE_URL", url)
    monkeypatch.setenv("CASEWORK_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    first = runner.invoke(app, ["demo"])
    assert first.exit_code == 0, first.output
    assert "demo tasks and referrals waiting on CVJR: 6 created" in first.output
    return url


def test_demo_work_lists(demo_db: str) -> None:
    again = runner.invoke(app, ["demo"])
    assert again.exit_code == 0
    assert "demo tasks and referrals waiting on CVJR: 0 created" in again.output
    engine = create_db_engine(demo_db)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Task)) == 8

        def work(username: str) -> work_service.WorkList:
            user = session.scalars(select(User).where(User.username == username)).one()
            return work_service.work_list(session, principal_for(user), 50)

        caseworker = work("caseworker")
        assert [t.overdue for t in caseworker.tasks][:1] == [True]
        assert any(not t.overdue and t.due_on for t in caseworker.tasks)
        assert {t.kind for t in caseworker.tasks} >= {"follow_up", "review", "referral_follow_up"}
        assert [r.overdue for r in caseworker.referrals] == [True]
        late_follow_up = [
            t for t in caseworker.tasks if t.referral_id == caseworker.referrals[0].id
        ]
        assert [t.overdue for t in late_follow_up] == [True]
        focal = work("focal.cvjr")
        assert {r.status for r in focal.referrals} == {"sent", "acknowledged"}
        assert any(r.overdue for r in focal.referrals)
        gbv = work("gbv.caseworker").tasks  # given by the supervisor; HC_GAO's follow-up
        assert {t.title for t in gbv} == {
            "(demo) Check the medical follow-up",
            "Suivre le référencement vers HC_GAO",
        }
    engine.dispose()
