"""E-mails to people, sent to a real SMTP server process (aiosmtpd) from the outbox.

Every message received is scanned for the personal data of the test world.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.core.config import get_settings
from casework.core.db import create_db_engine, utcnow
from casework.core.migrations import upgrade
from casework.main import create_app
from casework.notifications import service as notifications
from casework.notifications.models import DeliveryAttempt, OutboxEvent
from casework.reference.vocabularies import Role
from casework.referrals.models import Referral
from tests.factories import World, auth, build_world, make_user
from tests.smtp import SmtpServer, free_port

PUBLIC_URL = "https://casework.example.org"
# Everything personal in the test world (and in what these tests add to it).
PERSONAL = (
    "Aminata",
    "Maïga",
    "Maiga",
    "MLI-GAO",
    "76 12 34 56",
    "+223",
    "GAO-2026-001",
    "firewood",
    "female counsellor",
    "Extortion at a checkpoint",
    "Lost her card",
    "Oumar",
    "Ngaïkoumon",
)


def text_of(message: EmailMessage) -> str:
    """Headers and decoded body: what a person (or a leak) would read."""
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    headers = "\n".join(f"{name}: {value}" for name, value in message.items())
    return headers + "\n" + body.get_content()


def assert_no_personal_data(messages: list[EmailMessage]) -> None:
    for message in messages:
        readable = text_of(message)
        raw = message.as_string()
        for value in PERSONAL:
            assert value not in readable, (value, readable)
            assert value not in raw, value


@pytest.fixture
def smtp(tmp_path: Path, configure: Callable[..., None]) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path / "maildir").start()
    configure(smtp_url=server.url, public_url=PUBLIC_URL, smtp_from="casework@ngo.example.org")
    yield server
    server.stop()
    get_settings.cache_clear()  # the next test reads its own settings


def joined(session: Session) -> Any:
    @contextmanager
    def provide() -> Iterator[Session]:
        yield session

    return provide


def deliver(session: Session, **kw: Any) -> dict[str, int]:
    return dict(notifications.deliver_due(joined(session), notifications.http_poster(), **kw))


def give_email(
    client: TestClient, world: World, who: str, address: str, language: str | None = None
) -> None:
    body: dict[str, Any] = {"email": address}
    if language:
        body["language"] = language
    response = client.patch(
        f"/api/v1/users/{world.user(who).id}", json=body, headers=auth(world.user("admin"))
    )
    assert response.status_code == 200, response.text
    assert response.json()["email"] == address


def send(
    client: TestClient, world: World, referral: str = "draft", who: str = "caseworker_a"
) -> Any:
    response = client.post(
        f"/api/v1/referrals/{world.referrals[referral].id}/transitions",
        json={"to": "sent"},
        headers=auth(world.user(who)),
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_referral_sent_emails_the_actors_focal_points(
    client: TestClient, world: World, session: Session, smtp: SmtpServer
) -> None:
    give_email(client, world, "focal_cvjr", "cvjr.focal@cvjr.example.org", "fr")
    other = make_user(session, "focal_rrm", Role.actor_focal_point, actor="RRM")
    other.email = "rrm@rrm.example.org"
    silent = make_user(session, "focal_cvjr2", Role.actor_focal_point, actor="CVJR")
    assert silent.email is None  # no address: nothing queued for them
    session.commit()
    referral = send(client, world)
    assert deliver(session) == {"delivered": 1}
    [message] = smtp.messages()
    assert message["To"] == "cvjr.focal@cvjr.example.org"
    assert message["From"] == "casework@ngo.example.org"
    assert message["Subject"] == "[casework] Nouveau référencement pour CVJR"
    assert message["X-Casework-Event"] == "referral.sent"
    body = text_of(message)
    assert f"{PUBLIC_URL}/referrals/{referral['id']}" in body
    assert referral["due_at"][:10] in body
    assert_no_personal_data([message])
    assert deliver(session) == {}  # delivered once


def test_a_task_given_by_someone_else_emails_the_assignee_in_their_language(
    client: TestClient, world: World, session: Session, smtp: SmtpServer
) -> None:
    give_email(client, world, "gbv_a", "gbv@orga.example.org", "en")
    give_email(client, world, "caseworker_a", "cw@orga.example.org")  # no language: default fr
    caseworker = auth(world.user("caseworker_a"))
    body = {
        "title": "Call Aminata Maïga on +223 76 12 34 56",
        "kind": "review",
        "person_id": str(world.persons["a"].id),
        "due_on": "2026-12-24",
    }
    mine = client.post("/api/v1/tasks", json=body, headers=caseworker).json()
    assert deliver(session) == {}  # one's own task needs no e-mail
    given = client.post(
        "/api/v1/tasks", json={**body, "assignee": str(world.user("gbv_a").id)}, headers=caseworker
    ).json()
    assert deliver(session) == {"delivered": 1}
    # Handed back by the GBV caseworker: the caseworker is told, in French.
    handed = client.patch(
        f"/api/v1/tasks/{mine['id']}",
        json={"assignee": str(world.user("gbv_a").id)},
        headers=caseworker,
    )
    assert handed.status_code == 200
    back = client.patch(
        f"/api/v1/tasks/{given['id']}",
        json={"assignee": str(world.user("caseworker_a").id)},
        headers=auth(world.user("gbv_a")),
    )
    assert back.status_code == 200
    assert deliver(session) == {"delivered": 2}
    messages = smtp.messages()
    assert_no_personal_data(messages)
    by_recipient: dict[str, list[EmailMessage]] = {}
    for message in messages:
        by_recipient.setdefault(message["To"], []).append(message)
    english = by_recipient["gbv@orga.example.org"]
    assert len(english) == 2
    assert english[0]["Subject"] == "[casework] A task was assigned to you"
    assert "A task (Review) was assigned to you. Due: 2026-12-24." in text_of(english[0])
    links = {f"{PUBLIC_URL}/tasks/{given['id']}", f"{PUBLIC_URL}/tasks/{mine['id']}"}
    assert {link for link in links for m in english if link in text_of(m)} == links
    [french] = by_recipient["cw@orga.example.org"]
    assert french["Subject"] == "[casework] Une tâche vous a été confiée"
    assert f"{PUBLIC_URL}/tasks/{given['id']}" in text_of(french)


def test_an_overdue_referral_emails_the_supervisors_of_its_region(
    client: TestClient, world: World, session: Session, smtp: SmtpServer, configure: Any
) -> None:
    configure(default_language="en")
    for who in ("supervisor_a", "supervisor_mopti", "supervisor_all"):
        give_email(client, world, who, f"{who}@ngo.example.org")
    referral = session.get(Referral, world.referrals["sgbv_sent"].id)
    assert referral is not None
    referral.due_at = utcnow() - timedelta(hours=1)
    session.commit()
    notifications.queue_overdue(session)
    notifications.queue_overdue(session)  # cron on two machines: still once
    session.commit()
    assert deliver(session) == {"delivered": 2}
    messages = smtp.messages()
    assert {m["To"] for m in messages} == {
        "supervisor_a@ngo.example.org",  # Gao, the referral's region
        "supervisor_all@ngo.example.org",  # every region
    }
    for message in messages:
        assert message["Subject"] == "[casework] Overdue referral (CVJR)"
        assert f"{PUBLIC_URL}/referrals/{referral.id}" in text_of(message)
    assert_no_personal_data(messages)


def test_e_mails_wait_and_retry_like_webhooks_until_the_server_answers(
    client: TestClient, world: World, session: Session, tmp_path: Path, configure: Any
) -> None:
    configure(smtp_url="", public_url=PUBLIC_URL)
    give_email(client, world, "focal_cvjr", "cvjr.focal@cvjr.example.org")
    send(client, world)
    t0 = utcnow()
    assert deliver(session, now=t0) == {"retry": 1}  # no SMTP server configured yet
    server = SmtpServer(tmp_path / "maildir", port=free_port())
    configure(smtp_url=server.url)
    assert deliver(session, now=t0) == {}  # backing off, as webhooks do
    assert deliver(session, now=t0 + timedelta(seconds=31)) == {"retry": 1}  # nobody listening
    server.start()
    try:
        assert deliver(session, now=t0 + timedelta(minutes=2)) == {"delivered": 1}
        assert len(server.messages()) == 1
        assert_no_personal_data(server.messages())
    finally:
        server.stop()
    attempts = session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.at)).all()
    assert [a.status_code for a in attempts] == [None, None, 250]
    assert "SMTP" in (attempts[0].error or "")
    assert attempts[1].error == "ConnectionRefusedError"
    [event] = session.scalars(select(OutboxEvent).where(OutboxEvent.channel == "email")).all()
    assert (event.attempts, event.delivered_at is not None) == (3, True)


def test_nothing_is_queued_for_people_without_an_address(
    client: TestClient, world: World, session: Session
) -> None:
    send(client, world)
    assert session.scalars(select(OutboxEvent).where(OutboxEvent.channel == "email")).all() == []


@pytest.mark.usefixtures("smtp")
def test_the_running_service_delivers_e_mails(
    backend: str, fresh_database_url: Any, configure: Any, smtp: SmtpServer
) -> None:
    """No CLI: the service's own background delivery sends them."""
    url = fresh_database_url(backend)
    engine = create_db_engine(url)
    with engine.begin() as connection:
        upgrade(connection)
    with Session(engine, expire_on_commit=False) as session:
        world = build_world(session)
        world.user("focal_cvjr").email = "cvjr.focal@cvjr.example.org"
        session.commit()
    configure(database_url=url, scheduler_interval_seconds=1)
    assert get_settings().scheduler_interval_seconds == 1
    try:
        with TestClient(create_app()) as client:
            referral = send(client, world)
            [message] = smtp.wait_for(1)
    finally:
        engine.dispose()
        get_settings.cache_clear()
    assert f"{PUBLIC_URL}/referrals/{referral['id']}" in text_of(message)
    assert_no_personal_data([message])
