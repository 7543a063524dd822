"""Client-supplied ids make creates safe to retry.

Each created record stores a fingerprint of its validated create body. The same
id with the same body replays the stored record (200); with another body it is
a conflict (409). Fingerprints are keyed (HMAC with the blind-index key) so a
fingerprint of a body that contains a name cannot be used to confirm a guess.
"""

from __future__ import annotations

import json
import uuid
from typing import Protocol, TypeVar

from pydantic import BaseModel
from sqlalchemy.orm import Session

from casework.core.crypto import keyring
from casework.core.errors import Conflict


def keyed_fingerprint(body: BaseModel, purpose: str) -> str:
    canonical = json.dumps(
        body.model_dump(mode="json", exclude={"id"}), sort_keys=True, separators=(",", ":")
    )
    return keyring().blind_index(canonical, purpose=f"fingerprint:{purpose}")


R = TypeVar("R", bound="Replayable")


class Replayable(Protocol):
    organization_id: uuid.UUID
    create_fingerprint: str


def replay_or_conflict(
    session: Session,
    model: type[R],
    body: BaseModel,
    organization_id: uuid.UUID | None,
    purpose: str,
) -> tuple[str, R | None]:
    """The body's fingerprint, and the record an identical earlier create made (a replay).

    Raises Conflict when the client's id is taken by different content, or by
    another organisation (whose record stays invisible: only "taken" is said).
    """
    fingerprint = keyed_fingerprint(body, purpose)
    record_id = getattr(body, "id", None)
    if record_id is None:
        return fingerprint, None
    existing = session.get(model, record_id)
    if existing is None:
        return fingerprint, None
    if existing.organization_id == organization_id and existing.create_fingerprint == fingerprint:
        return fingerprint, existing
    raise Conflict("A record with this id already exists with different content.")
