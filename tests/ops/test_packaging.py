"""Deployment files: docker-compose.yml is valid Compose, and the container runs what CI proves."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_file_follows_the_compose_specification() -> None:
    checker = shutil.which("check-jsonschema") or str(
        Path(sys.executable).parent / "check-jsonschema"
    )
    result = subprocess.run(
        [checker, "--builtin-schema", "vendor.compose-spec", str(ROOT / "docker-compose.yml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_postgres_16_with_a_health_check_and_migrates_on_start() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    db = compose["services"]["db"]
    assert db["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    app = compose["services"]["app"]
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert app["environment"]["CASEWORK_ENV"] == "production"
    assert app["environment"]["CASEWORK_DATABASE_URL"].startswith("postgresql://")
    # Webhooks and overdue notices go out without a cron job.
    assert app["environment"]["CASEWORK_SCHEDULER_INTERVAL_SECONDS"].endswith(":-60}")


def test_app_scales_behind_one_port() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    app = compose["services"]["app"]
    assert "ports" not in app  # a fixed host port would stop --scale app=3
    proxy = compose["services"]["proxy"]
    assert proxy["ports"] == ["127.0.0.1:8000:8000"]
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "server app:8000 resolve;" in nginx
    assert "resolver 127.0.0.11" in nginx


def test_container_installs_and_migrates_like_ci() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    entrypoint = (ROOT / "docker-entrypoint.sh").read_text()
    assert "RUN pip install .\n" in dockerfile
    assert "casework migrate" in entrypoint
    assert "casework serve" in entrypoint
