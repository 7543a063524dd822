"""Every model, imported once so that Base.metadata is complete (Alembic, tests)."""

from casework.actors.models import Actor
from casework.attachments.models import Attachment
from casework.audit.models import AuditEntry
from casework.auth.models import ApiKey, LoginThrottle, Organization, User
from casework.consent.models import Consent
from casework.core.db import Base
from casework.counselling.models import CounsellingConcern, CounsellingSession
from casework.idempotency.models import IdempotencyRecord
from casework.incidents.models import Incident
from casework.integrations.models import KoboForm, KoboPullState, KoboSubmission
from casework.notifications.models import DeliveryAttempt, OutboxEvent, UserNotification
from casework.persons.models import Person, PersonEvent, PersonNameToken
from casework.referrals.models import Referral, ReferralEvent
from casework.repatriation.models import RepatriationEvent, RepatriationFile, RepatriationMember
from casework.sgbv.models import SgbvCase, SgbvCaseEvent
from casework.tasks.models import Task
from casework.transfers.models import Transfer, TransferEvent

__all__ = [
    "Actor",
    "ApiKey",
    "Attachment",
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
    "PersonNameToken",
    "Referral",
    "ReferralEvent",
    "RepatriationEvent",
    "RepatriationFile",
    "RepatriationMember",
    "SgbvCase",
    "SgbvCaseEvent",
    "Task",
    "Transfer",
    "TransferEvent",
    "User",
    "UserNotification",
]
