"""Who may see and change persons of concern: the one place for their row-level scope.

- supervisor: persons in their regions (every region if none set);
- caseworker, gbv_caseworker: persons of their organisation;
- everyone else: no access to persons at all (403).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, true

from casework.auth.principal import Principal
from casework.persons.models import Person
from casework.reference.vocabularies import Role

HANDLERS = (Role.supervisor, Role.caseworker, Role.gbv_caseworker)


def readable(principal: Principal) -> ColumnElement[bool]:
    if principal.role is Role.supervisor:
        return Person.region.in_(sorted(principal.regions)) if principal.regions else true()
    if principal.role in (Role.caseworker, Role.gbv_caseworker) and principal.organization_id:
        return Person.organization_id == principal.organization_id
    return false()


def may_register_in(principal: Principal, region: str) -> bool:
    if principal.role is Role.supervisor:
        return principal.covers_region(region)
    return principal.role in HANDLERS
