"""Real `casework serve` processes on a PostgreSQL schema of their own (loopback only)."""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from casework.core.db import create_db_engine
from casework.core.migrations import upgrade
from tests.factories import World, build_world

CASEWORK = str(Path(sys.executable).parent / "casework")


_next_port = itertools.count()


def free_port() -> int:
    """A loopback port no other pytest worker will hand out.

    Asking the kernel for port 0 is not enough: between closing the probe and the
    server's bind another worker can be given the same port, and a test then talks to
    the other worker's server. Each worker takes ports from a range of its own, below
    the kernel's ephemeral range (32768 and up) so no client socket holds them either.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    base = 20000 + 500 * (int(worker.removeprefix("gw")) % 24)
    for _ in range(500):
        port = base + next(_next_port) % 500
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free loopback port in {base}..{base + 499}")


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


class Cluster:
    """Servers sharing one database, started and stopped by the test."""

    def __init__(self, database_url: str, data_dir: Path) -> None:
        self.env = {
            **os.environ,
            "CASEWORK_DATABASE_URL": database_url,
            "CASEWORK_DATA_DIR": str(data_dir),
            "CASEWORK_ENV": "development",
        }
        self.servers: list[Server] = []

    def start(self, ready_within: float = 60) -> Server:  # a loaded CI machine starts slowly
        port = free_port()
        process = subprocess.Popen(
            [CASEWORK, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        server = Server(f"http://127.0.0.1:{port}", process)
        self.servers.append(server)
        deadline = time.monotonic() + ready_within
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{server.url}/ready", timeout=1).status_code == 200:
                    return server
            except httpx.HTTPError:
                time.sleep(0.2)
        server.stop()
        raise RuntimeError("casework serve did not become ready")

    def stop_all(self) -> None:
        for server in self.servers:
            server.stop()


@pytest.fixture
def cluster(fresh_database_url: object, tmp_path: Path) -> Iterator[tuple[Cluster, World, Engine]]:
    """A migrated PostgreSQL schema with the test world, and a way to start servers on it."""
    from tests.conftest import POSTGRES_URL

    if not POSTGRES_URL:
        pytest.skip("needs PostgreSQL (CASEWORK_TEST_POSTGRES_URL); CI always sets it")
    url = fresh_database_url("postgresql")  # type: ignore[operator]
    engine = create_db_engine(url)
    with engine.begin() as connection:
        upgrade(connection)
    with Session(engine, expire_on_commit=False) as session:
        world = build_world(session)
        session.commit()
    group = Cluster(url, tmp_path)
    try:
        yield group, world, engine
    finally:
        group.stop_all()
        engine.dispose()
