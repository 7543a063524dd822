from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, StringConstraints

from casework.auth.schemas import ActorCode
from casework.core.schemas import ReadModel, WriteModel
from casework.reference.vocabularies import Service

ActorName = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class ActorCreate(WriteModel):
    code: ActorCode
    name: ActorName
    services: list[Service] = Field(min_length=1, max_length=len(Service))


def _webhook_url(value: str) -> str:
    """The form of the URL; where it points is checked by the service
    (``notifications.targets``: public addresses only)."""
    url = urlsplit(value)
    if url.scheme not in ("https", "http"):
        raise ValueError("must be https (plain http only for a receiver on this machine)")
    if not url.hostname:
        raise ValueError("must name a host")
    return value


WebhookUrl = Annotated[str, StringConstraints(max_length=500), AfterValidator(_webhook_url)]
WebhookSecret = Annotated[str, StringConstraints(min_length=32, max_length=200)]


class ActorUpdate(WriteModel):
    name: ActorName | None = None
    services: list[Service] | None = Field(default=None, min_length=1, max_length=len(Service))
    is_active: bool | None = None
    webhook_url: WebhookUrl | None = Field(
        default=None, description="Where referral events are POSTed; null removes it"
    )
    webhook_secret: WebhookSecret | None = Field(
        default=None, description="Signs the events (HMAC-SHA256); never shown again"
    )


class ActorRead(ReadModel):
    id: uuid.UUID
    code: str
    name: str
    services: list[Service]
    is_active: bool
    webhook_url: str | None = Field(description="Shown to administrators only (else null)")
    has_webhook_secret: bool
    version: int
    created_at: datetime
    updated_at: datetime
