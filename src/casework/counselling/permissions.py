"""Who sees counselling sessions: the one place for their row-level scope.

- supervisor: sessions in their regions (every region if none set);
- caseworker, gbv_caseworker: sessions of their organisation;
- everyone else: 403.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, true

from casework.auth.principal import Principal
from casework.counselling.models import CounsellingSession
from casework.reference.vocabularies import Role

HANDLERS = (Role.supervisor, Role.caseworker, Role.gbv_caseworker)


def readable(principal: Principal) -> ColumnElement[bool]:
    if principal.role is Role.supervisor:
        if not principal.regions:
            return true()
        return CounsellingSession.region.in_(sorted(principal.regions))
    if principal.role in (Role.caseworker, Role.gbv_caseworker) and principal.organization_id:
        return CounsellingSession.organization_id == principal.organization_id
    return false()


def may_hold_in(principal: Principal, region: str) -> bool:
    if principal.role is Role.supervisor:
        return principal.covers_region(region)
    return principal.role in HANDLERS
