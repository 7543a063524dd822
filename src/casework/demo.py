"""Demo data: organisations, one user of every role, and incidents across northern and central Mali.

Idempotent: records have fixed ids or names and are created only when missing.
Passwords are random and printed once, when a user is created (or with
``--reset-passwords``). Refused in production.
"""

from __future__ import annotations

import random
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.auth import service as auth_service
from casework.auth.models import User
from casework.auth.principal import Principal, principal_for
from casework.auth.schemas import UserCreate
from casework.core.config import Environment, Settings, get_settings
from casework.core.db import new_session
from casework.core.security import hash_password
from casework.incidents import service as incident_service
from casework.incidents.models import Incident
from casework.incidents.schemas import IncidentCreate, Victims
from casework.reference.codesets import get_code_set
from casework.reference.vocabularies import (
    IncidentType,
    PerpetratorCategory,
    PopulationGroup,
    Role,
    Urgency,
)

DEMO_NAMESPACE = uuid.UUID("6f1c2a0e-3b7d-4a51-9c1e-2f8a7d5b4c10")
ORGANIZATIONS = {
    "SPP": "Sahel Protection Partners (demo)",
    "NRA": "Niger River Aid (demo)",
}


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: Role
    organization: str | None = None
    regions: tuple[str, ...] = ()
    actor: str | None = None


DEMO_USERS = (
    DemoUser("admin", Role.admin),
    DemoUser("supervisor", Role.supervisor, "SPP", ("ML05", "ML06", "ML07", "ML08", "ML10")),
    DemoUser("monitor.gao", Role.monitor, "SPP", ("ML07", "ML10")),
    DemoUser("monitor.mopti", Role.monitor, "NRA", ("ML05", "ML06")),
    DemoUser("caseworker", Role.caseworker, "SPP", ("ML07",)),
    DemoUser("gbv.caseworker", Role.gbv_caseworker, "SPP", ("ML07",)),
    DemoUser("caseworker.ansongo", Role.caseworker, "SPP", ("ML07",)),
    DemoUser("caseworker.mopti", Role.caseworker, "NRA", ("ML05",)),
    DemoUser("focal.cvjr", Role.actor_focal_point, actor="CVJR"),
    DemoUser("reporting", Role.reporting),
)

# Who submits the demo incidents of each region.
SUBMITTER_BY_REGION = {
    "ML07": "monitor.gao",  # Gao
    "ML10": "monitor.gao",  # Ménaka
    "ML05": "monitor.mopti",  # Mopti
    "ML06": "monitor.mopti",  # Tombouctou
    "ML08": "supervisor",  # Kidal
}
DEMO_INCIDENTS = 40


def load_demo(*, reset_passwords: bool = False, console: Console | None = None) -> None:
    settings = get_settings()
    if settings.env is Environment.production:
        raise SystemExit("casework demo is refused in production")
    console = console or Console()
    with new_session() as session:
        passwords = _ensure_users(session, settings, reset_passwords=reset_passwords)
        created = _ensure_incidents(session, settings)
        cases = _ensure_cases(session, settings)
        reception = _ensure_reception_and_repatriation(session, settings)
        management = _ensure_case_management(session, settings)
        session.commit()

    # Plain aligned lines, never truncated: the passwords must be copyable.
    console.print("[bold]casework demo users[/bold]")
    header = f"{'username':<16} {'role':<18} {'org':<5} {'regions':<26} {'actor':<6} password"
    console.print(header, highlight=False, soft_wrap=True)
    for demo_user in DEMO_USERS:
        password = passwords.get(demo_user.username, "(unchanged; --reset-passwords)")
        console.print(
            f"{demo_user.username:<16} {demo_user.role.value:<18} "
            f"{demo_user.organization or '-':<5} {' '.join(demo_user.regions) or '-':<26} "
            f"{demo_user.actor or '-':<6} {password}",
            highlight=False,
            soft_wrap=True,
        )
    if passwords:
        console.print("[bold]These passwords are shown once. Note them now.[/bold]")
    console.print(f"demo incidents: {created} created, {DEMO_INCIDENTS - created} already present")
    console.print(f"demo persons, SGBV case, consents and referrals: {cases} created")
    console.print(f"demo counselling sessions and repatriation files: {reception} created")
    console.print(f"demo assignments, closure request and transfer: {management} created")


