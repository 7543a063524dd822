"""Consent records follow the visibility of the person or SGBV case they belong to."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_, select

from casework.auth.principal import Principal
from casework.consent.models import Consent
from casework.persons import permissions as person_permissions
from casework.persons.models import Person
from casework.reference.vocabularies import Role
from casework.sgbv import permissions as sgbv_permissions
from casework.sgbv.models import SgbvCase

HANDLERS = (Role.supervisor, Role.caseworker, Role.gbv_caseworker)


def readable(principal: Principal) -> ColumnElement[bool]:
    return or_(
        and_(
            Consent.person_id.is_not(None),
            Consent.person_id.in_(select(Person.id).where(person_permissions.readable(principal))),
        ),
        and_(
            Consent.sgbv_case_id.is_not(None),
            Consent.sgbv_case_id.in_(
                select(SgbvCase.id).where(sgbv_permissions.readable(principal))
            ),
        ),
    )
