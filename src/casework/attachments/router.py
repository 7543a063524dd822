from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from casework.attachments import permissions, storage, upload
from casework.attachments import service as attachment_service
from casework.attachments.schemas import AttachmentQuery, AttachmentRead
from casework.audit import service as audit_service
from casework.auth.principal import Principal, allow
from casework.core.config import get_settings
from casework.core.db import SessionDep
from casework.core.errors import problem_responses
from casework.core.pagination import Page
from casework.core.routing import api_router
from casework.reference.vocabularies import AttachmentKind

router = api_router(prefix="/api/v1/attachments", tags=["attachments"])

Handler = Annotated[Principal, Depends(allow(*permissions.HANDLERS))]

_UUID = {"type": "string", "format": "uuid"}
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "kind"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "kind": {"type": "string", "enum": [k.value for k in AttachmentKind]},
                        "person_id": _UUID,
                        "sgbv_case_id": _UUID,
                        "repatriation_file_id": _UUID,
                        "consent_id": _UUID,
                        "id": _UUID,
                    },
                }
            }
        },
    }
}
FILE_TYPES = {
    media_type: {"schema": {"type": "string", "format": "binary"}}
    for media_type in upload.EXTENSIONS
}


@router.post(
    "",
    response_model=AttachmentRead,
    status_code=201,
    responses={
        200: {"model": AttachmentRead, "description": "Replay of an identical earlier upload"},
        **problem_responses(401, 403, 409, 413, 415, 422, 503),
    },
    openapi_extra=UPLOAD_BODY,
    summary="Upload a file (PDF, JPEG, PNG, WebP) for a person, SGBV case, "
    "repatriation file or consent; encrypted at rest",
)
async def upload_attachment(
    request: Request, session: SessionDep, principal: Handler, response: Response
) -> AttachmentRead:
    # Authenticated and authorised by role before a byte of the body is read.
    settings = get_settings()
    store = storage.store_for(settings)
    received = await upload.receive(
        request, store, settings.keyring(), settings.attachment_max_bytes
    )
    try:
        attachment, created = await run_in_threadpool(
            attachment_service.record_upload, session, principal, received
        )
    except BaseException:
        await run_in_threadpool(store.delete, received.blob_name)
        raise
    if not created:  # a replay: the earlier upload's blob stays, this copy goes
        await run_in_threadpool(store.delete, received.blob_name)
    response.status_code = 201 if created else 200
    return attachment_service.to_read(attachment)


@router.get(
    "",
    response_model=Page[AttachmentRead],
    responses=problem_responses(401, 403, 422),
    summary="Attachments you may see (filter by subject: ?person_id=, ?sgbv_case_id=, ...)",
)
def list_attachments(
    session: SessionDep, principal: Handler, query: Annotated[AttachmentQuery, Query()]
) -> Page[AttachmentRead]:
    rows, next_cursor = attachment_service.list_readable(session, principal, query)
    audit_service.record_reads(session, "attachments", (a.id for a in rows))
    return Page(items=[attachment_service.to_read(a) for a in rows], next_cursor=next_cursor)


@router.get(
    "/{attachment_id}",
    response_model=AttachmentRead,
    responses=problem_responses(401, 403, 404, 422),
    summary="An attachment's metadata",
)
def read_attachment(
    session: SessionDep, principal: Handler, attachment_id: uuid.UUID
) -> AttachmentRead:
    attachment = attachment_service.get_readable(session, principal, attachment_id)
    audit_service.record(session, "read", "attachments", attachment.id)
    return attachment_service.to_read(attachment)


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact name in RFC 5987 form."""
    fallback = filename.encode("ascii", "replace").decode("ascii").replace("?", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get(
    "/{attachment_id}/content",
    response_class=StreamingResponse,
    responses={
        200: {"description": "The file, as uploaded", "content": FILE_TYPES},
        **problem_responses(401, 403, 404, 422, 503),
    },
    summary="Download the file (decrypted on the fly; every download is audited)",
)
def download_attachment(
    session: SessionDep, principal: Handler, attachment_id: uuid.UUID
) -> StreamingResponse:
    attachment = attachment_service.get_readable(session, principal, attachment_id)
    audit_service.record(session, "read", "attachments", attachment.id, detail={"content": True})
    settings = get_settings()
    chunks = attachment_service.content(storage.store_for(settings), settings.keyring(), attachment)
    return StreamingResponse(
        chunks,
        media_type=attachment.media_type,
        headers={
            "Content-Disposition": content_disposition(attachment.filename),
            "Content-Length": str(attachment.size),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
