"""The commands in docs/ run as written.

Each guide's ``sh`` blocks preceded by ``<!-- tested -->`` (or ``<!-- tested: sqlite -->``,
``<!-- tested: postgresql -->`` for one database) are joined into one bash script, in order,
as a reader would type them one after the other, and run with ``set -euo pipefail`` in a
scratch folder. The only change made to them: the API guide's ``127.0.0.1:8000`` becomes the
port of the server the test started.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from casework.core.config import normalize_database_url
from tests.servers import free_port

DOCS = Path(__file__).resolve().parents[2] / "docs"
VENV = Path(sys.executable).parent.parent
BLOCK = re.compile(r"<!-- tested(?:: (\w+))? -->\n```sh\n(.*?)```", re.S)


def blocks_to_run(guide: str, backend: str) -> list[str]:
    blocks = BLOCK.findall((DOCS / guide).read_text())
    assert blocks, f"no tested block in {guide}"
    return [code for only, code in blocks if only in ("", backend)]


def clean_environment(home: Path) -> dict[str, str]:
    """The reader's shell: no test settings, the casework virtualenv first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CASEWORK_", "PYTEST"))}
    env["HOME"] = str(home)
    env["PATH"] = f"{VENV / 'bin'}{os.pathsep}{env['PATH']}"
    env["CASEWORK_SCHEDULER_INTERVAL_SECONDS"] = "0"
    return env


def run_script(script: str, cwd: Path, env: dict[str, str]) -> str:
    path = cwd / "guide.sh"
    path.write_text("set -euo pipefail\n" + script)
    result = subprocess.run(
        ["bash", str(path)], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output
    assert '"status":500' not in output
    return output


@pytest.fixture
def postgres_database() -> Iterator[str]:
    from tests.conftest import POSTGRES_URL

    if not POSTGRES_URL:
        pytest.skip("needs PostgreSQL (CASEWORK_TEST_POSTGRES_URL); CI always sets it")
    admin = create_engine(normalize_database_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    name = f"cw_docs_{uuid.uuid4().hex[:10]}"
    created: list[str] = [name]
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    base = POSTGRES_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with admin.connect() as connection:
        rows = connection.execute(
            text("SELECT datname FROM pg_database WHERE datname LIKE :pattern"),
            {"pattern": f"casework_restored_%_{os.getpid()}%"},
        )
        created += [row[0] for row in rows]
        for database in created:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    admin.dispose()


def test_administrators_guide_on_sqlite(tmp_path: Path) -> None:
    output = run_script(
        "\n".join(blocks_to_run("administrators.md", "sqlite")),
        tmp_path,
        clean_environment(tmp_path),
    )
    assert "created admin first.admin" in output
    assert "unknown organisation" not in output
    assert "monitor.gao was not locked out" in output
    assert "ok" in output  # PRAGMA integrity_check
    assert "audit chain intact" in output
    assert "every encrypted value is now under key k2" in output
    assert (tmp_path / "casework-data" / "casework.db").exists()


def test_administrators_guide_on_postgresql(tmp_path: Path, postgres_database: str) -> None:
    first, *rest = blocks_to_run("administrators.md", "postgresql")
    # The untested PostgreSQL block (createuser, createdb) made this database.
    script = "\n".join([first, f"export CASEWORK_DATABASE_URL='{postgres_database}'", *rest])
    env = clean_environment(tmp_path)
    # Name the restored database after this process, so the fixture can drop it.
    script = script.replace("_$$", f"_{os.getpid()}")
    output = run_script(script, tmp_path, env)
    assert "created admin first.admin" in output
    assert output.count("audit chain intact") == 1
    assert "every encrypted value is now under key k2" in output


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """What `make run` gives: a migrated SQLite database in var/ with the demo, served."""
    env = clean_environment(tmp_path)
    (tmp_path / ".venv").symlink_to(VENV)
    env["CASEWORK_DATA_DIR"] = str(tmp_path / "var")
    casework = str(VENV / "bin" / "casework")
    for command in (["migrate"], ["demo"]):
        subprocess.run(
            [casework, *command],
            env=env,
            cwd=tmp_path,
            check=True,
            timeout=300,
            capture_output=True,
        )
    port = free_port()
    server = subprocess.Popen(
        [casework, "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "casework serve did not become ready"
            time.sleep(0.2)
        yield port, env
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_api_guide_against_a_live_server(
    tmp_path: Path, demo_server: tuple[int, dict[str, str]]
) -> None:
    port, env = demo_server
    env.pop("CASEWORK_DATA_DIR")  # the guide exports it itself
    script = "\n".join(blocks_to_run("api.md", "sqlite")).replace(
        "127.0.0.1:8000", f"127.0.0.1:{port}"
    )
    output = run_script(script, tmp_path, env)
    assert "created actor_focal_point guide.focal" in output
    # move() prints each status reached; the last step of each machine is reached.
    assert "\ncompleted\n" in output
    assert '"status":"arrived"' in output
    assert '"allowed"' in output  # the deliberate 409 explains itself


def test_reports_guide_against_a_live_server(
    tmp_path: Path, demo_server: tuple[int, dict[str, str]]
) -> None:
    port, env = demo_server
    env.pop("CASEWORK_DATA_DIR")  # the guide exports it itself
    script = "\n".join(blocks_to_run("reports.md", "sqlite")).replace(
        "127.0.0.1:8000", f"127.0.0.1:{port}"
    )
    output = run_script(script, tmp_path, env)
    assert '"protection":{"method":"none"' in output  # incidents: exact
    assert "region,quarter,count,suppressed" in output
    assert "#adm1+code,#date+month,#indicator+num,#meta+suppressed" in output
    assert "# Protection monitoring update," in output
    assert "protected by the cell-key method" in output


def test_case_management_guide_against_a_live_server(
    tmp_path: Path, demo_server: tuple[int, dict[str, str]]
) -> None:
    port, env = demo_server
    env.pop("CASEWORK_DATA_DIR")  # the guide exports it itself
    script = "\n".join(blocks_to_run("case-management.md", "sqlite")).replace(
        "127.0.0.1:8000", f"127.0.0.1:{port}"
    )
    output = run_script(script, tmp_path, env)
    assert "created supervisor cases.supervisor" in output
    # The closure without a note, the closed case edited, the unapproved SGBV closure.
    assert "\n422\n200\n409\n200\n" in output
    assert "status open closed cases.colleague" in output
    assert "\n200\n403\n200\nGAO-2026-002\n" in output
    # The transfer: refused without consent, accepted at NRA, out of SPP's sight.
    assert "pending accepted cases.mopti" in output
    assert "\ncases.mopti\n404\n" in output
    assert "Call back about the legal appointment" in output
    assert "deliveries: {'delivered': 1}" in output


def test_http_guide_against_a_live_server(
    tmp_path: Path, demo_server: tuple[int, dict[str, str]]
) -> None:
    port, env = demo_server
    env.pop("CASEWORK_DATA_DIR")  # the guide names var/ itself
    script = "\n".join(blocks_to_run("http.md", "sqlite")).replace(
        "127.0.0.1:8000", f"127.0.0.1:{port}"
    )
    output = run_script(script, tmp_path, env)
    assert (tmp_path / "casework_client" / "api" / "reports" / "aggregates_csv.py").exists()
    assert "created reporting client.reporting" in output
    # The generated client signed in and pulled the CSV: the demo has incidents in Gao.
    assert "region,count,suppressed\n" in output
    assert re.search(r"\nML07,\d+,false\n", output)