def _ensure_users(session: Session, settings: Settings, *, reset_passwords: bool) -> dict[str, str]:
    passwords: dict[str, str] = {}
    for code, name in ORGANIZATIONS.items():
        auth_service.get_or_create_organization(session, code, name)
    for demo_user in DEMO_USERS:
        existing = session.scalar(select(User).where(User.username == demo_user.username))
        password = secrets.token_urlsafe(12)
        if existing is None:
            auth_service.create_user(
                session,
                UserCreate(
                    username=demo_user.username,
                    password=password,
                    role=demo_user.role,
                    organization=demo_user.organization,
                    regions=list(demo_user.regions),
                    actor=demo_user.actor,
                ),
                settings,
                create_missing_organization=True,
            )
            passwords[demo_user.username] = password
        elif reset_passwords:
            existing.password_hash = hash_password(password)
            existing.token_generation += 1
            passwords[demo_user.username] = password
    session.flush()
    return passwords


def _ensure_incidents(session: Session, settings: Settings) -> int:
    code_set = get_code_set(settings.code_set)
    users = {u.username: u for u in session.scalars(select(User))}
    rng = random.Random(20170531)  # noqa: S311 - demo data, not security
    today = datetime.now(UTC).date()
    weighted_types = [
        IncidentType.extortion,
        IncidentType.extortion,
        IncidentType.robbery,
        IncidentType.robbery,
        IncidentType.death_threat,
        IncidentType.injury,
        IncidentType.killing,
        IncidentType.abduction,
        IncidentType.early_forced_marriage,
        IncidentType.property_destruction,
        IncidentType.forced_displacement,
        IncidentType.explosive_ordnance,
    ]
    regions = list(SUBMITTER_BY_REGION)
    created = 0
    for number in range(DEMO_INCIDENTS):
        region = regions[number % len(regions)]
        admin2 = rng.choice(code_set.regions[region].admin2).pcode
        incident_type = rng.choice(weighted_types)
        data = IncidentCreate(
            id=uuid.uuid5(DEMO_NAMESPACE, f"incident-{number}"),
            occurred_on=today - timedelta(days=rng.randint(1, 180)),
            region=region,
            admin2=admin2,
            locality=None,
            incident_type=incident_type,
            perpetrator_category=rng.choice(list(PerpetratorCategory)),
            population_group=rng.choice(list(PopulationGroup)),
            victims=Victims(
                female_adults=rng.randint(0, 2),
                male_adults=rng.randint(0, 3),
                female_children=rng.randint(0, 1),
                male_children=rng.randint(0, 1),
            ),
            urgency=Urgency.urgent if rng.random() < 0.2 else Urgency.normal,
            description=f"Demo {incident_type.value.replace('_', ' ')} report #{number}.",
        )
        if session.get(Incident, data.id) is not None:
            continue  # dates are relative to the first run: never replay them
        submitter = principal_for(users[SUBMITTER_BY_REGION[region]])
        outcome = incident_service.create_incident(session, submitter, data, code_set.name)
        created += outcome.created
    return created


DEMO_ACTORS = {
    "HC_GAO": ("Gao regional hospital (demo)", ["medical", "psychosocial"]),
    "LEGAL_AID_MOPTI": ("Legal aid clinic, Mopti (demo)", ["documentation", "legal"]),
}


