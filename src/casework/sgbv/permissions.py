"""Need-to-know for SGBV cases, the most sensitive records we hold.

- gbv_caseworker: cases of their own organisation;
- supervisor: cases in their regions (every region if none set);
- everyone else: 403 on the endpoints; cases are never listed or shown to them.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, true

from casework.auth.principal import Principal
from casework.reference.vocabularies import Role
from casework.sgbv.models import SgbvCase

HANDLERS = (Role.supervisor, Role.gbv_caseworker)


def readable(principal: Principal) -> ColumnElement[bool]:
    if principal.role is Role.supervisor:
        return SgbvCase.region.in_(sorted(principal.regions)) if principal.regions else true()
    if principal.role is Role.gbv_caseworker and principal.organization_id:
        return SgbvCase.organization_id == principal.organization_id
    return false()


def may_open_in(principal: Principal, region: str) -> bool:
    if principal.role is Role.supervisor:
        return principal.covers_region(region)
    return principal.role is Role.gbv_caseworker
