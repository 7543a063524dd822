"""Test data builders: users of every role in two organisations, and incidents."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.attachments import service as attachment_service
from casework.attachments import storage as attachment_storage
from casework.attachments.models import Attachment
from casework.auth import apikeys
from casework.auth import service as auth_service
from casework.auth.models import ApiKey, Organization, User
from casework.auth.principal import Principal, principal_for
from casework.consent import service as consent_service
from casework.consent.models import Consent
from casework.consent.schemas import ConsentCreate
from casework.core.config import get_settings
from casework.core.security import hash_password, issue_access_token
from casework.counselling import service as counselling_service
from casework.counselling.models import CounsellingSession
from casework.counselling.schemas import CounsellingCreate
from casework.incidents import service as incident_service
from casework.incidents.models import Incident
from casework.incidents.schemas import IncidentCreate
from casework.integrations import kobo
from casework.persons import service as person_service
from casework.persons.models import Person
from casework.persons.schemas import PersonCreate
from casework.reference.vocabularies import Role
from casework.referrals import service as referral_service
from casework.referrals.models import Referral
from casework.referrals.schemas import ReferralCreate, ReferralTransition
from casework.repatriation import service as repatriation_service
from casework.repatriation.models import RepatriationFile
from casework.repatriation.schemas import RepatriationCreate
from casework.sgbv import service as sgbv_service
from casework.sgbv.models import SgbvCase
from casework.sgbv.schemas import SgbvCaseCreate
from casework.tasks.models import Task
from casework.transfers import service as transfer_service
from casework.transfers.models import Transfer
from casework.transfers.schemas import TransferCreate, TransferTransition

PASSWORD = "correct horse battery staple"


@lru_cache
def password_hash() -> str:
    # Argon2 is slow on purpose; hash the shared test password once per run.
    return hash_password(PASSWORD)


def make_org(session: Session, code: str) -> Organization:
    return auth_service.get_or_create_organization(session, code, f"{code} (test)")


def make_user(
    session: Session,
    username: str,
    role: Role,
    organization: Organization | None = None,
    regions: tuple[str, ...] = (),
    actor: str | None = None,
) -> User:
    user = User(
        username=username,
        password_hash=password_hash(),
        role=role.value,
        organization=organization,
        regions=sorted(regions),
        actor_code=actor,
    )
    session.add(user)
    session.flush()
    return user


def token_for(user: User, lifetime: timedelta = timedelta(minutes=30)) -> str:
    return issue_access_token(
        user_id=user.id,
        generation=user.token_generation,
        key=get_settings().signing_key(),
        lifetime=lifetime,
    )


def auth(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(user)}"}


def principal_of(user: User) -> Principal:
    return principal_for(user)


def incident_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "occurred_on": (datetime.now(UTC).date() - timedelta(days=3)).isoformat(),
        "region": "ML07",
        "admin2": "ML0701",
        "locality": "Ansongo market",
        "incident_type": "extortion",
        "perpetrator_category": "armed_group",
        "population_group": "idp",
        "victims": {"female_adults": 1, "male_adults": 2},
        "urgency": "normal",
        "description": "Extortion at a checkpoint on the Ansongo road.",
    }
    body.update(overrides)
    return body


def make_incident(session: Session, by: User, **overrides: Any) -> Incident:
    data = IncidentCreate.model_validate(incident_body(**overrides))
    outcome = incident_service.create_incident(
        session, principal_of(by), data, get_settings().code_set
    )
    return outcome.incident


def person_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "registration_number": "MLI-GAO-000123",
        "full_name": "Aminata Maïga",
        "phone": "+223 76 12 34 56",
        "sex": "female",
        "birth_year": 1991,
        "nationality": "MLI",
        "population_group": "idp",
        "region": "ML07",
    }
    body.update(overrides)
    return body


def case_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "survivor_code": "GAO-2026-001",
        "gbv_type": "physical_assault",
        "occurred_on": (datetime.now(UTC).date() - timedelta(days=10)).isoformat(),
        "region": "ML07",
        "admin2": "ML0703",
        "services_needed": ["medical", "psychosocial"],
        "narrative": "Survivor assaulted while collecting firewood outside the site.",
    }
    body.update(overrides)
    return body


def consent_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "purpose": "services",
        "actors": ["CVJR"],
        "services": ["legal", "psychosocial"],
        "given_by": "person",
        "given_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
    }
    body.update(overrides)
    return body


def counselling_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "held_on": (datetime.now(UTC).date() - timedelta(days=2)).isoformat(),
        "office": "Bamako reception",
        "concerns": ["documentation", "medical"],
        "notes": "Lost her card crossing from Ménaka; needs a replacement to travel.",
        "outcome": "Referred for documentation.",
    }
    body.update(overrides)
    return body


def repatriation_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "household_size": 3,
        "country_of_asylum": "MLI",
        "country_of_origin": "CAF",
        "destination": "Bangui",
    }
    body.update(overrides)
    return body


def make_session(session: Session, by: User, **overrides: Any) -> CounsellingSession:
    data = CounsellingCreate.model_validate(counselling_body(**overrides))
    record, _ = counselling_service.record_session(
        session, principal_of(by), data, get_settings().code_set
    )
    return record


def make_file(session: Session, by: User, **overrides: Any) -> RepatriationFile:
    data = RepatriationCreate.model_validate(repatriation_body(**overrides))
    record, _ = repatriation_service.register_file(session, principal_of(by), data)
    return record


def make_person(session: Session, by: User, **overrides: Any) -> Person:
    data = PersonCreate.model_validate(person_body(**overrides))
    person, _ = person_service.create_person(
        session, principal_of(by), data, get_settings().code_set
    )
    return person


def make_case(session: Session, by: User, **overrides: Any) -> SgbvCase:
    data = SgbvCaseCreate.model_validate(case_body(**overrides))
    case, _ = sgbv_service.open_case(session, principal_of(by), data, get_settings().code_set)
    return case


def make_consent(session: Session, by: User, **overrides: Any) -> Consent:
    data = ConsentCreate.model_validate(consent_body(**overrides))
    consent, _ = consent_service.record_consent(session, principal_of(by), data)
    return consent


# The smallest files of each accepted type (their magic bytes, then some content).
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(64)) + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(32)
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(32)


def make_attachment(
    session: Session,
    by: User,
    content: bytes = PDF,
    filename: str = "signed-form.pdf",
    kind: str = "other",
    **subject: str,
) -> Attachment:
    settings = get_settings()
    return attachment_service.attach_bytes(
        session,
        principal_of(by),
        attachment_storage.store_for(settings),
        settings.keyring(),
        content,
        filename,
        {"kind": kind, **subject},
    )


def make_referral(
    session: Session, by: User, *, to: tuple[str, ...] = (), **fields: Any
) -> Referral:
    """Create a referral and walk it through the given statuses."""
    body = {"actor": "CVJR", "services": ["legal"], **fields}
    referral, _ = referral_service.create_referral(
        session, principal_of(by), ReferralCreate.model_validate(body)
    )
    for status in to:
        referral_service.transition(
            session,
            principal_of(by),
            referral,
            ReferralTransition(to=status, note="ok" if status == "declined" else None),
            get_settings(),
            if_match=None,
        )
    return referral


@dataclass
class World:
    """Two organisations (A works in Gao ML07, B in Mopti ML05) and one user per role."""

    org_a: Organization
    org_b: Organization
    users: dict[str, User] = field(default_factory=dict)
    incidents: dict[str, Incident] = field(default_factory=dict)
    persons: dict[str, Person] = field(default_factory=dict)
    cases: dict[str, SgbvCase] = field(default_factory=dict)
    sessions: dict[str, CounsellingSession] = field(default_factory=dict)
    files: dict[str, RepatriationFile] = field(default_factory=dict)
    consents: dict[str, Consent] = field(default_factory=dict)
    referrals: dict[str, Referral] = field(default_factory=dict)
    attachments: dict[str, Attachment] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)
    transfers: dict[str, Transfer] = field(default_factory=dict)
    api_key: ApiKey | None = None
    api_key_secret: str = ""
    kobo_form: str = ""
    kobo_submission: uuid.UUID | None = None

    def user(self, name: str) -> User:
        return self.users[name]

    def by_role(self, role: Role) -> User:
        """The organisation-A (or unscoped) user of a role, as used by the role matrix."""
        return self.users[ROLE_REPRESENTATIVE[role]]


ROLE_REPRESENTATIVE = {
    Role.admin: "admin",
    Role.supervisor: "supervisor_a",
    Role.monitor: "monitor_a",
    Role.caseworker: "caseworker_a",
    Role.gbv_caseworker: "gbv_a",
    Role.actor_focal_point: "focal_cvjr",
    Role.reporting: "reporting",
}


def build_world(session: Session) -> World:
    org_a, org_b = make_org(session, "ORGA"), make_org(session, "ORGB")
    world = World(org_a=org_a, org_b=org_b)
    specs: list[tuple[str, Role, Organization | None, tuple[str, ...], str | None]] = [
        ("admin", Role.admin, None, (), None),
        ("supervisor_a", Role.supervisor, org_a, ("ML07",), None),
        ("supervisor_mopti", Role.supervisor, org_b, ("ML05",), None),
        ("supervisor_all", Role.supervisor, org_b, (), None),
        ("monitor_a", Role.monitor, org_a, ("ML07",), None),
        ("monitor_a2", Role.monitor, org_a, ("ML07", "ML10"), None),
        ("monitor_b", Role.monitor, org_b, ("ML05",), None),
        ("caseworker_a", Role.caseworker, org_a, (), None),
        ("caseworker_b", Role.caseworker, org_b, (), None),
        ("gbv_a", Role.gbv_caseworker, org_a, (), None),
        ("gbv_b", Role.gbv_caseworker, org_b, (), None),
        ("focal_cvjr", Role.actor_focal_point, None, (), "CVJR"),
        ("reporting", Role.reporting, None, (), None),
    ]
    for username, role, organization, regions, actor in specs:
        world.users[username] = make_user(session, username, role, organization, regions, actor)
    world.incidents["a_gao"] = make_incident(session, world.user("monitor_a"))
    world.persons["a"] = make_person(session, world.user("caseworker_a"))
    world.persons["b"] = make_person(
        session,
        world.user("caseworker_b"),
        registration_number="MLI-MOP-000777",
        full_name="Oumar Cissé",
        sex="male",
        region="ML05",
    )
    world.cases["a"] = make_case(session, world.user("gbv_a"))
    world.consents["a"] = make_consent(
        session, world.user("caseworker_a"), person_id=str(world.persons["a"].id)
    )
    make_consent(
        session,
        world.user("gbv_a"),
        sgbv_case_id=str(world.cases["a"].id),
        given_by="survivor",
        services=["legal", "psychosocial"],
    )
    world.referrals["person_sent"] = make_referral(
        session, world.user("caseworker_a"), person_id=str(world.persons["a"].id), to=("sent",)
    )
    world.referrals["sgbv_sent"] = make_referral(
        session,
        world.user("gbv_a"),
        sgbv_case_id=str(world.cases["a"].id),
        services=["psychosocial"],
        note="Survivor prefers a female counsellor.",
        to=("sent",),
    )
    # Sending made its sender's follow-up task.
    world.tasks["person_sent"] = session.scalars(
        select(Task).where(Task.referral_id == world.referrals["person_sent"].id)
    ).one()
    world.referrals["draft"] = make_referral(
        session, world.user("caseworker_a"), person_id=str(world.persons["a"].id)
    )
    world.persons["refugee"] = make_person(
        session,
        world.user("caseworker_a"),
        registration_number="CAF-GAO-000042",
        full_name="Jean-Baptiste Ngaïkoumon",
        sex="male",
        nationality="CAF",
        population_group="refugee",
    )
    world.persons["refugee_child"] = make_person(
        session,
        world.user("caseworker_a"),
        registration_number="CAF-GAO-000043",
        full_name="Grâce Ngaïkoumon",
        sex="female",
        birth_year=2015,
        nationality="CAF",
        population_group="refugee",
    )
    world.sessions["a"] = make_session(
        session, world.user("caseworker_a"), person_id=str(world.persons["a"].id)
    )
    world.files["a"] = make_file(
        session,
        world.user("caseworker_a"),
        principal_person_id=str(world.persons["refugee"].id),
        member_person_ids=[str(world.persons["refugee_child"].id)],
    )
    world.attachments["a"] = make_attachment(
        session, world.user("caseworker_a"), person_id=str(world.persons["a"].id)
    )
    world.api_key, world.api_key_secret = apikeys.create(
        session, "Cluster dashboard", world.user("admin").id
    )
    form, _secret = kobo.create_form(
        session,
        "pm-world",
        "World form",
        org_a.id,
        world.user("monitor_a"),
        {"fields": {"region": "location/region"}},
    )
    world.kobo_form = form.code
    world.kobo_submission = kobo.receive(session, form, {"_uuid": "world-1"}).submission.id
    world.incidents["b_mopti"] = make_incident(
        session,
        world.user("monitor_b"),
        region="ML05",
        admin2="ML0506",
        incident_type="robbery",
        description="Cattle stolen near Mopti.",
    )
    session.flush()
    return world


def make_transfer(
    session: Session,
    by: User,
    *,
    to: str = "ORGB",
    decided_by: User | None = None,
    decision: str = "accepted",
    **fields: Any,
) -> Transfer:
    """Request a transfer (and have ``decided_by`` accept, reject or cancel it)."""
    body = {"to_organization": to, "note": "The family moved.", **fields}
    transfer, _ = transfer_service.request_transfer(
        session, principal_of(by), TransferCreate.model_validate(body)
    )
    if decided_by is not None:
        note = "Not our area." if decision == "rejected" else None
        transfer_service.transition(
            session,
            principal_of(decided_by),
            transfer,
            TransferTransition.model_validate({"to": decision, "note": note}),
            if_match=None,
        )
    return transfer


def data_sharing_body(**overrides: Any) -> dict[str, Any]:
    return consent_body(purpose="data_sharing", actors=[], services=[], **overrides)


def add_case_management(session: Session, world: World) -> World:
    """Case-management fixtures on top of ``build_world``: a second GBV caseworker in A,
    one in B, data_sharing consents, and a person of A with a pending transfer to B."""
    world.users["gbv_a2"] = make_user(session, "gbv_a2", Role.gbv_caseworker, world.org_a)
    world.users["caseworker_a2"] = make_user(session, "caseworker_a2", Role.caseworker, world.org_a)
    caseworker = world.user("caseworker_a")
    world.consents["sharing_a"] = make_consent(
        session, caseworker, **data_sharing_body(person_id=str(world.persons["a"].id))
    )
    world.consents["sharing_case_a"] = make_consent(
        session,
        world.user("gbv_a"),
        **data_sharing_body(sgbv_case_id=str(world.cases["a"].id), given_by="survivor"),
    )
    world.persons["moving"] = make_person(
        session,
        caseworker,
        registration_number="MLI-GAO-000555",
        full_name="Fatoumata Diallo",
        birth_year=1988,
    )
    make_consent(
        session, caseworker, **data_sharing_body(person_id=str(world.persons["moving"].id))
    )
    world.transfers["pending"] = make_transfer(
        session, caseworker, person_id=str(world.persons["moving"].id)
    )
    session.flush()
    return world


def today() -> date:
    return datetime.now(UTC).date()
