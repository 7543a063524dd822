"""Consent withdrawn reaches the actors: referrals go on hold, and resume with a new consent.

* Withdrawing a ``services`` consent puts on hold every referral of that person
  or SGBV case that it covered (its actor and all its services) and that is
  with the actor (``sent``, ``acknowledged``, ``accepted``, ``in_progress``) —
  unless another consent still in force covers it too.
* Recording a ``services`` consent in force resumes every referral of that
  subject on hold that it covers: the referral returns to the status it left.
* Each move is a history entry by casework itself (``by`` is null) with a note,
  an outbox event to the actor's webhook (``referral.on_hold`` /
  ``referral.resumed``), and shows in the person's timeline. A hold also makes
  a task for the caseworker who sent the referral (record a new consent or
  cancel); resuming completes it, cancelling cancels it. From ``on_hold`` the
  referring side may also cancel; nobody moves it by hand otherwise.

Called by the consent service in the transaction that withdraws or records the
consent, so the hold and the withdrawal commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.consent.models import Consent
from casework.core.db import utcnow
from casework.core.workflow import flush_move, next_position
from casework.notifications import service as notifications
from casework.reference.vocabularies import ConsentPurpose, ReferralStatus
from casework.referrals.models import Referral, ReferralEvent
from casework.referrals.workflow import HOLDABLE, REFERRAL_WORKFLOW
from casework.tasks import service as tasks

HOLD_NOTE = "Consent withdrawn: on hold until a new consent covers this referral."
RESUME_NOTE = "A new consent covers this referral again: resumed."


def _subject_referrals(
    session: Session, consent: Consent, statuses: Iterable[str]
) -> list[Referral]:
    subject = (
        Referral.person_id == consent.person_id
        if consent.person_id is not None
        else Referral.sgbv_case_id == consent.sgbv_case_id
    )
    return list(
        session.scalars(
            select(Referral)
            .where(subject, Referral.status.in_(list(statuses)))
            .order_by(Referral.created_at, Referral.id)
        )
    )


def _consents_in_force(session: Session, consent: Consent) -> list[Consent]:
    subject = (
        Consent.person_id == consent.person_id
        if consent.person_id is not None
        else Consent.sgbv_case_id == consent.sgbv_case_id
    )
    return list(
        session.scalars(
            select(Consent).where(
                subject,
                Consent.purpose == ConsentPurpose.services.value,
                Consent.withdrawn_at.is_(None),
                Consent.given_at <= utcnow(),
            )
        )
    )


def _move(session: Session, referral: Referral, target: str, note: str, event_type: str) -> None:
    source = referral.status
    if not REFERRAL_WORKFLOW.has_move(source, target):  # pragma: no cover - callers filter
        raise AssertionError(f"no referral move {source} -> {target}")
    position = next_position(session, ReferralEvent.seq, ReferralEvent.referral_id == referral.id)
    referral.on_hold_from = source if target == ReferralStatus.on_hold.value else None
    referral.status = target
    session.add(
        ReferralEvent(
            referral_id=referral.id,
            seq=position,
            from_status=source,
            to_status=target,
            by_id=None,
            at=utcnow(),
            note=note,
        )
    )
    flush_move(session, "referral")
    notifications.on_referral_status(
        session, referral, event_type=event_type, dedupe=f"{event_type}:{position}"
    )
    if target == ReferralStatus.on_hold.value:
        tasks.on_referral_hold(session, referral, position)
    else:
        tasks.on_referral_resumed(session, referral)


def hold_after_withdrawal(session: Session, withdrawn: Consent) -> list[Referral]:
    """Put on hold what ``withdrawn`` covered and no other consent in force still covers."""
    if withdrawn.purpose != ConsentPurpose.services.value:
        return []
    others = [c for c in _consents_in_force(session, withdrawn) if c.id != withdrawn.id]
    held = []
    for referral in _subject_referrals(session, withdrawn, (s.value for s in HOLDABLE)):
        if not (
            referral.actor_code in withdrawn.actors
            and set(referral.services) <= set(withdrawn.services)
        ):
            continue
        if any(c.covers(referral.actor_code, referral.services) for c in others):
            continue
        _move(session, referral, ReferralStatus.on_hold.value, HOLD_NOTE, "referral.on_hold")
        held.append(referral)
    return held


def resume_with(session: Session, consent: Consent) -> list[Referral]:
    """Return to their earlier status the referrals on hold that ``consent`` covers."""
    if consent.purpose != ConsentPurpose.services.value:
        return []
    if consent.withdrawn_at is not None or consent.given_at > utcnow():
        return []
    resumed = []
    for referral in _subject_referrals(session, consent, [ReferralStatus.on_hold.value]):
        if referral.on_hold_from is None or not consent.covers(
            referral.actor_code, referral.services
        ):
            continue
        _move(session, referral, referral.on_hold_from, RESUME_NOTE, "referral.resumed")
        resumed.append(referral)
    return resumed
