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
from sqlalchemy.exc import IntegrityError
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


C = TypeVar("C", bound="Created")


class Created(Replayable, Protocol):
    id: uuid.UUID


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
    return fingerprint, replay_of(existing, fingerprint, organization_id)


def replay_of(existing: R, fingerprint: str, organization_id: uuid.UUID | None) -> R:
    """The existing record if an identical create by the same organisation made it; else 409."""
    if existing.organization_id == organization_id and existing.create_fingerprint == fingerprint:
        return existing
    raise Conflict("A record with this id already exists with different content.")


def insert_created(
    session: Session,
    record: C,
    *others: object,
    organization_id: uuid.UUID | None,
    what: str,
    may_collide: bool = True,
) -> tuple[C, bool]:
    """Insert what a create made; returns (record, created) like ``replay_or_conflict``'s callers.

    A create that may collide (a client-chosen id, or another unique key) is
    inserted in a savepoint, so that a twin committed meanwhile leaves the
    transaction usable: a retry of the same create that raced this one to the
    database is then replayed (200) as if it had come second, anything else is
    409. A server-made uuid4 with no other unique key cannot collide and skips
    the savepoint's round trips.
    """
    if not may_collide:
        session.add_all([record, *others])
        session.flush()
        return record, True
    try:
        with session.begin_nested():
            session.add_all([record, *others])
    except IntegrityError:
        # The savepoint's rollback has taken the new objects out of the session.
        existing = session.get(type(record), record.id, populate_existing=True)
        if existing is None:  # another unique key than the id
            raise Conflict(f"This {what} was created concurrently; read it again.") from None
        return replay_of(existing, record.create_fingerprint, organization_id), False
    return record, True
