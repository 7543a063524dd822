"""Signed notifications to referral actors: outbox, retries, signatures, nothing identifying."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from casework.core.db import utcnow
from casework.notifications import service as notifications
from casework.notifications.models import DeliveryAttempt, OutboxEvent, UserNotification
from casework.referrals.models import Referral
from tests.factories import World, auth

SECRET = "cvjr-webhook-secret-" + "w" * 24
IDENTIFYING = (
    "Aminata",
    "Maïga",
    "MLI-GAO",
    "+223",
    "firewood",
    "GAO-2026-001",
    "female counsellor",
    "Extortion at a checkpoint",
)


class Receiver:
    """An actor's webhook on loopback, answering statuses from a script."""

    def __init__(self, script: list[int]) -> None:
        self.script, self.received = list(script), []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                status = receiver.script.pop(0) if receiver.script else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/casework-hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver([500, 500, 200])
    yield hook
    hook.close()


def subscribe(client: TestClient, world: World, url: str) -> None:
    response = client.patch(
        "/api/v1/actors/CVJR",
        json={"webhook_url": url, "webhook_secret": SECRET},
        headers=auth(world.user("admin")),
    )
    assert response.status_code == 200, response.text
    assert response.json()["has_webhook_secret"] is True
    assert SECRET not in response.text


def joined(session: Session) -> Any:
    @contextmanager
    def provide() -> Iterator[Session]:
        yield session

    return provide


def test_fails_twice_then_exactly_one_accepted_delivery(
    client: TestClient, world: World, session: Session, receiver: Receiver
) -> None:
    subscribe(client, world, receiver.url)
    sent = client.post(
        f"/api/v1/referrals/{world.referrals['draft'].id}/transitions",
        json={"to": "sent"},
        headers=auth(world.user("caseworker_a")),
    )
    assert sent.status_code == 200
    [event] = session.scalars(select(OutboxEvent)).all()
    assert event.event_type == "referral.sent"

    t0 = utcnow()
    post = notifications.http_poster()
    assert notifications.deliver_due(joined(session), post, now=t0) == {"retry": 1}
    assert notifications.deliver_due(joined(session), post, now=t0) == {}  # backing off
    assert notifications.deliver_due(joined(session), post, now=t0 + timedelta(seconds=31)) == {
        "retry": 1
    }
    assert notifications.deliver_due(joined(session), post, now=t0 + timedelta(minutes=2)) == {
        "delivered": 1
    }
    assert notifications.deliver_due(joined(session), post, now=t0 + timedelta(hours=2)) == {}
    attempts = session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.at)).all()
    assert [a.status_code for a in attempts] == [500, 500, 200]
    assert len(receiver.received) == 3
    session.refresh(event)
    assert event.delivered_at is not None
    assert event.attempts == 3


def test_signatures_verify_and_tampering_does_not(
    client: TestClient, world: World, session: Session
) -> None:
    hook = Receiver([])
    try:
        subscribe(client, world, hook.url)
        client.post(
            f"/api/v1/referrals/{world.referrals['draft'].id}/transitions",
            json={"to": "sent"},
            headers=auth(world.user("caseworker_a")),
        )
        notifications.deliver_due(joined(session), notifications.http_poster())
        [(headers, body)] = hook.received
        signature = headers["X-Casework-Signature"]
        assert notifications.verify(SECRET, signature, body)
        assert not notifications.verify(SECRET, signature, body.replace(b"sent", b"done"))
        assert not notifications.verify("another-secret-" + "x" * 30, signature, body)
        event = json.loads(body)
        assert event["type"] == "referral.sent"
        assert event["referral"]["link"].endswith(
            f"/api/v1/referrals/{world.referrals['draft'].id}"
        )
    finally:
        hook.close()


