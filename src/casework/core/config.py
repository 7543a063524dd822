"""Settings, read from the environment (prefix ``CASEWORK_``) and an optional ``.env`` file.

Every setting is documented in docs/ (tests/docs/test_guides.py checks it).
"""

from __future__ import annotations

import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Self

from platformdirs import user_data_path
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from casework.core.crypto import Keyring, build_keyring, development_key_material


def default_data_dir() -> Path:
    """Per user, never the working directory: ``$XDG_DATA_HOME/casework`` on Linux."""
    return user_data_path("casework", appauthor=False)


INSECURE_SECRETS = {"changethis", "secret", "changeme", "development"}


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


def normalize_database_url(url: str) -> str:
    """Accept URLs as people write them and pick the driver we ship.

    ``postgresql://u@h/db`` and ``postgres://...`` become ``postgresql+psycopg://...``;
    an explicit driver (``postgresql+psycopg://``) is kept as written.
    """
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CASEWORK_", env_file=".env", extra="ignore", validate_default=True
    )

    env: Environment = Environment.development
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Where the SQLite database and the development secret live.",
    )
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty means SQLite at <data_dir>/casework.db.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs access tokens. Generated once under data_dir in development.",
    )
    access_token_minutes: int = Field(default=60, ge=1, le=24 * 60)
    login_max_failures: int = Field(default=5, ge=1)
    login_window_seconds: int = Field(default=15 * 60, ge=1)
    login_lockout_seconds: int = Field(default=15 * 60, ge=1)
    password_min_length: int = Field(default=10, ge=8)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    code_set: str = Field(
        default="ocha-cod-ab-mli-2021-12-20",
        description="Administrative code set new records are coded with.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    encryption_keys: SecretStr | None = Field(
        default=None,
        description="Keyring for field encryption: 'id:base64key,id2:base64key'.",
    )
    encryption_active_key: str | None = Field(
        default=None, description="Key id new values are encrypted with (default: first)."
    )
    blind_index_key: SecretStr | None = Field(
        default=None, description="HMAC key for exact lookups of encrypted values."
    )
    report_threshold_incidents: int = Field(
        default=0, ge=0, description="Incidents count events: published exactly unless set"
    )
    report_threshold_referrals: int = Field(default=5, ge=0)
    report_threshold_counselling: int = Field(default=5, ge=0)
    report_threshold_repatriation: int = Field(default=5, ge=0)
    report_threshold_sgbv: int = Field(default=5, ge=5, description="Never below 5")
    report_max_deviation: int = Field(
        default=5, ge=1, le=20, description="Cell-key method: D, the most a people count moves"
    )
    report_variance: float = Field(
        default=7.0, gt=0, le=100, description="Cell-key method: V, the variance of the noise"
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8000", description="Base of the links in notifications"
    )
    idempotency_ttl_hours: int = Field(default=24, ge=1, le=24 * 30)
    referral_due_hours_urgent: int = Field(default=24, ge=1)
    referral_due_hours_normal: int = Field(default=72, ge=1)
    scheduler_interval_seconds: int = Field(
        default=60,
        ge=0,
        description="How often `casework serve` sweeps overdue referrals and delivers "
        "notifications; 0 turns the scheduler off.",
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_cors(cls, value: object) -> object:
        """``CASEWORK_CORS_ORIGINS`` is a comma-separated list of origins."""
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @model_validator(mode="after")
    def _cell_key_parameters_fit_the_thresholds(self) -> Self:
        """Every people dataset's threshold k needs D >= k - 1 and V > max i (k - i)."""
        for name in ("sgbv", "referrals", "counselling", "repatriation"):
            js = max(getattr(self, f"report_threshold_{name}") - 1, 0)
            least = max((i * (js + 1 - i) for i in range(1, js + 1)), default=0)
            if self.report_max_deviation < js or self.report_variance <= least:
                raise ValueError(
                    f"report threshold {js + 1} for {name} needs CASEWORK_REPORT_MAX_DEVIATION"
                    f" >= {js} and CASEWORK_REPORT_VARIANCE > {least}"
                )
        return self

    @model_validator(mode="after")
    def _refuse_insecure_production(self) -> Self:
        if self.env is not Environment.production:
            return self
        problems = []
        key = self.secret_key.get_secret_value() if self.secret_key else ""
        if len(key) < 32 or key.lower() in INSECURE_SECRETS:
            problems.append("CASEWORK_SECRET_KEY must be set to at least 32 random characters")
        if not self.database_url:
            problems.append("CASEWORK_DATABASE_URL must be set explicitly")
        if self.encryption_keys is None or self.blind_index_key is None:
            problems.append(
                "CASEWORK_ENCRYPTION_KEYS and CASEWORK_BLIND_INDEX_KEY must be set explicitly"
            )
        if problems:
            raise ValueError("refusing to start in production: " + "; ".join(problems))
        return self

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return normalize_database_url(self.database_url)
        return f"sqlite:///{self.data_dir / 'casework.db'}"

    def signing_key(self) -> str:
        """The token signing key; in development, generated once and kept under data_dir."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        if self.env is Environment.production:  # pragma: no cover - the validator refuses it
            raise RuntimeError("no secret key in production")
        return _development_secret(self.data_dir)

    def keyring(self) -> Keyring:
        """Field-encryption keys; in development, generated once and kept under data_dir."""
        if self.encryption_keys is not None and self.blind_index_key is not None:
            keys, index_key = (
                self.encryption_keys.get_secret_value(),
                self.blind_index_key.get_secret_value(),
            )
        elif self.env is Environment.production:  # pragma: no cover - the validator refuses it
            raise RuntimeError("no encryption keys in production")
        else:
            keys, index_key = development_key_material(self.data_dir)
        return build_keyring(keys, self.encryption_active_key, index_key)


@lru_cache(maxsize=8)
def _development_secret(data_dir: Path) -> str:
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(key)
    return key


@lru_cache
def get_settings() -> Settings:
    return Settings()
