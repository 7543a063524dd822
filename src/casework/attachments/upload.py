"""Receiving an upload as a stream: multipart parsed, type sniffed, size counted, sealed, stored.

The request body is read chunk by chunk (``request.stream()``) and fed to a
streaming multipart parser; the file part goes straight into the encryptor and
from there into the blob store. Nothing holds the whole file: not memory, not
a plaintext temporary file (Starlette's own form parsing spools uploads over
1 MiB to disk in clear, which is why we do not use ``UploadFile`` here).

* The type is judged from the first bytes of the content (magic numbers): PDF,
  JPEG, PNG, WebP; anything else is refused (415) before a byte is stored.
  The client's file name and part Content-Type are ignored for this.
* The size is counted as the file streams in: one byte over the limit and the
  upload stops with 413, the partial blob is discarded.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import re
import unicodedata
import uuid
from dataclasses import dataclass, field

import anyio
from botocore.exceptions import BotoCoreError, ClientError
from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from casework.attachments.storage import BlobStore, BlobWriter
from casework.core.blobcrypto import Encryptor
from casework.core.crypto import Keyring
from casework.core.errors import (
    InvalidInput,
    PayloadTooLarge,
    ServiceUnavailable,
    UnsupportedMediaType,
)

logger = logging.getLogger("casework.attachments")
FILE_FIELD = "file"
MAX_FIELDS = 16
MAX_FIELD_BYTES = 1024
SNIFF_BYTES = 12
# Media types we accept, with the extension a download is given.
EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
}


def sniff(head: bytes) -> str | None:
    """The media type of a file from its first bytes, or None if not one we accept."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


_UNSAFE = re.compile(r"[\x00-\x1f\x7f\"\\/:*?<>|;]+")


def safe_filename(raw: str, media_type: str) -> str:
    """A file name fit to store and to put in Content-Disposition: no path, no control
    characters, no quotes, at most 120 characters, ending with the extension of the
    type the content really is ("photo.html" that is a JPEG becomes "photo.html.jpg")."""
    base = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip(" .") or "attachment"
    extension = EXTENSIONS[media_type]
    if not base.lower().endswith(extension) and not (
        media_type == "image/jpeg" and base.lower().endswith(".jpeg")
    ):
        base += extension
    if len(base) > 120:
        base = base[: 120 - len(extension)] + extension
    return base


def field_error(loc: str, msg: str, kind: str = "value_error") -> dict[str, object]:
    return {"loc": ["body", loc], "msg": msg, "type": kind}


@dataclass
class Received:
    fields: dict[str, str]
    blob_name: str
    key_id: str
    filename: str
    media_type: str
    size: int
    sha256: str


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    data: bytearray = field(default_factory=bytearray)