def test_no_payload_carries_an_identifying_value(
    client: TestClient, world: World, session: Session
) -> None:
    hook = Receiver([])
    try:
        subscribe(client, world, hook.url)
        focal = auth(world.user("focal_cvjr"))
        for referral in ("sgbv_sent", "person_sent"):
            rid = world.referrals[referral].id
            for status in ("acknowledged", "accepted", "in_progress", "completed"):
                assert (
                    client.post(
                        f"/api/v1/referrals/{rid}/transitions", json={"to": status}, headers=focal
                    ).status_code
                    == 200
                )
        late = session.get(Referral, world.referrals["draft"].id)
        client.post(
            f"/api/v1/referrals/{late.id}/transitions",
            json={"to": "sent"},
            headers=auth(world.user("caseworker_a")),
        )
        late.due_at = utcnow() - timedelta(hours=1)
        session.commit()
        notifications.queue_overdue(session)
        session.commit()
        notifications.deliver_due(joined(session), notifications.http_poster())
        assert len(hook.received) == 10  # 8 status changes, 1 sent, 1 overdue
        for _headers, body in hook.received:
            text = body.decode()
            for value in IDENTIFYING:
                assert value not in text, value
            event = json.loads(text)
            assert set(event) == {"id", "type", "referral"}
            assert set(event["referral"]) == {
                "id",
                "status",
                "services",
                "urgency",
                "due_at",
                "link",
            }
    finally:
        hook.close()


def test_overdue_is_queued_once_and_reaches_the_regions_supervisors(
    client: TestClient, world: World, session: Session, receiver: Receiver
) -> None:
    subscribe(client, world, receiver.url)
    late = session.get(Referral, world.referrals["person_sent"].id)
    late.due_at = utcnow() - timedelta(minutes=5)
    session.commit()
    for _ in range(3):  # cron, every minute, maybe on several machines
        notifications.queue_overdue(session)
        session.commit()
    overdue = session.scalars(
        select(OutboxEvent).where(OutboxEvent.event_type == "referral.overdue")
    ).all()
    assert len(overdue) == 1
    inboxes = {n.user_id for n in session.scalars(select(UserNotification))}
    assert inboxes == {world.user("supervisor_a").id, world.user("supervisor_all").id}
    mine = client.get("/api/v1/notifications", headers=auth(world.user("supervisor_a"))).json()[
        "items"
    ]
    assert [(n["event_type"], n["referral_id"]) for n in mine] == [
        ("referral.overdue", str(late.id))
    ]
    assert client.get(
        "/api/v1/notifications", headers=auth(world.user("supervisor_mopti"))
    ).json() == {"items": [], "next_cursor": None}


def test_actors_without_a_webhook_queue_nothing(
    client: TestClient, world: World, session: Session
) -> None:
    client.post(
        f"/api/v1/referrals/{world.referrals['draft'].id}/transitions",
        json={"to": "sent"},
        headers=auth(world.user("caseworker_a")),
    )
    assert session.scalar(select(func.count()).select_from(OutboxEvent)) == 0


@pytest.mark.parametrize(
    "url", ["http://example.org/hook", "ftp://127.0.0.1/hook", "not a url", "https://"]
)
def test_webhook_urls_must_be_https_or_local(client: TestClient, world: World, url: str) -> None:
    response = client.patch(
        "/api/v1/actors/CVJR", json={"webhook_url": url}, headers=auth(world.user("admin"))
    )
    assert response.status_code == 422


def test_two_workers_deliver_each_event_once(live: tuple[FastAPI, World, Engine]) -> None:
    app, world, engine = live
    hook = Receiver([])
    try:
        with TestClient(app) as client:
            subscribe(client, world, hook.url)
            focal = auth(world.user("focal_cvjr"))
            for referral in ("sgbv_sent", "person_sent"):
                rid = world.referrals[referral].id
                for status in ("acknowledged", "accepted", "in_progress", "completed"):
                    client.post(
                        f"/api/v1/referrals/{rid}/transitions", json={"to": status}, headers=focal
                    )
        factory = sessionmaker(engine, expire_on_commit=False)
        workers = [
            threading.Thread(
                target=notifications.deliver_due, args=(factory, notifications.http_poster())
            )
            for _ in range(2)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        ids = [json.loads(body)["id"] for _, body in hook.received]
        assert len(ids) == 8
        assert len(set(ids)) == 8  # none delivered twice
        with Session(engine) as session:
            assert (
                session.scalar(select(func.count()).where(OutboxEvent.delivered_at.is_(None))) == 0
            )
    finally:
        hook.close()
