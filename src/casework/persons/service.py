"""Persons of concern: registration, exact lookup by registration number, scope."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.auth import service as auth_service
from casework.auth.principal import Principal
from casework.cases import service as case_service
from casework.core.concurrency import check_if_match
from casework.core.crypto import keyring
from casework.core.errors import Conflict, Forbidden, NotFound
from casework.core.idempotency import insert_created, replay_or_conflict
from casework.core.pagination import keyset_page
from casework.persons import duplicates, permissions
from casework.persons.models import Person
from casework.persons.schemas import PersonCreate, PersonQuery, PersonRead, PersonUpdate
from casework.reference.service import check_location

REGISTRATION_INDEX = "persons.registration_number"


def registration_index(number: str | None) -> str | None:
    return None if number is None else keyring().blind_index(number, REGISTRATION_INDEX)


def create_person(
    session: Session, principal: Principal, data: PersonCreate, code_set: str
) -> tuple[Person, bool]:
    """Register a person; returns (person, created). A replayed create returns (existing, False)."""
    check_location(data.region, None, code_set)
    if not permissions.may_register_in(principal, data.region):
        raise Forbidden(f"You may not register persons in region {data.region}.")
    fingerprint, replayed = replay_or_conflict(
        session, Person, data, principal.organization_id, "persons"
    )
    if replayed is not None:
        return replayed, False
    index = registration_index(data.registration_number)
    if index is not None and _visible_twin(session, principal, principal.organization_id, index):
        raise Conflict("Your organisation already registered this registration number.")
    person = Person(
        id=data.id or uuid.uuid4(),
        registration_number=data.registration_number,
        registration_number_index=index,
        full_name=data.full_name,
        phone=data.phone,
        sex=data.sex.value,
        birth_year=data.birth_year,
        nationality=data.nationality,
        population_group=data.population_group.value if data.population_group else None,
        region=data.region,
        code_set=code_set,
        organization_id=principal.organization_id,
        created_by_id=principal.user_id,
        owner_id=principal.user_id,
        status="open",
        create_fingerprint=fingerprint,
    )
    duplicates.set_index_columns(person)
    # May meet a concurrent twin: the same id, or the same registration number.
    person, created = insert_created(
        session,
        person,
        case_service.creation_event(person, principal.user_id),
        organization_id=principal.organization_id,
        what="person",
    )
    if created:
        duplicates.write_tokens(session, person)
    return person, created


def _visible_twin(
    session: Session,
    principal: Principal,
    organization_id: uuid.UUID | None,
    index: str,
    besides: uuid.UUID | None = None,
) -> bool:
    """Whether the organisation has this registration number on a person the caller can see.

    Uniqueness is checked within what the caller may read, never beyond: a 409 must not
    tell a supervisor of Gao that the organisation registered that number in Mopti. The
    database backs this with one number per organisation and region (a caller who may
    register in a region reads all of the organisation's persons there).
    """
    stmt = select(Person.id).where(
        Person.organization_id == organization_id,
        Person.registration_number_index == index,
        permissions.readable(principal),
    )
    if besides is not None:
        stmt = stmt.where(Person.id != besides)
    return session.scalar(stmt.limit(1)) is not None


def get_readable(session: Session, principal: Principal, person_id: uuid.UUID) -> Person:
    person = session.scalar(
        select(Person).where(Person.id == person_id, permissions.readable(principal))
    )
    if person is None:
        raise NotFound("No such person.")
    return person


def get_current(session: Session, principal: Principal, person_id: uuid.UUID) -> Person:
    """A readable person that new records may be about: not merged into another (409)."""
    person = get_readable(session, principal, person_id)
    case_service.require_current(person)
    return person


def list_readable(
    session: Session, principal: Principal, query: PersonQuery
) -> tuple[list[Person], str | None]:
    stmt = select(Person).where(permissions.readable(principal))
    if query.registration_number is not None:
        stmt = stmt.where(
            Person.registration_number_index == registration_index(query.registration_number)
        )
    if query.region:
        stmt = stmt.where(Person.region.in_(query.region))
    if query.sex is not None:
        stmt = stmt.where(Person.sex == query.sex.value)
    if query.population_group is not None:
        stmt = stmt.where(Person.population_group == query.population_group.value)
    if query.nationality is not None:
        stmt = stmt.where(Person.nationality == query.nationality)
    owned = case_service.owner_condition(Person.owner_id, principal, query.owner)
    if owned is not None:
        stmt = stmt.where(owned)
    if query.status:
        stmt = stmt.where(Person.status.in_([s.value for s in query.status]))
    return keyset_page(
        session,
        stmt,
        created_at=Person.created_at,
        record_id=Person.id,
        limit=query.limit,
        cursor=query.cursor,
    )


def update_person(
    session: Session,
    principal: Principal,
    person: Person,
    changes: PersonUpdate,
    *,
    if_match: str | None,
    code_set: str,
) -> Person:
    check_if_match(if_match, person.version)
    case_service.require_open(person, "changing it")
    fields = changes.model_dump(exclude_unset=True)
    if "region" in fields:
        check_location(fields["region"], None, code_set)
        if not permissions.may_register_in(principal, fields["region"]):
            raise Forbidden(f"You may not move persons to region {fields['region']}.")
        person.code_set = code_set
    index = (
        registration_index(fields["registration_number"])
        if "registration_number" in fields
        else person.registration_number_index
    )
    if ("registration_number" in fields or "region" in fields) and (
        index is not None
        and _visible_twin(session, principal, person.organization_id, index, besides=person.id)
    ):
        raise Conflict("Your organisation already registered this registration number.")
    person.registration_number_index = index
    for name, value in fields.items():
        setattr(person, name, value.value if hasattr(value, "value") else value)
    renamed = "full_name" in fields or "phone" in fields
    if renamed:
        duplicates.set_index_columns(person)  # in the same UPDATE: one new version
    session.flush()
    if renamed:
        duplicates.write_tokens(session, person)
    return person


def to_read(session: Session, person: Person) -> PersonRead:
    return PersonRead(
        id=person.id,
        registration_number=person.registration_number,
        full_name=person.full_name,
        phone=person.phone,
        sex=person.sex,
        birth_year=person.birth_year,
        nationality=person.nationality,
        population_group=person.population_group,
        region=person.region,
        code_set=person.code_set,
        organization=auth_service.organization_code(session, person.organization_id),
        status=person.status,
        merged_into=person.merged_into_id,
        owner=person.owner_id,
        owner_username=case_service.owner_username(session, person),
        version=person.version,
        created_at=person.created_at,
        updated_at=person.updated_at,
    )
