from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from casework.core.schemas import ReadModel


class TimelineEntry(ReadModel):
    kind: Literal["counselling", "referral", "repatriation"]
    at: datetime
    record_id: uuid.UUID
    title: str
    status: str | None = None


class Timeline(ReadModel):
    person_id: uuid.UUID
    items: list[TimelineEntry]
