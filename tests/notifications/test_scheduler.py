"""The scheduler inside `casework serve`: nobody runs a command, webhooks still go out once."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from casework.core.db import utcnow
from casework.notifications import scheduler
from casework.notifications import service as notifications
from casework.notifications.models import OutboxEvent
from tests.factories import World, auth
from tests.notifications.test_webhooks import SECRET, subscribe
from tests.servers import CASEWORK, free_port


class SlowReceiver:
    """A webhook that takes its time, so that a second scheduler meets the first one."""

    def __init__(self, delay: float) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(delay)
                receiver.received.append((dict(self.headers), body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/casework-hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def hook() -> Iterator[SlowReceiver]:
    receiver = SlowReceiver(delay=0.1)
    yield receiver
    receiver.close()


def queue_events(app: FastAPI, world: World, url: str) -> None:
    """Eight status changes on two referrals: eight events in the outbox."""
    with TestClient(app) as client:
        subscribe(client, world, url)
        focal = auth(world.user("focal_cvjr"))
        for referral in ("sgbv_sent", "person_sent"):
            rid = world.referrals[referral].id
            for status in ("acknowledged", "accepted", "in_progress", "completed"):
                response = client.post(
                    f"/api/v1/referrals/{rid}/transitions", json={"to": status}, headers=focal
                )
                assert response.status_code == 200, response.text


def test_two_schedulers_deliver_each_event_once(
    live: tuple[FastAPI, World, Engine], hook: SlowReceiver
) -> None:
    app, world, engine = live
    queue_events(app, world, hook.url)
    factory = sessionmaker(engine, expire_on_commit=False)
    start = threading.Barrier(2)
    results: list[dict[str, int] | None] = []

    def tick() -> None:
        start.wait()
        results.append(scheduler.run_once(engine, factory, notifications.http_poster()))

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    ids = [json.loads(body)["id"] for _, body in hook.received]
    assert len(ids) == 8
    assert len(set(ids)) == 8  # none delivered twice
    # One tick ran, the other found the lease taken and skipped.
    assert sorted(results, key=lambda r: r is not None) == [None, {"overdue": 0, "delivered": 8}]
    with Session(engine) as session:
        assert session.scalar(select(func.count()).where(OutboxEvent.delivered_at.is_(None))) == 0
    # The next tick has nothing left to do.
    assert scheduler.run_once(engine, factory, notifications.http_poster()) == {"overdue": 0}


def test_a_held_lease_makes_other_ticks_skip(live: tuple[FastAPI, World, Engine]) -> None:
    _, _, engine = live
    factory = sessionmaker(engine, expire_on_commit=False)
    outcome: list[dict[str, int] | None] = []
    with scheduler.lease(engine) as held:
        assert held
        other = threading.Thread(
            target=lambda: outcome.append(
                scheduler.run_once(engine, factory, notifications.http_poster())
            )
        )
        other.start()
        other.join(timeout=60)
    assert outcome == [None]
    with scheduler.lease(engine) as held_again:  # released on exit
        assert held_again


def test_serve_delivers_with_nobody_running_a_command(tmp_path: Path, hook: SlowReceiver) -> None:
    """A real `casework serve` with a 1-second period: the webhook arrives by itself."""
    env = {
        **os.environ,
        "CASEWORK_DATA_DIR": str(tmp_path),
        "CASEWORK_SCHEDULER_INTERVAL_SECONDS": "1",
    }
    env.pop("CASEWORK_DATABASE_URL", None)
    subprocess.run([CASEWORK, "migrate"], env=env, check=True, capture_output=True, timeout=120)
    subprocess.run(
        [CASEWORK, "create-user", "--username", "office.admin", "--role", "admin"],
        input="office admin password\n",
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    port = free_port()
    server = subprocess.Popen(
        [CASEWORK, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "casework serve did not become ready"
            time.sleep(0.2)
        token = httpx.post(
            f"{base}/api/v1/auth/token",
            data={"username": "office.admin", "password": "office admin password"},
        ).json()["access_token"]
        response = httpx.patch(
            f"{base}/api/v1/actors/CVJR",
            json={"webhook_url": hook.url, "webhook_secret": SECRET},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        event_id = uuid.uuid4()
        engine = create_engine(f"sqlite:///{tmp_path / 'casework.db'}")
        with Session(engine) as session:
            session.add(
                OutboxEvent(
                    id=event_id,
                    dedupe_key=f"scheduler-test:{event_id}",
                    event_type="referral.sent",
                    actor_code="CVJR",
                    payload={"id": str(event_id), "type": "referral.sent"},
                    created_at=utcnow(),
                    next_attempt_at=utcnow(),
                )
            )
            session.commit()
        engine.dispose()
        deadline = time.monotonic() + 20
        while not hook.received and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(hook.received) == 1
        headers, body = hook.received[0]
        assert json.loads(body)["id"] == str(event_id)
        assert notifications.verify(SECRET, headers["X-Casework-Signature"], body)
    finally:
        server.terminate()
        server.wait(timeout=30)
