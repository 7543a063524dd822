"""Where encrypted attachment files live: a local directory, or an S3-compatible bucket.

A store only ever sees ciphertext (``core/blobcrypto.py``). Writing goes through
a ``BlobWriter``: bytes are appended as they arrive and the blob appears under
its name only on ``commit()`` (``abort()`` leaves nothing behind), so a reader
never sees half a file.

* ``LocalStore``: ``<dir>/<2 hex>/<name>``, written to a temporary file in the
  same directory, fsynced, then renamed into place.
* ``S3Store``: the ciphertext is spooled to a temporary file on local disk
  (ciphertext only) and sent with one PUT on commit; reads stream the object.
  Any S3-compatible server works (AWS, MinIO, Garage, Ceph RGW).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from casework.core.config import AttachmentStore, Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

READ_CHUNK = 64 * 1024
_SAFE_NAME = re.compile(r"^[a-f0-9]{32}$")


class BlobNotFound(Exception):
    """The metadata names a blob the store does not hold."""


class BlobWriter(Protocol):
    def write(self, data: bytes) -> None: ...
    def commit(self) -> None: ...
    def abort(self) -> None: ...


class BlobStore(Protocol):
    def writer(self, name: str) -> BlobWriter: ...
    def read(self, name: str) -> Iterator[bytes]: ...
    def delete(self, name: str) -> None: ...
    def exists(self, name: str) -> bool: ...


def _checked(name: str) -> str:
    # Names are made by us (uuid4 hex); anything else never reaches a path or a key.
    if not _SAFE_NAME.match(name):
        raise ValueError("not a blob name")
    return name


class _LocalWriter:
    def __init__(self, final: Path) -> None:
        self._final = final
        final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temporary = tempfile.mkstemp(dir=final.parent, prefix=".upload-")
        self._temporary = Path(temporary)
        self._file: IO[bytes] = os.fdopen(fd, "wb")

    def write(self, data: bytes) -> None:
        self._file.write(data)

    def commit(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self._temporary, self._final)

    def abort(self) -> None:
        self._file.close()
        self._temporary.unlink(missing_ok=True)


class LocalStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str) -> Path:
        name = _checked(name)
        return self.root / name[:2] / name

    def writer(self, name: str) -> BlobWriter:
        return _LocalWriter(self.path(name))

    def read(self, name: str) -> Iterator[bytes]:
        try:
            handle = self.path(name).open("rb")
        except FileNotFoundError:
            raise BlobNotFound(name) from None
        return _chunks(handle)

    def delete(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)

    def exists(self, name: str) -> bool:
        return self.path(name).exists()


def _chunks(handle: IO[bytes]) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(READ_CHUNK):
            yield chunk


class _S3Writer:
    def __init__(self, store: S3Store, name: str) -> None:
        self._store, self._name = store, name
        self._spool: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in commit/abort

    def write(self, data: bytes) -> None:
        self._spool.write(data)

    def commit(self) -> None:
        try:
            self._spool.seek(0)
            self._store.client.put_object(
                Bucket=self._store.bucket, Key=self._store.key(self._name), Body=self._spool
            )
        finally:
            self._spool.close()

    def abort(self) -> None:
        self._spool.close()


class S3Store:
    def __init__(self, client: S3Client, bucket: str, prefix: str) -> None:
        self.client, self.bucket, self.prefix = client, bucket, prefix

    def key(self, name: str) -> str:
        return f"{self.prefix}{_checked(name)}"

    def writer(self, name: str) -> BlobWriter:
        return _S3Writer(self, name)

    def read(self, name: str) -> Iterator[bytes]:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.key(name))
        except self.client.exceptions.NoSuchKey:
            raise BlobNotFound(name) from None
        body = response["Body"]

        def stream() -> Iterator[bytes]:
            try:
                yield from body.iter_chunks(READ_CHUNK)
            finally:
                body.close()

        return stream()

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key(name))

    def exists(self, name: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(name))
        except ClientError:
            return False
        return True


def store_for(settings: Settings) -> BlobStore:
    if settings.attachment_store is AttachmentStore.s3:
        return _s3_store(
            settings.s3_endpoint_url,
            settings.s3_region,
            settings.s3_bucket,
            settings.s3_prefix,
            settings.s3_access_key_id,
            settings.s3_secret_access_key.get_secret_value()
            if settings.s3_secret_access_key
            else None,
        )
    return LocalStore(settings.attachment_dir or settings.data_dir / "attachments")


@lru_cache(maxsize=4)
def _s3_store(
    endpoint_url: str | None,
    region: str,
    bucket: str,
    prefix: str,
    access_key_id: str | None,
    secret_access_key: str | None,
) -> S3Store:
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3",
        endpoint_url=endpoint_url or None,
        region_name=region,
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        config=Config(retries={"max_attempts": 3, "mode": "standard"}),
    )
    return S3Store(client, bucket, prefix)
