"""Every model, imported once so that Base.metadata is complete (Alembic, tests)."""

from casework.actors.models import Actor
from casework.auth.models import LoginThrottle, Organization, User
from casework.consent.models import Consent
from casework.core.db import Base
from casework.incidents.models import Incident
from casework.persons.models import Person
from casework.referrals.models import Referral, ReferralEvent
from casework.sgbv.models import SgbvCase

__all__ = [
    "Actor",
    "Base",
    "Consent",
    "Incident",
    "LoginThrottle",
    "Organization",
    "Person",
    "Referral",
    "ReferralEvent",
    "SgbvCase",
    "User",
]
