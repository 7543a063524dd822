"""A person's timeline: counselling sessions, referrals and repatriation steps, in time order.

Each kind of entry is selected through its own domain's ``readable()`` filter,
so the timeline never shows what the caller could not read at its endpoint.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from casework.auth.principal import Principal
from casework.counselling import permissions as counselling_permissions
from casework.counselling.models import CounsellingSession
from casework.persons import service as person_service
from casework.reference.vocabularies import ReferralStatus
from casework.referrals import permissions as referral_permissions
from casework.referrals.models import Referral, ReferralEvent
from casework.repatriation import permissions as repatriation_permissions
from casework.repatriation.models import RepatriationEvent, RepatriationFile, RepatriationMember
from casework.timeline.schemas import Timeline, TimelineEntry


def person_timeline(session: Session, principal: Principal, person_id: uuid.UUID) -> Timeline:
    person_service.get_readable(session, principal, person_id)  # 404 outside scope
    entries: list[TimelineEntry] = []

    for visit in session.scalars(
        select(CounsellingSession).where(
            CounsellingSession.person_id == person_id,
            counselling_permissions.readable(principal),
        )
    ):
        entries.append(
            TimelineEntry(
                kind="counselling",
                at=datetime.combine(visit.held_on, time(), tzinfo=UTC),
                record_id=visit.id,
                title=f"Counselling at {visit.office}: {', '.join(visit.concerns)}",
            )
        )

    referral_events = session.execute(
        select(ReferralEvent, Referral)
        .join(Referral, Referral.id == ReferralEvent.referral_id)
        .where(Referral.person_id == person_id, referral_permissions.readable(principal))
        .order_by(ReferralEvent.seq)
    )
    for change, referral in referral_events:
        title = f"Referral to {referral.actor_code} ({', '.join(referral.services)})"
        if change.to_status == ReferralStatus.on_hold.value:
            title += ": on hold, consent withdrawn"
        elif change.from_status == ReferralStatus.on_hold.value and change.by_id is None:
            title += ": resumed, new consent recorded"
        entries.append(
            TimelineEntry(
                kind="referral",
                at=change.at,
                record_id=referral.id,
                title=title,
                status=change.to_status,
            )
        )

    in_household = or_(
        RepatriationFile.principal_person_id == person_id,
        RepatriationFile.id.in_(
            select(RepatriationMember.file_id).where(RepatriationMember.person_id == person_id)
        ),
    )
    repatriation_events = session.execute(
        select(RepatriationEvent, RepatriationFile)
        .join(RepatriationFile, RepatriationFile.id == RepatriationEvent.file_id)
        .where(in_household, repatriation_permissions.readable(principal))
        .order_by(RepatriationEvent.seq)
    )
    for step, household in repatriation_events:
        entries.append(
            TimelineEntry(
                kind="repatriation",
                at=step.at,
                record_id=household.id,
                title=f"Repatriation to {household.destination} ({household.country_of_origin})",
                status=step.to_status,
            )
        )

    entries.sort(key=lambda entry: (entry.at, entry.kind))
    return Timeline(person_id=person_id, items=entries)