def _ensure_cases(session: Session, settings: Settings) -> int:
    """Persons, an SGBV case, consents and referrals in several statuses (fixed ids)."""
    from casework.actors import service as actor_service
    from casework.actors.schemas import ActorCreate
    from casework.consent import service as consent_service
    from casework.consent.models import Consent
    from casework.consent.schemas import ConsentCreate
    from casework.persons import service as person_service
    from casework.persons.schemas import PersonCreate
    from casework.referrals import service as referral_service
    from casework.referrals.schemas import ReferralCreate, ReferralTransition
    from casework.sgbv import service as sgbv_service
    from casework.sgbv.models import SgbvCase
    from casework.sgbv.schemas import SgbvCaseCreate

    for code, (name, services) in DEMO_ACTORS.items():
        if actor_service.get_by_code(session, code) is None:
            actor_service.create_actor(
                session,
                ActorCreate(code=code, name=name, services=services),
            )
    users = {u.username: principal_for(u) for u in session.scalars(select(User))}
    caseworker, gbv = users["caseworker"], users["gbv.caseworker"]
    focal = users["focal.cvjr"]

    def demo_id(name: str) -> uuid.UUID:
        return uuid.uuid5(DEMO_NAMESPACE, name)

    created = 0
    person, new = person_service.create_person(
        session,
        caseworker,
        PersonCreate(
            id=demo_id("person-1"),
            registration_number="MLI-GAO-000101",
            full_name="Aïssata Maïga (demo)",
            phone="+223 70 00 00 01",
            sex="female",
            birth_year=1988,
            nationality="MLI",
            population_group="idp",
            region="ML07",
        ),
        settings.code_set,
    )
    created += new
    existing_case = session.get(SgbvCase, demo_id("case-1"))
    case, new = (
        (existing_case, False)
        if existing_case
        else sgbv_service.open_case(
            session,
            gbv,
            SgbvCaseCreate(
                id=demo_id("case-1"),
                survivor_code="GAO-2026-001",
                gbv_type="physical_assault",
                occurred_on=datetime.now(UTC).date() - timedelta(days=12),
                region="ML07",
                admin2="ML0703",
                services_needed=["medical", "psychosocial"],
                narrative="(demo) Assaulted on the way to the water point.",
            ),
            settings.code_set,
        )
    )
    created += new
    given_at = datetime.now(UTC) - timedelta(days=1)
    for name, principal, subject, actors, services in (
        ("consent-1", caseworker, {"person_id": person.id}, ["CVJR"], ["legal", "psychosocial"]),
        ("consent-2", gbv, {"sgbv_case_id": case.id}, ["HC_GAO"], ["medical", "psychosocial"]),
    ):
        if session.get(Consent, demo_id(name)) is not None:
            continue
        _, new = consent_service.record_consent(
            session,
            principal,
            ConsentCreate(
                id=demo_id(name),
                purpose="services",
                actors=actors,
                services=services,
                given_by="survivor" if "sgbv_case_id" in subject else "person",
                given_at=given_at,
                **subject,
            ),
        )
        created += new

    first_incident = uuid.uuid5(DEMO_NAMESPACE, "incident-0")
    walks: list[tuple[str, Principal, dict[str, object], list[tuple[Principal, str]]]] = [
        (
            "referral-1",
            caseworker,
            {"person_id": person.id, "actor": "CVJR", "services": ["legal"]},
            [(caseworker, "sent"), (focal, "acknowledged")],
        ),
        (
            "referral-2",
            gbv,
            {
                "sgbv_case_id": case.id,
                "actor": "HC_GAO",
                "services": ["medical"],
                "urgency": "urgent",
            },
            [(gbv, "sent")],
        ),
        (
            "referral-3",
            caseworker,
            {"incident_id": first_incident, "actor": "RRM", "services": ["shelter"]},
            [],
        ),
    ]
    for name, principal, fields, steps in walks:
        referral, new = referral_service.create_referral(
            session, principal, ReferralCreate.model_validate({"id": demo_id(name), **fields})
        )
        created += new
        if new:
            for actor, status in steps:
                referral_service.transition(
                    session,
                    actor,
                    referral,
                    ReferralTransition(to=status),
                    settings,
                    if_match=None,
                )
    session.flush()
    return created


