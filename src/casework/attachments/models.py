"""Files attached to a person, an SGBV case, a repatriation file or a consent.

The row holds the metadata; the file itself lives in a blob store (a local
directory or an S3-compatible bucket), encrypted (``core/blobcrypto.py``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.crypto import EncryptedText
from casework.core.db import Base, utcnow

SUBJECTS = ("person_id", "sgbv_case_id", "repatriation_file_id", "consent_id")


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("persons.id", ondelete="RESTRICT"), index=True
    )
    sgbv_case_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sgbv_cases.id", ondelete="RESTRICT"), index=True
    )
    repatriation_file_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("repatriation_files.id", ondelete="RESTRICT"), index=True
    )
    consent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("consents.id", ondelete="RESTRICT"), index=True
    )
    # A file name often carries a person's name ("passport_aminata.jpg"): encrypted.
    filename: Mapped[str] = mapped_column(EncryptedText("attachments.filename"))
    media_type: Mapped[str] = mapped_column(String(64))  # judged from the content
    size: Mapped[int] = mapped_column(BigInteger)
    # Encrypted too: a bare hash would confirm a guess ("is this photo in the database?").
    sha256: Mapped[str] = mapped_column(EncryptedText("attachments.sha256"))
    # Where the encrypted file lives in the blob store, and the key that sealed it.
    blob_name: Mapped[str] = mapped_column(String(200), unique=True)
    key_id: Mapped[str] = mapped_column(String(64))
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    uploaded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    create_fingerprint: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        CheckConstraint(
            " + ".join(f"CASE WHEN {name} IS NULL THEN 0 ELSE 1 END" for name in SUBJECTS) + " = 1",
            name="exactly_one_subject",
        ),
        Index("ix_attachments_created_at_id", "created_at", "id"),
        Index("ix_attachments_key_id", "key_id"),
    )