class UploadParser:
    """Synchronous and single-use: every call runs in a worker thread (it writes to storage)."""

    def __init__(
        self, boundary: bytes, charset: str, store: BlobStore, keyring: Keyring, max_bytes: int
    ) -> None:
        self.store, self.keyring, self.max_bytes = store, keyring, max_bytes
        self.charset = charset
        self.blob_name = uuid.uuid4().hex
        self.fields: dict[str, str] = {}
        self.part = _Part()
        self.header_name = bytearray()
        self.header_value = bytearray()
        self.disposition = b""
        self.file_seen = False
        self.filename = ""
        self.head = bytearray()  # the file's first bytes, until its type is known
        self.media_type: str | None = None
        self.size = 0
        self.digest = hashlib.sha256()
        self.writer: BlobWriter | None = None
        self.encryptor: Encryptor | None = None
        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
            },
        )

    # -- multipart callbacks -------------------------------------------------------------
    def _part_begin(self) -> None:
        self.part = _Part()
        self.disposition = b""

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def _header_end(self) -> None:
        if bytes(self.header_name).lower() == b"content-disposition":
            self.disposition = bytes(self.header_value)
        self.header_name.clear()
        self.header_value.clear()

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self.disposition)
        if b"name" not in options:
            raise InvalidInput(
                "Every form part needs a name.",
                errors=[field_error("form", "part without a name")],
            )
        self.part.name = options[b"name"].decode(self.charset, errors="replace")
        if b"filename" in options or self.part.name == FILE_FIELD:
            if self.part.name != FILE_FIELD or self.file_seen:
                raise InvalidInput(
                    "Send exactly one file, in the form field 'file'.",
                    errors=[field_error(self.part.name, "one file only, named 'file'")],
                )
            self.file_seen = True
            raw = options.get(b"filename", b"")
            self.filename = raw.decode(self.charset, errors="replace")
            self.part.filename = self.filename
        elif len(self.fields) >= MAX_FIELDS:
            raise InvalidInput("Too many form fields.", errors=[field_error("form", "too many")])

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        piece = data[start:end]
        if self.part.filename is None:
            if len(self.part.data) + len(piece) > MAX_FIELD_BYTES:
                raise InvalidInput(
                    f"The form field {self.part.name!r} is too long.",
                    errors=[field_error(self.part.name, "too long")],
                )
            self.part.data += piece
            return
        self.size += len(piece)
        if self.size > self.max_bytes:
            raise PayloadTooLarge(f"The file is larger than {self.max_bytes} bytes.")
        self.digest.update(piece)
        if self.encryptor is None:
            self.head += piece
            if len(self.head) >= SNIFF_BYTES:
                self._start_sealing()
        else:
            self.encryptor.write(piece)

    def _part_end(self) -> None:
        if self.part.filename is None:
            self.fields[self.part.name] = self.part.data.decode(self.charset, errors="replace")
        elif self.encryptor is None:
            self._start_sealing()  # a file shorter than the sniffing window

    # -- the file ------------------------------------------------------------------------
    def _start_sealing(self) -> None:
        if not self.head:
            raise InvalidInput("The file is empty.", errors=[field_error(FILE_FIELD, "empty")])
        self.media_type = sniff(bytes(self.head))
        if self.media_type is None:
            raise UnsupportedMediaType(
                "Only PDF, JPEG, PNG and WebP files are accepted (judged by their content)."
            )
        self.writer = self.store.writer(self.blob_name)
        self.encryptor = Encryptor(self.keyring, self.blob_name, self.writer.write)
        self.encryptor.write(bytes(self.head))
        self.head.clear()

    def feed(self, chunk: bytes) -> None:
        try:
            self.parser.write(chunk)
        except FormParserError:
            raise InvalidInput(
                "The body is not valid multipart/form-data.",
                errors=[field_error("form", "malformed multipart", "multipart")],
            ) from None

    def finish(self) -> Received:
        try:
            self.parser.finalize()
        except FormParserError:
            raise InvalidInput(
                "The body is not valid multipart/form-data.",
                errors=[field_error("form", "malformed multipart", "multipart")],
            ) from None
        if not self.file_seen or self.encryptor is None or self.writer is None:
            raise InvalidInput(
                "No file: send it in the form field 'file'.",
                errors=[field_error(FILE_FIELD, "required", "missing")],
            )
        assert self.media_type is not None
        self.encryptor.close()
        self.writer.commit()
        return Received(
            fields=self.fields,
            blob_name=self.blob_name,
            key_id=self.encryptor.key_id,
            filename=safe_filename(self.filename, self.media_type),
            media_type=self.media_type,
            size=self.size,
            sha256=self.digest.hexdigest(),
        )

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.abort()
            self.writer = None


def seal_bytes(
    content: bytes, filename: str, store: BlobStore, keyring: Keyring, max_bytes: int
) -> Received:
    """Seal a file already in memory (demo data, imports) through the same parser as uploads."""
    boundary = uuid.uuid4().hex.encode()
    quoted = re.sub(r'["\r\n\\]', "_", filename).encode()
    parser = UploadParser(boundary, "utf-8", store, keyring, max_bytes)
    try:
        parser.feed(
            b"--"
            + boundary
            + b'\r\nContent-Disposition: form-data; name="file"; filename="'
            + quoted
            + b'"\r\n\r\n'
        )
        parser.feed(content)
        parser.feed(b"\r\n--" + boundary + b"--\r\n")
        return parser.finish()
    except BaseException:
        parser.abort()
        raise


def _boundary(request: Request) -> tuple[bytes, str]:
    media_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if media_type != b"multipart/form-data" or not boundary or len(boundary) > 200:
        raise InvalidInput(
            "Send the file as multipart/form-data (fields: file, kind and one subject id).",
            errors=[field_error("form", "expected multipart/form-data", "content_type")],
        )
    charset = params.get(b"charset", b"utf-8").decode("latin-1")
    try:
        charset = codecs.lookup(charset).name
    except LookupError:
        charset = "utf-8"
    return boundary, charset


async def receive(request: Request, store: BlobStore, keyring: Keyring, max_bytes: int) -> Received:
    """Stream the request's multipart body into the store; the blob is committed on success.

    Parsing, encryption and storage writes run in a worker thread, one request
    chunk at a time, so the event loop never blocks and memory stays at a chunk.
    """
    boundary, charset = _boundary(request)
    parser = UploadParser(boundary, charset, store, keyring, max_bytes)
    try:
        async for chunk in request.stream():
            if chunk:
                await anyio.to_thread.run_sync(parser.feed, chunk)
        return await anyio.to_thread.run_sync(parser.finish)
    except BaseException as exc:
        await anyio.to_thread.run_sync(parser.abort)
        if isinstance(exc, OSError | BotoCoreError | ClientError):
            logger.error("attachment storage failed: %s", type(exc).__name__)
            raise ServiceUnavailable("The file could not be stored; try again later.") from None
        raise
