"""Signed notifications to referral actors, delivered from the outbox with retries.

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
import time
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from casework.actors.models import Actor
from casework.auth.models import User
from casework.auth.principal import Principal
from casework.core.config import get_settings
from casework.core.db import upsert_insert, utcnow
from casework.notifications import targets
from casework.notifications.models import DeliveryAttempt, OutboxEvent, UserNotification
from casework.reference.vocabularies import ReferralStatus, Role
from casework.referrals import permissions as referral_permissions
from casework.referrals.models import Referral

SIGNATURE_HEADER = "X-Casework-Signature"
MAX_BACKOFF = timedelta(hours=1)
FIRST_BACKOFF = timedelta(seconds=30)


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
    factory: SessionProvider, post: Poster, *, limit: int = 100, now: datetime | None = None
) -> Counter[str]:
    """Deliver due events one by one, each under a row lock other workers skip."""
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
            actor = session.scalar(select(Actor).where(Actor.code == event.actor_code))
            outcome[_attempt(session, event, actor, post, moment)] += 1
            session.commit()
    return outcome


def _attempt(
    session: Session, event: OutboxEvent, actor: Actor | None, post: Poster, now: datetime
) -> str:
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
    elapsed = int((time.perf_counter() - started) * 1000)
    session.add(
        DeliveryAttempt(
            event_id=event.id, at=now, status_code=status, error=error, duration_ms=elapsed
        )
    )
    event.attempts += 1
    if status is not None and 200 <= status < 300:
        event.delivered_at = now
        return "delivered"
    event.last_error = error or f"HTTP {status}"
    backoff = min(FIRST_BACKOFF * 2 ** (event.attempts - 1), MAX_BACKOFF)
    event.next_attempt_at = now + backoff
    return "retry"


def inbox(session: Session, principal: Principal, limit: int = 100) -> list[UserNotification]:
    """The caller's notifications about referrals they may read NOW.

    Read through the referrals' own scope, so a supervisor moved from Gao to Mopti
    stops seeing Gao's notices at once (and gets Mopti's from the next sweep).
    """
    return list(
        session.scalars(
            select(UserNotification)
            .outerjoin(Referral, Referral.id == UserNotification.referral_id)
            .where(
                UserNotification.user_id == principal.user_id,
                or_(
                    UserNotification.referral_id.is_(None),
                    referral_permissions.readable(principal),
                ),
            )
            .order_by(UserNotification.created_at.desc())
            .limit(limit)
        )
    )
