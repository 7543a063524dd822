"""Who may do what with incidents: the one place for their row-level scope.

- supervisor: create, read and edit in their regions (every region if none set);
- monitor: create in their regions; read their organisation's incidents; edit
  those of their organisation that lie in their regions;
- caseworker, gbv_caseworker: read their organisation's incidents (to refer);
- admin, actor_focal_point, reporting: no record-level access (403).

Every get and list goes through ``readable()``: records outside it are 404.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, true

from casework.auth.principal import Principal
from casework.incidents.models import Incident
from casework.reference.vocabularies import Role

CREATORS = (Role.supervisor, Role.monitor)
READERS = (Role.supervisor, Role.monitor, Role.caseworker, Role.gbv_caseworker)
EDITORS = (Role.supervisor, Role.monitor)


def readable(principal: Principal) -> ColumnElement[bool]:
    """SQL condition selecting the incidents this principal may read."""
    if principal.role is Role.supervisor:
        if not principal.regions:
            return true()
        return Incident.region.in_(sorted(principal.regions))
    if principal.role in READERS and principal.organization_id is not None:
        return Incident.organization_id == principal.organization_id
    return false()


def may_create_in(principal: Principal, region: str) -> bool:
    return principal.role in CREATORS and principal.covers_region(region)


def may_edit(principal: Principal, incident: Incident) -> bool:
    if principal.role is Role.supervisor:
        return principal.covers_region(incident.region)
    if principal.role is Role.monitor:
        return incident.organization_id == principal.organization_id and principal.covers_region(
            incident.region
        )
    return False


def may_change_status(principal: Principal) -> bool:
    return principal.role is Role.supervisor


def sees_description(principal: Principal, incident: Incident) -> bool:
    """Descriptions are shown only to supervisors and the submitting organisation."""
    return principal.role is Role.supervisor or (
        principal.organization_id is not None
        and incident.organization_id == principal.organization_id
    )
