from __future__ import annotations

import uuid
from datetime import datetime
from typing import Self

from pydantic import Field, model_validator

from casework.attachments.models import SUBJECTS
from casework.core.schemas import ReadModel, WriteModel
from casework.reference.vocabularies import AttachmentKind


class AttachmentFields(WriteModel):
    """The form fields of an upload (the ``file`` part is streamed, not modelled)."""

    id: uuid.UUID | None = None
    kind: AttachmentKind
    person_id: uuid.UUID | None = None
    sgbv_case_id: uuid.UUID | None = None
    repatriation_file_id: uuid.UUID | None = None
    consent_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _one_subject(self) -> Self:
        given = [name for name in SUBJECTS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(SUBJECTS)}")
        return self

    @property
    def subject(self) -> tuple[str, uuid.UUID]:
        for name in SUBJECTS:
            value = getattr(self, name)
            if value is not None:
                return name, value
        raise AssertionError("validated: exactly one subject")


class AttachmentFingerprint(WriteModel):
    """What makes two uploads with the same client id the same upload (a replay)."""

    id: uuid.UUID | None = None
    kind: str
    subject: str
    subject_id: uuid.UUID
    filename: str
    sha256: str


class AttachmentRead(ReadModel):
    id: uuid.UUID
    kind: str
    person_id: uuid.UUID | None
    sgbv_case_id: uuid.UUID | None
    repatriation_file_id: uuid.UUID | None
    consent_id: uuid.UUID | None
    filename: str
    media_type: str
    size: int
    sha256: str
    uploaded_by: uuid.UUID
    created_at: datetime


class AttachmentQuery(WriteModel):
    person_id: uuid.UUID | None = None
    sgbv_case_id: uuid.UUID | None = None
    repatriation_file_id: uuid.UUID | None = None
    consent_id: uuid.UUID | None = None
    kind: AttachmentKind | None = None
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=200)
