"""Who sees and moves transfers: the one place for their row-level scope.

- supervisor: transfers of cases in their regions (every region if none set),
  and those from or to their own organisation;
- gbv_caseworker: transfers from or to their organisation, both kinds;
- caseworker: transfers of persons from or to their organisation (never SGBV);
- everyone else: 403.

Deciding (accept, reject) is for the receiving organisation: its caseworkers
(GBV caseworkers for SGBV cases) and supervisors. Cancelling is for the sending
side: whoever asked, the case's owner, or a supervisor who sees the transfer
and does not belong to the receiving organisation.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, true

from casework.auth.principal import Principal
from casework.reference.vocabularies import Role
from casework.transfers.models import Transfer

HANDLERS = (Role.supervisor, Role.caseworker, Role.gbv_caseworker)


def _own_organization(principal: Principal) -> ColumnElement[bool]:
    if principal.organization_id is None:
        return false()
    return or_(
        Transfer.from_organization_id == principal.organization_id,
        Transfer.to_organization_id == principal.organization_id,
    )


def readable(principal: Principal) -> ColumnElement[bool]:
    role = principal.role
    if role is Role.supervisor:
        region = Transfer.region.in_(sorted(principal.regions)) if principal.regions else true()
        return or_(region, _own_organization(principal))
    if role is Role.gbv_caseworker:
        return _own_organization(principal)
    if role is Role.caseworker:
        return and_(_own_organization(principal), Transfer.kind == "person")
    return false()


def may_request(principal: Principal, owner_id: object) -> bool:
    """Asking to transfer a case: its owner, or a supervisor (who sees it)."""
    return principal.role is Role.supervisor or principal.user_id == owner_id


def may_decide(principal: Principal, transfer: Transfer) -> bool:
    if principal.organization_id != transfer.to_organization_id:
        return False
    if transfer.kind == "sgbv":
        return principal.role in (Role.gbv_caseworker, Role.supervisor)
    return principal.role in HANDLERS


def may_cancel(principal: Principal, transfer: Transfer, owner_id: object) -> bool:
    if principal.user_id in (transfer.requested_by_id, owner_id):
        return True
    return (
        principal.role is Role.supervisor
        and principal.organization_id != transfer.to_organization_id
    )
