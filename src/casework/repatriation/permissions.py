"""Who sees repatriation files: the one place for their row-level scope.

- supervisor: files whose principal person was registered in their regions;
- caseworker, gbv_caseworker: files of their organisation;
- everyone else: 403.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, true

from casework.auth.principal import Principal
from casework.reference.vocabularies import Role
from casework.repatriation.models import RepatriationFile

HANDLERS = (Role.supervisor, Role.caseworker, Role.gbv_caseworker)


def readable(principal: Principal) -> ColumnElement[bool]:
    if principal.role is Role.supervisor:
        if not principal.regions:
            return true()
        return RepatriationFile.region.in_(sorted(principal.regions))
    if principal.role in (Role.caseworker, Role.gbv_caseworker) and principal.organization_id:
        return RepatriationFile.organization_id == principal.organization_id
    return false()
