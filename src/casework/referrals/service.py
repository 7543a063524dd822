"""Referral rules: subjects and scope, actors and services, consent, the status machine."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, not_, select
from sqlalchemy.orm import Session

from casework.actors import service as actor_service
from casework.auth import service as auth_service
from casework.auth.principal import Principal
from casework.cases import service as case_service
from casework.consent import service as consent_service
from casework.core.concurrency import check_if_match
from casework.core.config import Settings
from casework.core.db import utcnow
from casework.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from casework.core.idempotency import insert_created, replay_or_conflict
from casework.core.pagination import keyset_page
from casework.core.workflow import flush_move, next_position, require_note
from casework.counselling import service as counselling_service
from casework.incidents import service as incident_service
from casework.notifications import service as notifications
from casework.persons import service as person_service
from casework.persons.models import Person
from casework.reference.vocabularies import ReferralKind, ReferralStatus, Role, Urgency
from casework.referrals import permissions
from casework.referrals.models import Referral, ReferralEvent, minutes_between
from casework.referrals.schemas import (
    FocalPointReferralRead,
    ReferralCreate,
    ReferralEventRead,
    ReferralQuery,
    ReferralRead,
    ReferralTransition,
)
from casework.referrals.workflow import REFERRAL_WORKFLOW
from casework.sgbv import service as sgbv_service
from casework.sgbv.models import SgbvCase
from casework.tasks import service as task_service


@dataclass(frozen=True)
class Subject:
    kind: ReferralKind
    region: str
    organization_id: uuid.UUID  # the referral belongs to its subject's organisation
    survivor_code: str | None = None


def _subject(session: Session, principal: Principal, data: ReferralCreate) -> Subject:
    """The incident, person or case referred from; one the caller cannot see 'does not exist'."""
    try:
        if data.incident_id is not None:
            incident = incident_service.get_readable(session, principal, data.incident_id)
            return Subject(ReferralKind.incident, incident.region, incident.organization_id)
        if data.person_id is not None:
            person = person_service.get_readable(session, principal, data.person_id)
            case_service.require_open(person, "referring from it")
            return Subject(ReferralKind.person, person.region, person.organization_id)
        assert data.sgbv_case_id is not None
        case = sgbv_service.get_readable(session, principal, data.sgbv_case_id)
        case_service.require_open(case, "referring from it")
        return Subject(ReferralKind.sgbv, case.region, case.organization_id, case.survivor_code)
    except NotFound as exc:
        field = {
            ReferralKind.incident: "incident_id",
            ReferralKind.person: "person_id",
            ReferralKind.sgbv: "sgbv_case_id",
        }[data.kind]
        raise InvalidInput(
            exc.detail, errors=[{"loc": ["body", field], "msg": exc.detail, "type": "ref"}]
        ) from None


def create_referral(
    session: Session, principal: Principal, data: ReferralCreate
) -> tuple[Referral, bool]:
    if not permissions.may_refer(principal, data.kind):
        raise Forbidden(f"The {principal.role} role may not make {data.kind} referrals.")
    subject = _subject(session, principal, data)
    actor = actor_service.get_by_code(session, data.actor)
    if actor is None or not actor.is_active:
        raise InvalidInput(
            f"No active actor {data.actor}.",
            errors=[{"loc": ["body", "actor"], "msg": "no such active actor", "type": "ref"}],
        )
    refused = sorted({s.value for s in data.services} - set(actor.services))
    if refused:
        raise InvalidInput(
            f"{actor.code} does not accept referrals for: {', '.join(refused)}.",
            errors=[
                {"loc": ["body", "services"], "msg": f"not accepted: {refused}", "type": "service"}
            ],
        )
    _check_follow_up(session, principal, data)
    fingerprint, replayed = replay_or_conflict(
        session, Referral, data, subject.organization_id, "referrals"
    )
    if replayed is not None:
        return replayed, False
    referral = Referral(
        id=data.id or uuid.uuid4(),
        kind=subject.kind.value,
        incident_id=data.incident_id,
        person_id=data.person_id,
        sgbv_case_id=data.sgbv_case_id,
        counselling_session_id=data.counselling_session_id,
        actor_code=actor.code,
        services=sorted({s.value for s in data.services}),
        urgency=data.urgency.value,
        note=data.note,
        status=ReferralStatus.draft.value,
        region=subject.region,
        # Whoever makes it (a supervisor of another organisation included), a referral
        # belongs to its subject's organisation: it is seen as the subject is.
        organization_id=subject.organization_id,
        created_by_id=principal.user_id,
        create_fingerprint=fingerprint,
    )
    event = ReferralEvent(
        referral_id=referral.id,
        seq=1,
        from_status=None,
        to_status=referral.status,
        by_id=principal.user_id,
        at=utcnow(),
    )
    return insert_created(
        session, referral, event, organization_id=subject.organization_id, what="referral"
    )


def _check_follow_up(session: Session, principal: Principal, data: ReferralCreate) -> None:
    """A follow-up names a session the caller can see, about the same person."""
    if data.counselling_session_id is None:
        return
    problem = None
    try:
        record = counselling_service.get_readable(session, principal, data.counselling_session_id)
        if record.person_id is not None and record.person_id != data.person_id:
            problem = "the session is about another person"
    except NotFound:
        problem = "no such counselling session"
    if problem:
        raise InvalidInput(
            f"Not a follow-up of that session: {problem}.",
            errors=[{"loc": ["body", "counselling_session_id"], "msg": problem, "type": "ref"}],
        )


def get_readable(session: Session, principal: Principal, referral_id: uuid.UUID) -> Referral:
    referral = session.scalar(
        select(Referral).where(Referral.id == referral_id, permissions.readable(principal))
    )
    if referral is None:
        raise NotFound("No such referral.")
    return referral


def list_readable(
    session: Session, principal: Principal, query: ReferralQuery
) -> tuple[list[Referral], str | None]:
    stmt = select(Referral).where(permissions.readable(principal))
    if query.status:
        stmt = stmt.where(Referral.status.in_([s.value for s in query.status]))
    if query.actor:
        stmt = stmt.where(Referral.actor_code == query.actor)
    if query.kind:
        stmt = stmt.where(Referral.kind == query.kind.value)
    if query.urgency:
        stmt = stmt.where(Referral.urgency == query.urgency.value)
    if query.region:
        stmt = stmt.where(Referral.region.in_(query.region))
    for name in ("incident_id", "person_id", "sgbv_case_id", "counselling_session_id"):
        value = getattr(query, name)
        if value is not None:
            stmt = stmt.where(getattr(Referral, name) == value)
    if query.overdue is not None:
        late = and_(Referral.status == ReferralStatus.sent.value, Referral.due_at < utcnow())
        stmt = stmt.where(late if query.overdue else not_(late))
    return keyset_page(
        session,
        stmt,
        created_at=Referral.created_at,
        record_id=Referral.id,
        limit=query.limit,
        cursor=query.cursor,
    )


def transition(
    session: Session,
    principal: Principal,
    referral: Referral,
    move: ReferralTransition,
    settings: Settings,
    *,
    if_match: str | None,
) -> Referral:
    check_if_match(if_match, referral.version)
    source, target = referral.status, move.to.value
    rule = REFERRAL_WORKFLOW.check(source, target, principal.role)
    require_note(rule, move.note)
    if move.consent_override_reason is not None:
        if target != ReferralStatus.sent.value:
            raise InvalidInput(
                "A consent override only applies to sending.",
                errors=[
                    {
                        "loc": ["body", "consent_override_reason"],
                        "msg": "only with to=sent",
                        "type": "value_error",
                    }
                ],
            )
        if principal.role is not Role.supervisor:
            raise Forbidden("Only supervisors may send without consent.")
    if target == ReferralStatus.sent.value:
        _require_open_subject(session, referral)
        _require_consent(session, referral, move)
    position = next_position(session, ReferralEvent.seq, ReferralEvent.referral_id == referral.id)
    now = utcnow()
    if target == ReferralStatus.sent.value:
        hours = (
            settings.referral_due_hours_urgent
            if referral.urgency == Urgency.urgent.value
            else settings.referral_due_hours_normal
        )
        referral.sent_at, referral.due_at = now, now + timedelta(hours=hours)
    if target == ReferralStatus.acknowledged.value and referral.acknowledged_at is None:
        referral.acknowledged_at = now
        if referral.sent_at is not None:
            referral.acknowledgement_minutes = minutes_between(referral.sent_at, now)
    referral.status = target
    if source == ReferralStatus.on_hold.value:
        referral.on_hold_from = None  # cancelled while on hold
    session.add(
        ReferralEvent(
            referral_id=referral.id,
            seq=position,
            from_status=source,
            to_status=target,
            by_id=principal.user_id,
            at=now,
            note=move.note,
            consent_override_reason=move.consent_override_reason,
        )
    )
    flush_move(session, "referral")
    notifications.on_referral_status(session, referral)  # queued in the same transaction
    task_service.on_referral_status(session, referral, principal)  # the sender's follow-up
    return referral


def _require_open_subject(session: Session, referral: Referral) -> None:
    """A draft about a case closed since is not sent until the case is reopened."""
    subject: Person | SgbvCase | None = None
    if referral.person_id is not None:
        subject = session.get(Person, referral.person_id)
    elif referral.sgbv_case_id is not None:
        subject = session.get(SgbvCase, referral.sgbv_case_id)
    if subject is not None:
        case_service.require_open(subject, "sending referrals about it")


def _require_consent(session: Session, referral: Referral, move: ReferralTransition) -> None:
    """Referrals about a person or a survivor need a services consent in force."""
    if referral.kind == ReferralKind.incident.value or move.consent_override_reason:
        return
    if not consent_service.covers_referral(
        session,
        person_id=referral.person_id,
        sgbv_case_id=referral.sgbv_case_id,
        actor=referral.actor_code,
        services=referral.services,
    ):
        raise Conflict(
            f"No services consent in force covers {referral.actor_code} for "
            f"{', '.join(referral.services)}. Record the consent first, or ask a supervisor "
            "to send with a consent_override_reason.",
            missing="consent",
        )


def history(session: Session, principal: Principal, referral: Referral) -> list[ReferralEventRead]:
    events = list(
        session.scalars(
            select(ReferralEvent)
            .where(ReferralEvent.referral_id == referral.id)
            .order_by(ReferralEvent.seq)
        )
    )
    minimal = permissions.sees_minimum_only(principal)
    names = {} if minimal else auth_service.usernames(session, (e.by_id for e in events))
    return [
        ReferralEventRead(
            from_=event.from_status,
            to=event.to_status,
            by=None if minimal else event.by_id,
            by_username=names.get(event.by_id) if event.by_id else None,
            at=event.at,
            note=None if minimal else event.note,
            consent_override_reason=None if minimal else event.consent_override_reason,
        )
        for event in events
        if not (minimal and event.to_status == ReferralStatus.draft.value)
    ]


def _survivor_code(session: Session, referral: Referral) -> str | None:
    if referral.sgbv_case_id is None:
        return None
    case = session.get(SgbvCase, referral.sgbv_case_id)
    return case.survivor_code if case else None


def to_read(
    session: Session, principal: Principal, referral: Referral
) -> ReferralRead | FocalPointReferralRead:
    now = utcnow()
    if permissions.sees_minimum_only(principal):
        return FocalPointReferralRead(
            id=referral.id,
            status=referral.status,
            actor=referral.actor_code,
            services=referral.services,
            urgency=referral.urgency,
            due_at=referral.due_at,
            overdue=referral.overdue(now),
            note=referral.note,
            region=referral.region,
            survivor_code=_survivor_code(session, referral),
            person_id=referral.person_id,
        )
    return ReferralRead(
        id=referral.id,
        kind=referral.kind,
        incident_id=referral.incident_id,
        person_id=referral.person_id,
        sgbv_case_id=referral.sgbv_case_id,
        counselling_session_id=referral.counselling_session_id,
        survivor_code=_survivor_code(session, referral),
        actor=referral.actor_code,
        services=referral.services,
        urgency=referral.urgency,
        note=referral.note,
        status=referral.status,
        on_hold_from=referral.on_hold_from,
        region=referral.region,
        sent_at=referral.sent_at,
        due_at=referral.due_at,
        overdue=referral.overdue(now),
        organization=auth_service.organization_code(session, referral.organization_id),
        version=referral.version,
        created_at=referral.created_at,
        updated_at=referral.updated_at,
    )
