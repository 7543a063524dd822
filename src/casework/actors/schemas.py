from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from casework.auth.schemas import ActorCode
from casework.core.schemas import ReadModel, WriteModel
from casework.reference.vocabularies import Service

ActorName = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class ActorCreate(WriteModel):
    code: ActorCode
    name: ActorName
    services: list[Service] = Field(min_length=1, max_length=len(Service))


class ActorUpdate(WriteModel):
    name: ActorName | None = None
    services: list[Service] | None = Field(default=None, min_length=1, max_length=len(Service))
    is_active: bool | None = None


class ActorRead(ReadModel):
    id: uuid.UUID
    code: str
    name: str
    services: list[Service]
    is_active: bool
    version: int
    created_at: datetime
    updated_at: datetime
