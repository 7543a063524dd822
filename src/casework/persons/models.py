"""Persons of concern. Identifying fields are encrypted at rest."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.crypto import EncryptedText
from casework.core.db import Base, TimestampMixin, utcnow


class Person(TimestampMixin, Base):
    __tablename__ = "persons"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    registration_number: Mapped[str | None] = mapped_column(
        EncryptedText("persons.registration_number")
    )
    # Keyed hash of the normalised registration number: exact lookup without decrypting.
    registration_number_index: Mapped[str | None] = mapped_column(String(64))
    full_name: Mapped[str] = mapped_column(EncryptedText("persons.full_name"))
    phone: Mapped[str | None] = mapped_column(EncryptedText("persons.phone"))
    # Keyed hash of the phone's last eight digits: "same phone" among duplicate candidates.
    phone_index: Mapped[str | None] = mapped_column(String(64))
    # The matching scheme (persons/matching.py) of this person's name tokens; NULL: not
    # indexed yet (registered before duplicates were looked for: casework index-persons).
    name_index_scheme: Mapped[int | None] = mapped_column(SmallInteger)
    # Set once a supervisor merged this person into another: read-only from then on.
    # Not indexed: NULL nearly everywhere, an index on it would only lure SQLite's planner
    # away from the name tokens' index when candidates are looked for. No foreign key:
    # SQLite could add one only by rebuilding persons, and dropping the old table cascades
    # into every person's history; persons are never deleted, so it would guard nothing.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column()
    sex: Mapped[str] = mapped_column(String(16))
    birth_year: Mapped[int | None] = mapped_column()
    nationality: Mapped[str | None] = mapped_column(String(3))
    population_group: Mapped[str | None] = mapped_column(String(32))
    region: Mapped[str] = mapped_column(String(16))
    code_set: Mapped[str] = mapped_column(String(64))
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # The caseworker responsible (the creator by default). NULL: nobody yet, for
    # cases registered before owners existed whose creator had left; a supervisor assigns.
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # CaseStatus: open | closed (core/workflow.py, cases/workflow.py).
    status: Mapped[str] = mapped_column(String(32), default="open", server_default="open")
    create_fingerprint: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # One number per organisation and region; the service checks the organisation's
        # persons the caller can see (persons.service._visible_twin).
        UniqueConstraint("organization_id", "region", "registration_number_index"),
        Index("ix_persons_registration_number_index", "registration_number_index"),
        Index("ix_persons_organization_id_created_at_id", "organization_id", "created_at", "id"),
        Index("ix_persons_region_created_at_id", "region", "created_at", "id"),
        Index("ix_persons_owner_id_status", "owner_id", "status"),
    )


class PersonEvent(Base):
    """A person's case history: creation, status moves, assignments, transfers. Never updated."""

    __tablename__ = "person_events"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), index=True
    )
    # Position in the case's history: unique, so racing writers cannot both append.
    seq: Mapped[int] = mapped_column()
    event: Mapped[str] = mapped_column(String(32))  # CaseEventKind
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    # Owner and organisation holding the case once the event happened.
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    transfer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("transfers.id", ondelete="RESTRICT")
    )
    by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(EncryptedText("person_events.note"))

    __table_args__ = (Index("uq_person_events_person_id_seq", "person_id", "seq", unique=True),)


class PersonNameToken(Base):
    """Keyed hashes of the codes of each part of a person's name (persons/matching.py).

    Never a name in clear: without the blind index key a token says nothing, and the
    comparison of two persons only asks which tokens they share.
    """

    __tablename__ = "person_name_tokens"

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    part: Mapped[int] = mapped_column(SmallInteger)  # position of the part in the name
    kind: Mapped[str] = mapped_column(String(16))  # TokenKind
    token: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        PrimaryKeyConstraint("person_id", "part", "kind", "token"),
        Index("ix_person_name_tokens_token", "token"),
    )
