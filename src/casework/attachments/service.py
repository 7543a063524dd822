"""Attachments: recording an upload against its subject, finding, reading, re-encrypting."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator

from pydantic import ValidationError
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from casework.attachments import permissions, upload
from casework.attachments.models import Attachment
from casework.attachments.schemas import (
    AttachmentFields,
    AttachmentFingerprint,
    AttachmentQuery,
    AttachmentRead,
)
from casework.attachments.storage import BlobNotFound, BlobStore
from casework.attachments.upload import Received
from casework.auth.principal import Principal
from casework.consent import service as consent_service
from casework.core import blobcrypto
from casework.core.crypto import DecryptionError, Keyring
from casework.core.errors import (
    InvalidInput,
    NotFound,
    ServiceUnavailable,
    invalid_from_pydantic,
)
from casework.core.idempotency import insert_created, replay_or_conflict
from casework.core.pagination import keyset_page
from casework.persons import service as person_service
from casework.repatriation import service as repatriation_service
from casework.sgbv import service as sgbv_service

logger = logging.getLogger("casework.attachments")

# The subject's own scoped lookup: 404 outside the caller's scope becomes a 422 here.
_LOOKUPS: dict[str, Callable[[Session, Principal, uuid.UUID], object]] = {
    "person_id": person_service.get_current,  # a merged person takes no new files (409)
    "sgbv_case_id": sgbv_service.get_readable,
    "repatriation_file_id": repatriation_service.get_readable,
    "consent_id": consent_service.get_readable,
}


def parse_fields(fields: dict[str, str]) -> AttachmentFields:
    try:
        return AttachmentFields.model_validate(fields)
    except ValidationError as exc:
        raise invalid_from_pydantic(exc, prefix=("body",)) from None


def record_upload(
    session: Session, principal: Principal, received: Received
) -> tuple[Attachment, bool]:
    """The row for a file already sealed in the store; (existing, False) for a replay."""
    data = parse_fields(received.fields)
    subject, subject_id = data.subject
    try:
        _LOOKUPS[subject](session, principal, subject_id)
    except NotFound as exc:
        raise InvalidInput(
            exc.detail, errors=[{"loc": ["body", subject], "msg": exc.detail, "type": "ref"}]
        ) from None
    fingerprint_body = AttachmentFingerprint(
        id=data.id,
        kind=data.kind.value,
        subject=subject,
        subject_id=subject_id,
        filename=received.filename,
        sha256=received.sha256,
    )
    fingerprint, replayed = replay_or_conflict(
        session, Attachment, fingerprint_body, principal.organization_id, "attachments"
    )
    if replayed is not None:
        return replayed, False
    attachment = Attachment(
        id=data.id or uuid.uuid4(),
        kind=data.kind.value,
        filename=received.filename,
        media_type=received.media_type,
        size=received.size,
        sha256=received.sha256,
        blob_name=received.blob_name,
        key_id=received.key_id,
        organization_id=principal.organization_id,
        uploaded_by_id=principal.user_id,
        create_fingerprint=fingerprint,
        **{subject: subject_id},
    )
    return insert_created(
        session,
        attachment,
        organization_id=principal.organization_id,
        what="attachment",
        may_collide=data.id is not None,
    )


def attach_bytes(
    session: Session,
    principal: Principal,
    store: BlobStore,
    keyring: Keyring,
    content: bytes,
    filename: str,
    fields: dict[str, str],
) -> Attachment:
    """Attach a file held in memory (demo data, tests), by the same rules as an upload."""
    received = upload.seal_bytes(content, filename, store, keyring, max_bytes=len(content) or 1)
    received.fields = fields
    try:
        attachment, _ = record_upload(session, principal, received)
    except BaseException:
        store.delete(received.blob_name)
        raise
    return attachment


def get_readable(session: Session, principal: Principal, attachment_id: uuid.UUID) -> Attachment:
    attachment = session.scalar(
        select(Attachment).where(Attachment.id == attachment_id, permissions.readable(principal))
    )
    if attachment is None:
        raise NotFound("No such attachment.")
    return attachment


def list_readable(
    session: Session, principal: Principal, query: AttachmentQuery
) -> tuple[list[Attachment], str | None]:
    stmt = select(Attachment).where(permissions.readable(principal))
    for name in ("person_id", "sgbv_case_id", "repatriation_file_id", "consent_id"):
        value = getattr(query, name)
        if value is not None:
            stmt = stmt.where(getattr(Attachment, name) == value)
    if query.kind is not None:
        stmt = stmt.where(Attachment.kind == query.kind.value)
    return keyset_page(
        session,
        stmt,
        created_at=Attachment.created_at,
        record_id=Attachment.id,
        limit=query.limit,
        cursor=query.cursor,
    )


def content(store: BlobStore, keyring: Keyring, attachment: Attachment) -> Iterator[bytes]:
    """The plaintext, chunk by chunk. The first chunk is decrypted before this returns,
    so a missing blob or an unknown key fails before a response has started."""
    try:
        chunks = blobcrypto.decrypt(keyring, attachment.blob_name, store.read(attachment.blob_name))
        first = next(chunks, b"")
    except (BlobNotFound, DecryptionError) as exc:
        logger.error("attachment %s unreadable: %s", attachment.id, type(exc).__name__)
        raise ServiceUnavailable(
            "This file cannot be read from storage; an administrator has to look at it."
        ) from None

    def stream() -> Iterator[bytes]:
        yield first
        yield from chunks

    return stream()


def to_read(attachment: Attachment) -> AttachmentRead:
    return AttachmentRead(
        id=attachment.id,
        kind=attachment.kind,
        person_id=attachment.person_id,
        sgbv_case_id=attachment.sgbv_case_id,
        repatriation_file_id=attachment.repatriation_file_id,
        consent_id=attachment.consent_id,
        filename=attachment.filename,
        media_type=attachment.media_type,
        size=attachment.size,
        sha256=attachment.sha256,
        uploaded_by=attachment.uploaded_by_id,
        created_at=attachment.created_at,
    )


def rotate(
    engine: Engine,
    store: BlobStore,
    keyring: Keyring,
    progress: Callable[[str, int, int], None] = lambda name, done, total: None,
) -> int:
    """Re-seal every file not yet under the active key (``casework rotate-key``).

    Each file is streamed into a new blob under the active key, the row is
    pointed at it (one committed transaction per file), then the old blob is
    deleted. Interrupted, it is simply run again: rows already under the active
    key are skipped, and a file is never without a readable blob.
    """
    stale = Attachment.key_id != keyring.active
    with engine.connect() as connection:
        total = connection.execute(
            select(func.count()).select_from(Attachment).where(stale)
        ).scalar_one()
    done = 0
    progress("attachments", done, total)
    while True:
        with engine.connect() as connection:
            rows = connection.execute(
                select(Attachment.id, Attachment.blob_name).where(stale).limit(100)
            ).all()
        if not rows:
            break
        for attachment_id, old_name in rows:
            new_name = uuid.uuid4().hex
            writer = store.writer(new_name)
            try:
                for piece in blobcrypto.reencrypt(
                    keyring, old_name, new_name, store.read(old_name)
                ):
                    writer.write(piece)
                writer.commit()
            except BaseException:
                writer.abort()
                raise
            with engine.begin() as connection:
                moved = connection.execute(
                    update(Attachment)
                    .where(Attachment.id == attachment_id, Attachment.blob_name == old_name)
                    .values(blob_name=new_name, key_id=keyring.active)
                ).rowcount
            store.delete(old_name if moved else new_name)
            done += 1
            progress("attachments", done, total)
    return done