# Central African households in Bamako preparing to go home: (file, destination, steps taken).
DEMO_HOUSEHOLDS = [
    ("household-1", "Bangui", "CF71", ["counselled", "voluntariness_verified", "documents_ready"]),
    ("household-2", "Carnot", "CF42", ["counselled"]),
    (
        "household-3",
        "Bangui",
        "CF71",
        ["counselled", "voluntariness_verified", "documents_ready", "departed", "arrived"],
    ),
    ("household-4", "Berbérati", None, ["counselled", "suspended"]),
    ("household-5", "Carnot", "CF42", []),
]
RECEPTION_CONCERNS = [
    ["documentation"],
    ["medical", "financial_assistance"],
    ["income_generation", "financial_assistance"],
    ["repatriation", "documentation"],
    ["education"],
    ["documentation", "legal"],
    ["shelter", "security"],
    ["repatriation"],
]


def _ensure_reception_and_repatriation(session: Session, settings: Settings) -> int:
    """A weekly reception day in Bamako and repatriation files in several statuses."""
    from casework.counselling import service as counselling_service
    from casework.counselling.models import CounsellingSession
    from casework.counselling.schemas import CounsellingCreate
    from casework.persons import service as person_service
    from casework.persons.models import Person
    from casework.persons.schemas import PersonCreate
    from casework.repatriation import service as repatriation_service
    from casework.repatriation.models import RepatriationFile
    from casework.repatriation.schemas import RepatriationCreate, RepatriationTransition

    caseworker = principal_for(
        session.scalars(select(User).where(User.username == "caseworker")).one()
    )
    rng = random.Random(1408)  # noqa: S311 - demo data, not security
    created = 0
    reception_day = datetime.now(UTC).date() - timedelta(days=7)  # last week's reception
    for number, concerns in enumerate(RECEPTION_CONCERNS):
        session_id = uuid.uuid5(DEMO_NAMESPACE, f"counselling-{number}")
        if session.get(CounsellingSession, session_id) is not None:
            continue
        counselling_service.record_session(
            session,
            caseworker,
            CounsellingCreate(
                id=session_id,
                held_on=reception_day,
                office="Bamako reception (demo)",
                sex=rng.choice(["female", "male"]),
                age_group=rng.choice(["18-59", "18-59", "60+", "12-17"]),
                population_group=rng.choice(["refugee", "asylum_seeker"]),
                region="ML09",
                concerns=concerns,
                notes="(demo) Notes of the conversation.",
            ),
            settings.code_set,
        )
        created += 1

    for number, (name, destination, pcode, steps) in enumerate(DEMO_HOUSEHOLDS):
        file_id = uuid.uuid5(DEMO_NAMESPACE, name)
        if session.get(RepatriationFile, file_id) is not None:
            continue
        members = []
        for member in range(1 + number % 3):
            person_id = uuid.uuid5(DEMO_NAMESPACE, f"{name}-person-{member}")
            if session.get(Person, person_id) is None:
                person_service.create_person(
                    session,
                    caseworker,
                    PersonCreate(
                        id=person_id,
                        registration_number=f"CAF-BKO-{number:03d}{member}",
                        full_name=f"Demo refugee {number}.{member}",
                        sex="female" if member % 2 else "male",
                        birth_year=1980 + 7 * member,
                        nationality="CAF",
                        population_group="refugee",
                        region="ML09",
                    ),
                    settings.code_set,
                )
            members.append(person_id)
        record, _ = repatriation_service.register_file(
            session,
            caseworker,
            RepatriationCreate(
                id=file_id,
                principal_person_id=members[0],
                member_person_ids=members[1:],
                household_size=len(members) + 1,
                country_of_asylum="MLI",
                country_of_origin="CAF",
                destination=destination,
                destination_pcode=pcode,
            ),
        )
        for step in steps:
            repatriation_service.transition(
                session,
                caseworker,
                record,
                RepatriationTransition(
                    to=step,
                    note="(demo) Road to the border closed." if step == "suspended" else None,
                ),
                if_match=None,
            )
        created += 1
    session.flush()
    return created


