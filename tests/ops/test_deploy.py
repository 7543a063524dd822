"""What an administrator meets: dependencies, data location, unmigrated databases, ports, make."""

from __future__ import annotations

import ast
import os
import re
import socket
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
import typer.main
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from typer.testing import CliRunner

from casework.cli import app as cli
from casework.core.config import Settings, get_settings
from casework.core.migrations import head_revisions, upgrade

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "casework"
CASEWORK = str(Path(sys.executable).parent / "casework")
NOT_MIGRATED = "is not migrated: run casework migrate"
runner = CliRunner()


def _distribution_name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def imported_top_level_modules() -> dict[str, set[str]]:
    """Every module imported anywhere under src/ (also inside functions), by file."""
    found: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_runtime_import_is_a_declared_runtime_dependency() -> None:
    """`pip install casework` (no extras) must be enough to import every module.

    httpx was once imported by notifications and `kobo pull` but only declared in
    the dev extra: the production install did not start.
    """
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_distribution_name(r) for r in project["dependencies"]}
    owners = packages_distributions()
    missing = {}
    for module, files in imported_top_level_modules().items():
        if module == "casework" or module in sys.stdlib_module_names or module == "__future__":
            continue
        distributions = {d.lower().replace("_", "-") for d in owners.get(module, [module])}
        if not distributions & declared:
            missing[module] = sorted(files)
    assert missing == {}, f"imported under src/ but not in [project.dependencies]: {missing}"


def test_no_runtime_dependency_is_a_dev_only_tool() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_distribution_name(r) for r in project["dependencies"]}
    assert not runtime & {"pytest", "mypy", "ruff", "schemathesis", "hypothesis"}


def test_data_lives_in_a_per_user_folder_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CASEWORK_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.data_dir == tmp_path / "xdg" / "casework"
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path / 'xdg' / 'casework' / 'casework.db'}"
    monkeypatch.setenv("CASEWORK_DATA_DIR", str(tmp_path / "office"))
    assert Settings().data_dir == tmp_path / "office"


def _leaf_commands() -> list[tuple[list[str], object]]:
    leaves: list[tuple[list[str], object]] = []

    def walk(command: object, path: list[str]) -> None:
        children = getattr(command, "commands", None)
        if children is None:
            leaves.append((path, command))
            return
        for name, child in children.items():
            walk(child, [*path, name])

    walk(typer.main.get_command(cli), [])
    return leaves


def _required_arguments(command: object) -> list[str]:
    """Placeholder values for a command's required options and arguments."""
    args: list[str] = []
    for param in getattr(command, "params", []):
        if not param.required:
            continue
        if param.param_type_name == "option":
            args += [param.opts[0], "x"]
        else:
            args.append("x")
    return args


@pytest.fixture
def unmigrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CASEWORK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CASEWORK_DATABASE_URL", raising=False)
    monkeypatch.setenv("X_TOKEN", "a-kobo-token")
    get_settings.cache_clear()
    return tmp_path


@pytest.mark.parametrize(
    ("path", "command"),
    [pytest.param(p, c, id=" ".join(p)) for p, c in _leaf_commands() if p != ["migrate"]],
)
def test_every_command_on_an_unmigrated_database_says_one_clear_line(
    unmigrated: Path, path: list[str], command: object
) -> None:
    args = [*path, *_required_arguments(command)]
    if path == ["kobo", "pull"]:
        args[args.index("--token-env") + 1] = "X_TOKEN"
    result = runner.invoke(cli, args, input="a long enough password\n")
    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines() == [
        f"the database at {unmigrated / 'casework.db'} {NOT_MIGRATED}"
    ]
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not (unmigrated / "casework.db").exists()  # the check creates nothing


def test_an_unreachable_database_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASEWORK_DATABASE_URL", "postgresql://casework:pw@127.0.0.1:1/casework")
    get_settings.cache_clear()
    for command in (["audit", "verify"], ["serve", "--port", "1"]):
        result = runner.invoke(cli, command)
        assert result.exit_code == 1
        (line,) = result.output.strip().splitlines()
        assert line.startswith(
            "the database at postgresql+psycopg://casework:***@127.0.0.1:1/casework "
            "is not reachable: "
        )


def test_a_database_behind_the_code_is_not_migrated(unmigrated: Path) -> None:
    (head,) = head_revisions()
    from alembic.script import ScriptDirectory

    from casework.core.migrations import alembic_config

    previous = ScriptDirectory.from_config(alembic_config()).get_revision(head).down_revision
    assert isinstance(previous, str)
    assert runner.invoke(cli, ["migrate", previous]).exit_code == 0
    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert NOT_MIGRATED in result.output
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0


def test_ready_is_503_until_the_database_is_migrated_to_head(unmigrated: Path) -> None:
    from casework.main import create_app

    url = f"sqlite:///{unmigrated / 'casework.db'}"
    with TestClient(create_app(get_settings())) as client:
        response = client.get("/ready")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert "casework migrate" in response.json()["detail"]
        assert client.get("/health").status_code == 200  # alive, not ready

        (head,) = head_revisions()
        from alembic.script import ScriptDirectory

        from casework.core.migrations import alembic_config

        previous = ScriptDirectory.from_config(alembic_config()).get_revision(head).down_revision
        engine = create_engine(url)
        with engine.begin() as connection:
            upgrade(connection, str(previous))
        assert client.get("/ready").status_code == 503
        with engine.begin() as connection:
            upgrade(connection)
        engine.dispose()
        assert client.get("/ready").status_code == 200


def test_serve_on_a_busy_port_says_which_and_how_to_pick_another(unmigrated: Path) -> None:
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [CASEWORK, "serve", "--port", str(port)],
            env={**os.environ, "CASEWORK_DATA_DIR": str(unmigrated)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"port {port} on 127.0.0.1 is already in use: stop what uses it, or pick another port "
        f"(PORT={port + 1} make run, or casework serve --port {port + 1})"
    ]


def _make(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_make_clean_keeps_the_data() -> None:
    commands = _make("-n", "clean").stdout
    assert ".venv" in commands
    assert "var" not in commands.split()
    assert "var" not in commands


def test_make_clean_data_asks_first(tmp_path: Path) -> None:
    data = tmp_path / "var"
    data.mkdir()
    (data / "encryption_keys").write_text("k1:...")
    refused = _make("clean-data", f"DATA_DIR={data}", stdin="no\n")
    assert refused.returncode != 0
    assert "nothing deleted" in refused.stdout
    assert (data / "encryption_keys").exists()
    no_terminal = _make("clean-data", f"DATA_DIR={data}")
    assert no_terminal.returncode != 0
    assert data.exists()
    confirmed = _make("clean-data", f"DATA_DIR={data}", "CONFIRM=yes")
    assert confirmed.returncode == 0, confirmed.stderr
    assert not data.exists()


def test_make_run_installs_the_runtime_only_and_keeps_its_data_in_var() -> None:
    commands = _make("-n", "-B", "run", "VENV=/nonexistent-venv").stdout
    assert "pip install --quiet --disable-pip-version-check -e .\n" in commands
    assert "[dev]" not in commands
    assert "CASEWORK_DATA_DIR=var /nonexistent-venv/bin/casework serve" in commands
