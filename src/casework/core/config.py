"""Settings, read from the environment (prefix ``CASEWORK_``) and an optional ``.env`` file.

Every setting is documented in docs/ (tests/docs/test_guides.py checks it).
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import parse_qsl, unquote, urlsplit

from platformdirs import user_data_path
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from casework.core.crypto import Keyring, build_keyring, development_key_material


def default_data_dir() -> Path:
    """Per user, never the working directory: ``$XDG_DATA_HOME/casework`` on Linux."""
    return user_data_path("casework", appauthor=False)


INSECURE_SECRETS = {"changethis", "secret", "changeme", "development"}


class AttachmentStore(StrEnum):
    local = "local"
    s3 = "s3"


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


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    tls: bool = False
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)


def parse_smtp_url(url: str) -> SmtpServer:
    """``smtp://[user:password@]host[:port][?starttls=true]`` or ``smtps://...``."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("the SMTP URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ValueError("the SMTP URL needs a host")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError("the SMTP URL has an invalid port") from exc
    query = dict(parse_qsl(parts.query))
    return SmtpServer(
        host=parts.hostname,
        port=port or (465 if parts.scheme == "smtps" else 25),
        tls=parts.scheme == "smtps",
        starttls=query.get("starttls", "").lower() in ("1", "true", "yes"),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


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
    public_url: str | None = Field(
        default=None,
        description="Base of the web pages linked in e-mails (default: public_base_url)",
    )
    smtp_url: str | None = Field(
        default=None,
        description="smtp://[user:password@]host:port (smtps:// for TLS, ?starttls=true)",
    )
    smtp_from: str = Field(default="casework@localhost", description="The From address of e-mails")
    smtp_timeout_seconds: float = Field(default=10, gt=0, le=120)
    idempotency_ttl_hours: int = Field(default=24, ge=1, le=24 * 30)
    referral_due_hours_urgent: int = Field(default=24, ge=1)
    referral_due_hours_normal: int = Field(default=72, ge=1)
    attachment_max_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, description="Largest attachment accepted (413 above)"
    )
    attachment_store: AttachmentStore = Field(
        default=AttachmentStore.local,
        description="Where encrypted attachments live: 'local' (a directory) or 's3'.",
    )
    attachment_dir: Path | None = Field(
        default=None, description="Directory of the local store (default <data_dir>/attachments)."
    )
    s3_endpoint_url: str | None = Field(
        default=None, description="S3-compatible endpoint (empty: AWS S3 itself)."
    )
    s3_region: str = "us-east-1"
    s3_bucket: str = ""
    s3_prefix: str = Field(default="attachments/", description="Key prefix inside the bucket")
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    default_language: Literal["fr", "en"] = Field(
        default="fr",
        description="Language of the web interface (when neither ?lang nor the browser "
        "says) and of e-mails to users whose language is not known",
    )
    web_idle_minutes: int = Field(
        default=30, ge=1, le=24 * 60, description="A web session ends after this long unused"
    )
    web_session_hours: int = Field(
        default=12, ge=1, le=24 * 7, description="A web session ends this long after sign-in"
    )
    # --- security (docs/security.md) ---
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses or CIDR networks whose X-Forwarded-For/-Proto/X-Request-ID "
        "are believed; nobody by default (not even loopback).",
    )
    metrics_token: SecretStr | None = Field(
        default=None, description="A bearer token a Prometheus scraper may use for /metrics."
    )
    metrics_address: str | None = Field(
        default=None,
        description="host:port of a separate listener serving only /metrics (casework serve).",
    )
    login_hash_concurrency: int = Field(
        default=1, ge=1, description="Password checks (Argon2) running at once per process."
    )
    login_hash_concurrency_per_client: int = Field(
        default=1, ge=1, description="Password checks running at once per client address."
    )
    login_hash_wait_ms: int = Field(
        default=250, ge=0, le=5000, description="How long a login waits for a free slot."
    )
    webhook_allow_loopback: bool = Field(
        default=False,
        description="Let webhooks reach loopback addresses (development and test only).",
    )
    kobo_secret_grace_hours: int = Field(
        default=0,
        ge=0,
        le=24 * 7,
        description="How long a rotated Kobo form secret still works (0: refused at once).",
    )
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

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        """``CASEWORK_TRUSTED_PROXIES``: comma-separated addresses or networks."""
        if isinstance(value, str):
            value = [item.strip() for item in value.split(",") if item.strip()]
        if isinstance(value, list):
            for item in value:
                ipaddress.ip_network(str(item), strict=False)  # ValueError names a bad one
        return value

    @property
    def env_explicit(self) -> bool:
        """Whether CASEWORK_ENV was given (environment or .env), not defaulted."""
        return "env" in self.model_fields_set

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
        if self.webhook_allow_loopback:
            problems.append("CASEWORK_WEBHOOK_ALLOW_LOOPBACK is for development and test only")
        key = self.secret_key.get_secret_value() if self.secret_key else ""
        if len(key) < 32 or key.lower() in INSECURE_SECRETS:
            problems.append("CASEWORK_SECRET_KEY must be set to at least 32 random characters")
        if not self.database_url:
            problems.append("CASEWORK_DATABASE_URL must be set explicitly")
        if self.encryption_keys is None or self.blind_index_key is None:
            problems.append(
                "CASEWORK_ENCRYPTION_KEYS and CASEWORK_BLIND_INDEX_KEY must be set explicitly"
            )
        if self.attachment_store is AttachmentStore.s3 and not self.s3_bucket:
            problems.append("CASEWORK_S3_BUCKET must be set when CASEWORK_ATTACHMENT_STORE=s3")
        if problems:
            raise ValueError("refusing to start in production: " + "; ".join(problems))
        return self

    @field_validator("smtp_url")
    @classmethod
    def _check_smtp_url(cls, value: str | None) -> str | None:
        if value:
            parse_smtp_url(value)  # raises ValueError with the reason
        return value or None

    @property
    def web_base_url(self) -> str:
        """Where the web pages live, for links sent to people."""
        return (self.public_url or self.public_base_url).rstrip("/")

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


def environment_warning(settings: Settings) -> str | None:
    """What to say loudly when nobody chose the environment (None when someone did)."""
    if settings.env_explicit:
        return None
    generated = [
        name
        for name, value in (
            ("CASEWORK_SECRET_KEY", settings.secret_key),
            ("CASEWORK_ENCRYPTION_KEYS", settings.encryption_keys),
            ("CASEWORK_BLIND_INDEX_KEY", settings.blind_index_key),
        )
        if value is None
    ]
    keys = (
        f"; {', '.join(generated)} generated and kept under {settings.data_dir.resolve()}"
        if generated
        else ""
    )
    return (
        "CASEWORK_ENV is not set: running in DEVELOPMENT mode"
        f"{keys}. Not for real data: set CASEWORK_ENV=production (or development) explicitly."
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