def _ensure_case_management(session: Session, settings: Settings) -> int:
    """Owners, an SGBV closure waiting for the supervisor, and a transfer waiting for NRA."""
    from casework.cases import service as case_service
    from casework.cases.schemas import AssignRequest, SgbvCaseTransition
    from casework.consent import service as consent_service
    from casework.consent.schemas import ConsentCreate
    from casework.persons import service as person_service
    from casework.persons.models import Person
    from casework.persons.schemas import PersonCreate
    from casework.sgbv import service as sgbv_service
    from casework.sgbv.models import SgbvCase
    from casework.sgbv.schemas import SgbvCaseCreate
    from casework.transfers import service as transfer_service
    from casework.transfers.models import Transfer
    from casework.transfers.schemas import TransferCreate

    users = {u.username: u for u in session.scalars(select(User))}
    caseworker, gbv = principal_for(users["caseworker"]), principal_for(users["gbv.caseworker"])
    created = 0

    def demo_id(name: str) -> uuid.UUID:
        return uuid.uuid5(DEMO_NAMESPACE, name)

    # A Bamako refugee household handed to a colleague.
    handed = session.get(Person, demo_id("household-2-person-0"))
    colleague = users["caseworker.ansongo"]
    if handed is not None and handed.owner_id == caseworker.user_id:
        case_service.assign(
            session,
            caseworker,
            handed,
            AssignRequest(owner=str(colleague.id), note="(demo) Handover before leave."),
            if_match=None,
        )
        created += 1

    # An SGBV case whose owner asked to close it: the supervisor approves or rejects.
    if session.get(SgbvCase, demo_id("case-2")) is None:
        case, _ = sgbv_service.open_case(
            session,
            gbv,
            SgbvCaseCreate(
                id=demo_id("case-2"),
                survivor_code="GAO-2026-002",
                gbv_type="psychological_abuse",
                occurred_on=datetime.now(UTC).date() - timedelta(days=60),
                region="ML07",
                services_needed=["psychosocial"],
                narrative="(demo) Threats by a relative; counselling completed.",
            ),
            settings.code_set,
        )
        case_service.transition(
            session,
            gbv,
            case,
            SgbvCaseTransition(to="closure_requested", note="(demo) Care plan completed."),
            if_match=None,
        )
        created += 1

    # A family moving from Gao to Mopti: SPP asked NRA to take over; NRA has not answered.
    if session.get(Transfer, demo_id("transfer-1")) is None:
        person = session.get(Person, demo_id("person-moving"))
        if person is None:
            person, _ = person_service.create_person(
                session,
                caseworker,
                PersonCreate(
                    id=demo_id("person-moving"),
                    registration_number="MLI-GAO-000303",
                    full_name="Mariam Coulibaly (demo)",
                    sex="female",
                    birth_year=1993,
                    nationality="MLI",
                    population_group="idp",
                    region="ML07",
                ),
                settings.code_set,
            )
            consent_service.record_consent(
                session,
                caseworker,
                ConsentCreate(
                    id=demo_id("consent-moving"),
                    person_id=person.id,
                    purpose="data_sharing",
                    given_by="person",
                    given_at=datetime.now(UTC) - timedelta(days=2),
                ),
            )
        if person.organization_id == caseworker.organization_id:
            transfer_service.request_transfer(
                session,
                caseworker,
                TransferCreate(
                    id=demo_id("transfer-1"),
                    person_id=person.id,
                    to_organization="NRA",
                    note="(demo) The family moved to Sévaré; please take over.",
                ),
            )
            created += 1
    session.flush()
    return created
