"""The casework command, on a throwaway SQLite database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from typer.testing import CliRunner

from casework.auth.models import User
from casework.cli import app
from casework.core.config import get_settings
from casework.demo import DEMO_INCIDENTS, DEMO_USERS
from casework.incidents.models import Incident

runner = CliRunner()


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CASEWORK_DATABASE_URL", url)
    monkeypatch.setenv("CASEWORK_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    return url


def count(url: str, model: type) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        value = connection.execute(select(func.count()).select_from(model)).scalar_one()
    engine.dispose()
    return int(value)


NEW_MONITOR = [
    "create-user",
    "--username",
    "m.gao",
    "--role",
    "monitor",
    "--organization",
    "newngo",
    "--region",
    "ML07",
    "--region",
    "ML10",
]


def test_create_user_refuses_an_unknown_organisation_without_the_flag(cli_db: str) -> None:
    """A typo (SSP for SPP) must not silently become a new organisation."""
    result = runner.invoke(app, NEW_MONITOR, input="a long enough secret\n")
    assert result.exit_code == 2
    assert "unknown organisation NEWNGO" in result.output
    assert "--create-organization" in result.output
    assert count(cli_db, User) == 0
    engine = create_engine(cli_db)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM organizations")).scalar_one() == 0
    engine.dispose()


def test_create_user_reads_the_password_from_stdin(cli_db: str) -> None:
    result = runner.invoke(
        app, [*NEW_MONITOR, "--create-organization"], input="a long enough secret\n"
    )
    assert result.exit_code == 0, result.output
    assert "a long enough secret" not in result.output
    engine = create_engine(cli_db)
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT u.role, u.regions, o.code FROM users u JOIN organizations o "
                "ON o.id = u.organization_id WHERE u.username = 'm.gao'"
            )
        ).one()
    engine.dispose()
    assert row[0] == "monitor"
    assert "ML10" in row[1]
    assert row[2] == "NEWNGO"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--role", "monitor", "--organization", "X1", "--create-organization"],
            "at least one region",
        ),
        (
            [
                "--role",
                "monitor",
                "--organization",
                "X1",
                "--create-organization",
                "--region",
                "ML99",
            ],
            "ML99",
        ),
        (["--role", "wizard"], "role"),
        (["--role", "actor_focal_point"], "actor"),
    ],
)
def test_create_user_refuses_bad_scope(cli_db: str, args: list[str], message: str) -> None:
    result = runner.invoke(
        app, ["create-user", "--username", "someone", *args], input="a long enough secret\n"
    )
    assert result.exit_code == 2
    assert message in result.output
    assert count(cli_db, User) == 0


def test_create_user_needs_a_password(cli_db: str) -> None:
    result = runner.invoke(app, ["create-user", "--username", "x1", "--role", "admin"], input="")
    assert result.exit_code == 2
    assert count(cli_db, User) == 0


def test_demo_is_idempotent_and_prints_passwords_once(cli_db: str) -> None:
    first = runner.invoke(app, ["demo"])
    assert first.exit_code == 0, first.output
    assert "shown once" in first.output
    second = runner.invoke(app, ["demo"])
    assert second.exit_code == 0, second.output
    assert "shown once" not in second.output
    assert count(cli_db, User) == len(DEMO_USERS)
    assert count(cli_db, Incident) == DEMO_INCIDENTS
    regions = {
        r
        for (r,) in create_engine(cli_db)
        .connect()
        .execute(text("SELECT DISTINCT region FROM incidents"))
    }
    assert regions == {"ML05", "ML06", "ML07", "ML08", "ML10"}


def test_demo_is_refused_in_production(cli_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEWORK_ENV", "production")
    monkeypatch.setenv("CASEWORK_SECRET_KEY", "p" * 40)
    get_settings.cache_clear()
    result = runner.invoke(app, ["demo"])
    assert result.exit_code != 0
    assert count(cli_db, User) == 0


def test_console_script_migrates_and_creates_a_user_from_a_pipe(tmp_path: Path) -> None:
    """The installed command, as an operator runs it: no terminal, password piped in."""
    casework = Path(sys.executable).parent / "casework"
    env = {
        **os.environ,
        "CASEWORK_DATABASE_URL": f"sqlite:///{tmp_path / 'piped.db'}",
        "CASEWORK_DATA_DIR": str(tmp_path),
    }
    subprocess.run([casework, "migrate"], env=env, check=True, capture_output=True, timeout=60)
    result = subprocess.run(
        [casework, "create-user", "--username", "root.admin", "--role", "admin"],
        input="piped in password\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "created admin root.admin" in result.stdout


def test_demo_is_idempotent_on_a_later_day(cli_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Demo dates are relative to today; a run days later must not collide with them."""
    import datetime as real_datetime

    import casework.demo

    assert runner.invoke(app, ["demo"]).exit_code == 0

    class Later(real_datetime.datetime):
        @classmethod
        def now(cls, tz: real_datetime.tzinfo | None = None) -> Later:
            moment = real_datetime.datetime.now(tz) + real_datetime.timedelta(days=3)
            return cls.fromtimestamp(moment.timestamp(), tz)

    monkeypatch.setattr(casework.demo, "datetime", Later)
    later = runner.invoke(app, ["demo"])
    assert later.exit_code == 0, later.output
    assert "0 created, 40 already present" in later.output
    assert "referrals: 0 created" in later.output
    assert "repatriation files: 0 created" in later.output
    from casework.referrals.models import Referral

    assert count(cli_db, Referral) == 3
