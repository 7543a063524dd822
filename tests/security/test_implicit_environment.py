"""Starting without CASEWORK_ENV is said loudly, and never serves beyond this machine.

Class: insecure defaults taken silently (development mode, generated keys).
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from casework.core.config import Settings, environment_warning
from tests.servers import CASEWORK, free_port


def _env_without_casework_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
    env["CASEWORK_DATA_DIR"] = str(data_dir)
    return env


def test_settings_know_whether_the_environment_was_chosen(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CASEWORK_ENV")
    monkeypatch.chdir(tmp_path)  # no .env here
    implicit = Settings()
    assert not implicit.env_explicit
    warning = environment_warning(implicit)
    assert warning is not None
    assert "CASEWORK_ENV is not set" in warning
    for value in ("development", "test"):
        monkeypatch.setenv("CASEWORK_ENV", value)
        assert environment_warning(Settings()) is None


def test_serve_warns_on_stderr_and_ready_says_so(tmp_path: Path) -> None:
    env = _env_without_casework_env(tmp_path)
    subprocess.run([CASEWORK, "migrate"], env=env, check=True, capture_output=True, timeout=120)
    port = free_port()
    server = subprocess.Popen(
        [CASEWORK, "serve", "--port", str(port)],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline, ready = time.monotonic() + 60, None
        while time.monotonic() < deadline:
            assert server.poll() is None, "casework serve stopped before it was ready"
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert ready is not None
        assert ready.status_code == 200
        assert "CASEWORK_ENV is not set" in ready.json()["warning"]
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=20)
    text = stderr.decode()
    assert "WARNING" in text
    assert "DEVELOPMENT mode" in text
    assert "CASEWORK_SECRET_KEY" in text  # which keys were generated


def test_serve_refuses_to_listen_beyond_loopback_without_a_chosen_environment(
    tmp_path: Path,
) -> None:
    result = subprocess.run(
        [CASEWORK, "serve", "--host", "0.0.0.0", "--port", str(free_port())],  # noqa: S104
        env=_env_without_casework_env(tmp_path),
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert b"CASEWORK_ENV is not set" in result.stderr
    assert b"refusing to listen on 0.0.0.0" in result.stderr


def test_an_explicit_environment_serves_quietly(tmp_path: Path) -> None:
    env = {**_env_without_casework_env(tmp_path), "CASEWORK_ENV": "development"}
    subprocess.run([CASEWORK, "migrate"], env=env, check=True, capture_output=True, timeout=120)
    port = free_port()
    server = subprocess.Popen(
        [CASEWORK, "serve", "--port", str(port)], env=env, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert server.poll() is None, "casework serve stopped before it was ready"
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert "warning" not in ready.json()
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=20)
    assert b"CASEWORK_ENV is not set" not in stderr
