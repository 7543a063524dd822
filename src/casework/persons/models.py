"""Persons of concern. Identifying fields are encrypted at rest."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.crypto import EncryptedText
from casework.core.db import Base, TimestampMixin


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
    )
