import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from casework.core.config import Settings, normalize_database_url


@pytest.mark.parametrize(
    ("given", "used"),
    [
        (
            "postgresql://postgres@127.0.0.1:5432/test",
            "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        ),
        ("postgres://u:p@db/casework", "postgresql+psycopg://u:p@db/casework"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///var/x.db", "sqlite:///var/x.db"),
    ],
)
def test_database_urls_work_as_people_write_them(given: str, used: str) -> None:
    assert normalize_database_url(given) == used
    assert Settings(database_url=given).sqlalchemy_url == used


def test_default_database_is_sqlite_under_data_dir(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).sqlalchemy_url == f"sqlite:///{tmp_path / 'casework.db'}"


def test_development_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    settings = Settings(env="development", data_dir=tmp_path / "a", secret_key=None)
    first = settings.signing_key()
    assert len(first) >= 48
    path = tmp_path / "a" / "secret_key"
    assert path.read_text() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = Settings(env="development", data_dir=tmp_path / "a", secret_key=None)
    assert again.signing_key() == first


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "CASEWORK_SECRET_KEY"),
        ({"secret_key": "changethis"}, "CASEWORK_SECRET_KEY"),
        ({"secret_key": "k" * 40}, "CASEWORK_DATABASE_URL"),
    ],
)
def test_production_refuses_to_start_without_explicit_secrets(
    env: dict[str, str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CASEWORK_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match=message):
        Settings(env="production", **env)


def test_production_starts_with_explicit_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    # The test run allows loopback webhooks (tests/conftest.py); production never does.
    monkeypatch.delenv("CASEWORK_WEBHOOK_ALLOW_LOOPBACK", raising=False)
    settings = Settings(
        env="production", secret_key="k" * 40, database_url="postgresql://u@db/casework"
    )
    assert settings.signing_key() == "k" * 40


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEWORK_ACCESS_TOKEN_MINUTES", "15")
    monkeypatch.setenv("CASEWORK_CORS_ORIGINS", "https://a.example,https://b.example")
    settings = Settings()
    assert settings.access_token_minutes == 15
    assert settings.cors_origins == ["https://a.example", "https://b.example"]


def test_nonsense_settings_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEWORK_LOGIN_MAX_FAILURES", "0")
    with pytest.raises(ValidationError):
        Settings()
