"""Who sees which referral: the one place for their row-level scope.

- supervisor: referrals in their regions (every region if none set), SGBV ones included;
- gbv_caseworker: referrals of their organisation, all kinds;
- caseworker: referrals of their organisation, except SGBV referrals;
- actor_focal_point: referrals addressed to their actor, never drafts, in a
  minimal view (see ``schemas.FocalPointReferralRead``);
- admin, monitor, reporting: 403.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, true

from casework.auth.principal import Principal
from casework.reference.vocabularies import ReferralKind, ReferralStatus, Role
from casework.referrals.models import Referral

READERS = (Role.supervisor, Role.caseworker, Role.gbv_caseworker, Role.actor_focal_point)
CREATORS = (Role.supervisor, Role.caseworker, Role.gbv_caseworker)


def readable(principal: Principal) -> ColumnElement[bool]:
    role = principal.role
    if role is Role.supervisor:
        return Referral.region.in_(sorted(principal.regions)) if principal.regions else true()
    if role is Role.gbv_caseworker and principal.organization_id:
        return Referral.organization_id == principal.organization_id
    if role is Role.caseworker and principal.organization_id:
        return and_(
            Referral.organization_id == principal.organization_id,
            Referral.kind != ReferralKind.sgbv.value,
        )
    if role is Role.actor_focal_point and principal.actor_code:
        return and_(
            Referral.actor_code == principal.actor_code,
            Referral.status != ReferralStatus.draft.value,
        )
    return false()


def may_refer(principal: Principal, kind: ReferralKind) -> bool:
    if kind is ReferralKind.sgbv:
        return principal.role in (Role.gbv_caseworker, Role.supervisor)
    return principal.role in CREATORS


def sees_minimum_only(principal: Principal) -> bool:
    return principal.role is Role.actor_focal_point
