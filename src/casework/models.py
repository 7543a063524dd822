"""Every model, imported once so that Base.metadata is complete (Alembic, tests)."""

from casework.actors.models import Actor
from casework.audit.models import AuditEntry
from casework.auth.models import ApiKey, LoginThrottle, Organization, User
from casework.consent.models import Consent
from casework.core.db import Base
from casework.counselling.models import CounsellingConcern, CounsellingSession
from casework.idempotency.models import IdempotencyRecord
from casework.incidents.models import Incident
from casework.integrations.models import KoboForm, KoboPullState, KoboSubmission
from casework.notifications.models import DeliveryAttempt, OutboxEvent, UserNotification
from casework.persons.models import Person, PersonEvent
from casework.referrals.models import Referral, ReferralEvent
from casework.repatriation.models import RepatriationEvent, RepatriationFile, RepatriationMember
from casework.sgbv.models import SgbvCase, SgbvCaseEvent
from casework.transfers.models import Transfer, TransferEvent

__all__ = [
    "Actor",
    "ApiKey",
    "AuditEntry",
    "Base",
    "Consent",
    "CounsellingConcern",
    "CounsellingSession",
    "DeliveryAttempt",
    "IdempotencyRecord",
    "Incident",
    "KoboForm",
    "KoboPullState",
    "KoboSubmission",
    "LoginThrottle",
    "Organization",
    "OutboxEvent",
    "Person",
    "PersonEvent",
    "Referral",
    "ReferralEvent",
    "RepatriationEvent",
    "RepatriationFile",
    "RepatriationMember",
    "SgbvCase",
    "SgbvCaseEvent",
    "Transfer",
    "TransferEvent",
    "User",
    "UserNotification",
]
