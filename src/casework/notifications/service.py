"""Notifications from one durable outbox, delivered with retries: signed webhooks to
referral actors, and e-mails to people (``notifications/email.py``).

What leaves casework is the minimum an actor needs to act: the referral id,
its status, services, urgency, due time and a link. Never a name, phone,
narrative, note or survivor code (``tests/notifications`` scans every payload).

Signature, in ``X-Casework-Signature: t=<unix seconds>,v1=<hex>``, where
``hex = HMAC-SHA256(actor's secret, "<t>.<raw body>")``. Receivers recompute it
and reject timestamps older than a few minutes (see the README).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from casework.actors.models import Actor
from casework.auth.models import User
from casework.auth.principal import Principal
from casework.core.config import Settings, get_settings
from casework.core.db import upsert_insert, utcnow
from casework.notifications import email, targets
from casework.notifications.models import DeliveryAttempt, OutboxEvent, UserNotification
from casework.reference.vocabularies import ReferralStatus, Role
from casework.referrals import permissions as referral_permissions
from casework.referrals.models import Referral
from casework.tasks.models import Task

SIGNATURE_HEADER = "X-Casework-Signature"
MAX_BACKOFF = timedelta(hours=1)
FIRST_BACKOFF = timedelta(seconds=30)
WEBHOOK, EMAIL = "webhook", "email"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300) -> bool:
    """What a receiver does (the README shows the same in a few lines)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


def referral_payload(referral: Referral, event_type: str) -> dict[str, Any]:
    base_url = get_settings().public_base_url.rstrip("/")
    return {
        "type": event_type,
        "referral": {
            "id": str(referral.id),
            "status": referral.status,
            "services": list(referral.services),
            "urgency": referral.urgency,
            "due_at": referral.due_at.isoformat() if referral.due_at else None,
            "link": f"{base_url}/api/v1/referrals/{referral.id}",
        },
    }


def _insert_ignoring_duplicates(session: Session, model: type, values: dict[str, Any]) -> None:
    session.execute(upsert_insert(session, model).values(**values).on_conflict_do_nothing())


