"""Recording, withdrawing and checking consent."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.actors import service as actor_service
from casework.auth.principal import Principal
from casework.cases import service as case_service
from casework.consent import permissions
from casework.consent.models import Consent
from casework.consent.schemas import ConsentCreate, ConsentQuery, ConsentRead
from casework.core.concurrency import check_if_match
from casework.core.db import utcnow
from casework.core.errors import Conflict, InvalidInput, NotFound
from casework.core.idempotency import insert_created, replay_or_conflict
from casework.core.pagination import keyset_page
from casework.persons import service as person_service
from casework.reference.vocabularies import ConsentPurpose
from casework.sgbv import service as sgbv_service


def record_consent(
    session: Session, principal: Principal, data: ConsentCreate
) -> tuple[Consent, bool]:
    _check_subject(session, principal, data.person_id, data.sgbv_case_id)
    unknown = [code for code in data.actors if actor_service.get_by_code(session, code) is None]
    if unknown:
        raise InvalidInput(
            "Unknown actor codes.",
            errors=[
                {
                    "loc": ["body", "actors", data.actors.index(code)],
                    "msg": f"no actor {code}",
                    "type": "ref",
                }
                for code in unknown
            ],
        )
    fingerprint, replayed = replay_or_conflict(
        session, Consent, data, principal.organization_id, "consents"
    )
    if replayed is not None:
        return replayed, False
    consent = Consent(
        id=data.id or uuid.uuid4(),
        person_id=data.person_id,
        sgbv_case_id=data.sgbv_case_id,
        purpose=data.purpose.value,
        actors=sorted(set(data.actors)),
        services=sorted({s.value for s in data.services}),
        given_by=data.given_by.value,
        given_at=data.given_at,
        organization_id=principal.organization_id,
        recorded_by_id=principal.user_id,
        create_fingerprint=fingerprint,
    )
    return insert_created(
        session,
        consent,
        organization_id=principal.organization_id,
        what="consent",
        may_collide=data.id is not None,
    )


def _check_subject(
    session: Session,
    principal: Principal,
    person_id: uuid.UUID | None,
    sgbv_case_id: uuid.UUID | None,
) -> None:
    """The subject must be one the caller may see; otherwise it 'does not exist'."""
    try:
        if person_id is not None:
            person = person_service.get_readable(session, principal, person_id)
            case_service.require_open(person, "recording consent")
        if sgbv_case_id is not None:
            case = sgbv_service.get_readable(session, principal, sgbv_case_id)
            case_service.require_open(case, "recording consent")
    except NotFound as exc:
        field = "person_id" if person_id is not None else "sgbv_case_id"
        raise InvalidInput(
            exc.detail, errors=[{"loc": ["body", field], "msg": exc.detail, "type": "ref"}]
        ) from None


def get_readable(session: Session, principal: Principal, consent_id: uuid.UUID) -> Consent:
    consent = session.scalar(
        select(Consent).where(Consent.id == consent_id, permissions.readable(principal))
    )
    if consent is None:
        raise NotFound("No such consent.")
    return consent


def list_readable(
    session: Session, principal: Principal, query: ConsentQuery
) -> tuple[list[Consent], str | None]:
    stmt = select(Consent).where(permissions.readable(principal))
    if query.person_id:
        stmt = stmt.where(Consent.person_id == query.person_id)
    if query.sgbv_case_id:
        stmt = stmt.where(Consent.sgbv_case_id == query.sgbv_case_id)
    if query.purpose:
        stmt = stmt.where(Consent.purpose == query.purpose.value)
    if query.in_force is True:
        stmt = stmt.where(Consent.withdrawn_at.is_(None))
    elif query.in_force is False:
        stmt = stmt.where(Consent.withdrawn_at.is_not(None))
    return keyset_page(
        session,
        stmt,
        created_at=Consent.created_at,
        record_id=Consent.id,
        limit=query.limit,
        cursor=query.cursor,
    )


def withdraw(
    session: Session,
    principal: Principal,
    consent: Consent,
    reason: str,
    *,
    if_match: str | None,
) -> Consent:
    check_if_match(if_match, consent.version)
    if consent.withdrawn_at is not None:
        raise Conflict("This consent was already withdrawn.")
    consent.withdrawn_at = utcnow()
    consent.withdrawn_by_id = principal.user_id
    consent.withdrawal_reason = reason
    session.flush()
    return consent


def covers_referral(
    session: Session,
    *,
    person_id: uuid.UUID | None,
    sgbv_case_id: uuid.UUID | None,
    actor: str,
    services: Iterable[str],
) -> bool:
    """Is a `services` consent in force that names this actor and every requested service?"""
    subject = Consent.person_id == person_id if person_id else Consent.sgbv_case_id == sgbv_case_id
    wanted = set(services)
    consents = session.scalars(
        select(Consent).where(
            subject,
            Consent.purpose == ConsentPurpose.services.value,
            Consent.withdrawn_at.is_(None),
            Consent.given_at <= utcnow(),
        )
    )
    return any(actor in c.actors and wanted <= set(c.services) for c in consents)


def to_read(consent: Consent) -> ConsentRead:
    return ConsentRead(
        id=consent.id,
        person_id=consent.person_id,
        sgbv_case_id=consent.sgbv_case_id,
        purpose=consent.purpose,
        actors=consent.actors,
        services=consent.services,
        given_by=consent.given_by,
        given_at=consent.given_at,
        in_force=consent.in_force,
        withdrawn_at=consent.withdrawn_at,
        withdrawal_reason=consent.withdrawal_reason,
        version=consent.version,
        created_at=consent.created_at,
    )
