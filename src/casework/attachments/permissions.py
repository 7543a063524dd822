"""Who sees an attachment: whoever may read its subject. The one place for their scope.

No rule of its own: each subject's domain ``readable()`` decides (persons, SGBV
cases, repatriation files, consents), so an attachment can never be seen by
someone its person, case, file or consent is hidden from. Roles that never see
those records (admin, monitor, focal point, reporting) get 403 on every route.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_, select

from casework.attachments.models import Attachment
from casework.auth.principal import Principal
from casework.consent import permissions as consent_permissions
from casework.consent.models import Consent
from casework.persons import permissions as person_permissions
from casework.persons.models import Person
from casework.reference.vocabularies import Role
from casework.repatriation import permissions as repatriation_permissions
from casework.repatriation.models import RepatriationFile
from casework.sgbv import permissions as sgbv_permissions
from casework.sgbv.models import SgbvCase

HANDLERS = (Role.supervisor, Role.caseworker, Role.gbv_caseworker)


def readable(principal: Principal) -> ColumnElement[bool]:
    return or_(
        and_(
            Attachment.person_id.is_not(None),
            Attachment.person_id.in_(
                select(Person.id).where(person_permissions.readable(principal))
            ),
        ),
        and_(
            Attachment.sgbv_case_id.is_not(None),
            Attachment.sgbv_case_id.in_(
                select(SgbvCase.id).where(sgbv_permissions.readable(principal))
            ),
        ),
        and_(
            Attachment.repatriation_file_id.is_not(None),
            Attachment.repatriation_file_id.in_(
                select(RepatriationFile.id).where(repatriation_permissions.readable(principal))
            ),
        ),
        and_(
            Attachment.consent_id.is_not(None),
            Attachment.consent_id.in_(
                select(Consent.id).where(consent_permissions.readable(principal))
            ),
        ),
    )