def _due_text(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else None


def referral_email_payload(referral: Referral) -> dict[str, Any]:
    """What an e-mail about a referral may say: codes, its due time and a link."""
    return {
        "referral_id": str(referral.id),
        "actor": referral.actor_code,
        "urgency": referral.urgency,
        "due": _due_text(referral.due_at),
        "link": f"{get_settings().web_base_url}/referrals/{referral.id}",
    }


def queue_email(
    session: Session, user: User, event_type: str, dedupe_key: str, payload: dict[str, Any]
) -> bool:
    """Queue an e-mail to a user who has an address; the same fact is queued once."""
    if not user.email or not user.is_active:
        return False
    event_id, now = uuid.uuid4(), utcnow()
    _insert_ignoring_duplicates(
        session,
        OutboxEvent,
        {
            "id": event_id,
            "dedupe_key": f"email:{user.id}:{dedupe_key}",
            "event_type": event_type,
            "channel": EMAIL,
            "user_id": user.id,
            "payload": {"id": str(event_id), "type": event_type, **payload},
            "created_at": now,
            "next_attempt_at": now,
            "attempts": 0,
        },
    )
    return True


def _focal_points(session: Session, actor_code: str) -> list[User]:
    return list(
        session.scalars(
            select(User).where(
                User.role == Role.actor_focal_point.value,
                User.actor_code == actor_code,
                User.is_active.is_(True),
                User.email.is_not(None),
            )
        )
    )


def on_task_assigned(session: Session, task: Task) -> None:
    """A task given to someone by someone else: tell the assignee."""
    assignee = session.get(User, task.assignee_id)
    if assignee is None:
        return
    queue_email(
        session,
        assignee,
        "task.assigned",
        f"task:{task.id}:assigned:{task.version}",
        {
            "task_id": str(task.id),
            "kind": task.kind,
            "due": task.due_on.isoformat() if task.due_on else None,
            "link": f"{get_settings().web_base_url}/tasks/{task.id}",
        },
    )


def on_transfer_received(
    session: Session, transfer_id: uuid.UUID, user_ids: Sequence[uuid.UUID]
) -> None:
    """A transfer asked of an organisation: tell those of its users who may decide."""
    if not user_ids:
        return
    payload = {
        "transfer_id": str(transfer_id),
        "link": f"{get_settings().web_base_url}/transfers/{transfer_id}",
    }
    for user in session.scalars(select(User).where(User.id.in_(user_ids))):
        queue_email(session, user, "transfer.received", f"transfer:{transfer_id}:received", payload)


def on_referral_status(
    session: Session,
    referral: Referral,
    *,
    event_type: str | None = None,
    dedupe: str | None = None,
) -> None:
    """Queue a notification when a referral is sent to, or changes status at, an actor.

    ``event_type`` names moves casework makes itself (``referral.on_hold``,
    ``referral.resumed``); ``dedupe`` distinguishes facts that can recur (a
    referral held, resumed and held again).
    """
    if referral.status == ReferralStatus.draft.value:
        return
    if referral.status == ReferralStatus.sent.value:
        payload = referral_email_payload(referral)
        for focal_point in _focal_points(session, referral.actor_code):
            queue_email(session, focal_point, "referral.sent", f"{referral.id}:sent", payload)
    actor = session.scalar(select(Actor).where(Actor.code == referral.actor_code))
    if actor is None or not actor.webhook_url:
        return
    if event_type is None:
        event_type = "referral.sent" if referral.status == "sent" else "referral.status_changed"
    event_id = uuid.uuid4()
    _insert_ignoring_duplicates(
        session,
        OutboxEvent,
        {
            "id": event_id,
            "dedupe_key": f"{referral.id}:{dedupe or referral.status}",
            "event_type": event_type,
            "actor_code": actor.code,
            "payload": {"id": str(event_id), **referral_payload(referral, event_type)},
            "created_at": utcnow(),
            "next_attempt_at": utcnow(),
            "attempts": 0,
        },
    )


def queue_overdue(session: Session) -> int:
    """Queue one overdue event per late referral (actor webhook and supervisors' inboxes).

    Safe from cron on several machines at once: unique keys make the second
    insert of the same fact a no-op.
    """
    now = utcnow()
    late = list(
        session.scalars(
            select(Referral).where(
                Referral.status == ReferralStatus.sent.value, Referral.due_at < now
            )
        )
    )
    supervisors = list(
        session.scalars(
            select(User).where(User.role == Role.supervisor.value, User.is_active.is_(True))
        )
    )
    for referral in late:
        _queue_overdue_emails(session, referral, supervisors)
        actor = session.scalar(select(Actor).where(Actor.code == referral.actor_code))
        if actor is not None and actor.webhook_url:
            event_id = uuid.uuid4()
            _insert_ignoring_duplicates(
                session,
                OutboxEvent,
                {
                    "id": event_id,
                    "dedupe_key": f"{referral.id}:overdue",
                    "event_type": "referral.overdue",
                    "actor_code": actor.code,
                    "payload": {
                        "id": str(event_id),
                        **referral_payload(referral, "referral.overdue"),
                    },
                    "created_at": now,
                    "next_attempt_at": now,
                    "attempts": 0,
                },
            )
        for supervisor in supervisors:
            if supervisor.regions and referral.region not in supervisor.regions:
                continue
            _insert_ignoring_duplicates(
                session,
                UserNotification,
                {
                    "id": uuid.uuid4(),
                    "user_id": supervisor.id,
                    "dedupe_key": f"{referral.id}:overdue",
                    "event_type": "referral.overdue",
                    "referral_id": referral.id,
                    "created_at": now,
                },
            )
    session.flush()
    return len(late)


def _queue_overdue_emails(session: Session, referral: Referral, supervisors: list[User]) -> None:
    payload = referral_email_payload(referral)
    for supervisor in supervisors:
        if supervisor.regions and referral.region not in supervisor.regions:
            continue
        queue_email(session, supervisor, "referral.overdue", f"{referral.id}:overdue", payload)


Poster = Callable[[str, bytes, dict[str, str]], int]


def http_poster(timeout: float = 10) -> Poster:
    """POST to a webhook: the target is checked again (it may resolve elsewhere since it
    was saved), the connection pinned to the checked address, redirects never followed."""

    def post(url: str, body: bytes, headers: dict[str, str]) -> int:
        target = targets.check(url, allow_loopback=get_settings().webhook_allow_loopback)
        https = urlsplit(url).scheme == "https"
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            response = client.request(
                "POST",
                target.pinned_url(),
                content=body,
                headers={**headers, "Host": target.host_header},
                # TLS is for the name, not the address: SNI and certificate checks use it.
                extensions={"sni_hostname": target.host} if https else {},
            )
        return response.status_code

    return post


SessionProvider = Callable[[], AbstractContextManager[Session]]


def deliver_due(
    factory: SessionProvider,
    post: Poster,
    *,
    send_mail: email.Mailer | None = None,
    limit: int = 100,
    now: datetime | None = None,
) -> Counter[str]:
    """Deliver due events one by one, each under a row lock other workers skip.

    Webhooks go through ``post``; e-mails through ``send_mail`` (by default the
    SMTP server of the settings: without one, e-mails wait and are retried).
    """
    settings = get_settings()
    if send_mail is None:
        send_mail = email.mailer_from_settings(settings)
    outcome: Counter[str] = Counter()
    for _ in range(limit):
        with factory() as session:
            moment = now or utcnow()
            event = session.scalar(
                select(OutboxEvent)
                .where(OutboxEvent.delivered_at.is_(None), OutboxEvent.next_attempt_at <= moment)
                .order_by(OutboxEvent.created_at)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if event is None:
                session.rollback()
                break
            if event.channel == EMAIL:
                attempt = _send_email(session, event, send_mail, settings)
            else:
                actor = session.scalar(select(Actor).where(Actor.code == event.actor_code))
                attempt = _post_webhook(event, actor, post)
            outcome[_record_attempt(session, event, attempt, moment)] += 1
            session.commit()
    return outcome


@dataclass(frozen=True)
class Attempt:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _post_webhook(event: OutboxEvent, actor: Actor | None, post: Poster) -> Attempt:
    body = json.dumps(event.payload, separators=(",", ":"), sort_keys=True).encode()
    status: int | None = None
    error: str | None = None
    started = time.perf_counter()
    if actor is None or not actor.webhook_url or not actor.webhook_secret:
        error = "the actor has no webhook any more"
    else:
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(actor.webhook_secret, int(time.time()), body),
            "X-Casework-Event": event.event_type,
            "X-Casework-Delivery": str(event.id),
        }
        try:
            status = post(actor.webhook_url, body, headers)
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        except targets.TargetRefused as exc:
            error = f"target refused: {exc}"
    return Attempt(status, error, int((time.perf_counter() - started) * 1000))


SMTP_OK = 250


def _send_email(
    session: Session, event: OutboxEvent, send_mail: email.Mailer | None, settings: Settings
) -> Attempt:
    """One e-mail, to the user's address as it is now, in their language."""
    started = time.perf_counter()
    user = session.get(User, event.user_id) if event.user_id else None
    status: int | None = None
    error: str | None = None
    if send_mail is None:
        error = "no SMTP server configured (CASEWORK_SMTP_URL)"
    elif user is None or not user.email or not user.is_active:
        error = "the user has no e-mail address any more"
    else:
        subject, body = email.render(
            event.event_type, event.payload, user.language or "", settings.default_language
        )
        message = email.build_message(
            sender=settings.smtp_from,
            to=user.email,
            subject=subject,
            body=body,
            event_type=event.event_type,
            event_id=str(event.id),
        )
        try:
            send_mail(message)
            status = SMTP_OK
        except smtplib.SMTPResponseException as exc:
            status, error = exc.smtp_code, type(exc).__name__
        except (smtplib.SMTPException, OSError) as exc:
            error = type(exc).__name__
    return Attempt(status, error, int((time.perf_counter() - started) * 1000))


def _record_attempt(session: Session, event: OutboxEvent, attempt: Attempt, now: datetime) -> str:
    """Log the attempt; on failure, retry later with the same backoff for every channel."""
    session.add(
        DeliveryAttempt(
            event_id=event.id,
            at=now,
            status_code=attempt.status_code,
            error=attempt.error,
            duration_ms=attempt.duration_ms,
        )
    )
    event.attempts += 1
    if attempt.succeeded:
        event.delivered_at = now
        return "delivered"
    event.last_error = attempt.error or f"status {attempt.status_code}"
    backoff = min(FIRST_BACKOFF * 2 ** (event.attempts - 1), MAX_BACKOFF)
    event.next_attempt_at = now + backoff
    return "retry"


def inbox_statement(principal: Principal) -> Select[UserNotification]:
    """The caller's notifications about referrals they may read NOW.

    Read through the referrals' own scope, so a supervisor moved from Gao to Mopti
    stops seeing Gao's notices at once (and gets Mopti's from the next sweep).
    """
    return (
        select(UserNotification)
        .outerjoin(Referral, Referral.id == UserNotification.referral_id)
        .where(
            UserNotification.user_id == principal.user_id,
            or_(
                UserNotification.referral_id.is_(None),
                referral_permissions.readable(principal),
            ),
        )
    )


def inbox(session: Session, principal: Principal, limit: int = 100) -> list[UserNotification]:
    """The newest of the caller's notifications (see inbox_statement)."""
    statement = inbox_statement(principal)
    return list(
        session.scalars(statement.order_by(UserNotification.created_at.desc()).limit(limit))
    )
