"""Files encrypted at rest: a streaming, chunked AEAD under the field-encryption keyring.

Stored form of an encrypted file (every integer big-endian)::

    header = b"CWA1" || u8 len(key id) || key id (ASCII) || u32 chunk size
    frame  = nonce (12 random bytes) || AES-256-GCM(chunk) (chunk + 16-byte tag)
    file   = header || frame 0 || frame 1 || ... || final frame

Every frame but the last holds exactly ``chunk size`` plaintext bytes; the last
holds 0 to ``chunk size``. Each frame's associated data is
``header || context || u64 index || u8 final``: the context names the blob
(so a file copied under another name fails), the index makes reordering fail,
and the final flag makes truncation at a frame boundary fail (the frame then
read last was sealed as not final). The key id travels in the header, as it
does in encrypted fields, so ``casework rotate-key`` finds files under old keys.

Encryption and decryption both hold one chunk at a time: a file is never
whole in memory.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Iterable, Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from casework.core.crypto import NONCE_BYTES, DecryptionError, Keyring

MAGIC = b"CWA1"
CHUNK_BYTES = 64 * 1024
TAG_BYTES = 16
MAX_CHUNK_BYTES = 16 * 1024 * 1024


def header(key_id: str, chunk_bytes: int = CHUNK_BYTES) -> bytes:
    encoded = key_id.encode("ascii")
    return MAGIC + struct.pack(">B", len(encoded)) + encoded + struct.pack(">I", chunk_bytes)


def _associated(head: bytes, context: str, index: int, final: bool) -> bytes:
    return head + context.encode() + struct.pack(">QB", index, 1 if final else 0)


class Encryptor:
    """Feed plaintext with ``write``; sealed bytes go to ``sink``; ``close`` seals the end."""

    def __init__(
        self,
        keyring: Keyring,
        context: str,
        sink: Callable[[bytes], object],
        chunk_bytes: int = CHUNK_BYTES,
    ) -> None:
        self.key_id = keyring.active
        self._aead = AESGCM(keyring.keys[keyring.active])
        self._context = context
        self._sink = sink
        self._chunk = chunk_bytes
        self._head = header(self.key_id, chunk_bytes)
        self._buffer = bytearray()
        self._index = 0
        self._closed = False
        sink(self._head)

    def write(self, data: bytes) -> None:
        if self._closed:
            raise ValueError("the encryptor is closed")
        self._buffer += data
        # Keep the last (possibly full) chunk back: only close() knows it is the final one.
        while len(self._buffer) > self._chunk:
            self._seal(bytes(self._buffer[: self._chunk]), final=False)
            del self._buffer[: self._chunk]

    def close(self) -> None:
        if not self._closed:
            self._seal(bytes(self._buffer), final=True)
            self._buffer.clear()
            self._closed = True

    def _seal(self, chunk: bytes, *, final: bool) -> None:
        nonce = os.urandom(NONCE_BYTES)
        aad = _associated(self._head, self._context, self._index, final)
        self._sink(nonce + self._aead.encrypt(nonce, chunk, aad))
        self._index += 1


class _Reader:
    """Exact reads over an iterator of byte strings of any sizes."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = bytearray()

    def read(self, size: int) -> bytes:
        while len(self._buffer) < size:
            piece = next(self._chunks, None)
            if piece is None:
                break
            self._buffer += piece
        out = bytes(self._buffer[:size])
        del self._buffer[:size]
        return out

    def at_end(self) -> bool:
        while not self._buffer:
            piece = next(self._chunks, None)
            if piece is None:
                return True
            self._buffer += piece
        return False


def key_id_of(first_bytes: bytes) -> str:
    """The key id a stored file was sealed with, from its first bytes (header)."""
    if first_bytes[:4] != MAGIC or len(first_bytes) < 5:
        raise DecryptionError("not an encrypted attachment")
    length = first_bytes[4]
    return first_bytes[5 : 5 + length].decode("ascii")


def decrypt(keyring: Keyring, context: str, stored: Iterable[bytes]) -> Iterator[bytes]:
    """Plaintext chunks of a stored file; DecryptionError on any tampering or truncation."""
    reader = _Reader(stored)
    if reader.read(4) != MAGIC:
        raise DecryptionError("not an encrypted attachment")
    raw_length = reader.read(1)
    if len(raw_length) != 1:
        raise DecryptionError("truncated header")
    raw_key_id = reader.read(raw_length[0])
    raw_chunk = reader.read(4)
    if len(raw_key_id) != raw_length[0] or len(raw_chunk) != 4:
        raise DecryptionError("truncated header")
    key_id = raw_key_id.decode("ascii", errors="replace")
    (chunk_bytes,) = struct.unpack(">I", raw_chunk)
    if key_id not in keyring.keys:
        raise DecryptionError(f"no key {key_id!r} in the keyring")
    if not 0 < chunk_bytes <= MAX_CHUNK_BYTES:
        raise DecryptionError("implausible chunk size")
    head = MAGIC + raw_length + raw_key_id + raw_chunk
    aead = AESGCM(keyring.keys[key_id])
    frame_bytes = NONCE_BYTES + chunk_bytes + TAG_BYTES
    index = 0
    while True:
        frame = reader.read(frame_bytes)
        final = reader.at_end()
        if len(frame) < NONCE_BYTES + TAG_BYTES:
            raise DecryptionError("truncated attachment")
        nonce, sealed = frame[:NONCE_BYTES], frame[NONCE_BYTES:]
        try:
            plaintext = aead.decrypt(nonce, sealed, _associated(head, context, index, final))
        except InvalidTag:
            raise DecryptionError("attachment tampered with, truncated or reordered") from None
        yield plaintext
        if final:
            return
        index += 1


def reencrypt(
    keyring: Keyring, old_context: str, new_context: str, stored: Iterable[bytes]
) -> Iterator[bytes]:
    """The stored file sealed again under the active key (key rotation), chunk by chunk."""
    pending: list[bytes] = []
    encryptor = Encryptor(keyring, new_context, pending.append)
    for chunk in decrypt(keyring, old_context, stored):
        encryptor.write(chunk)
        yield from pending
        pending.clear()
    encryptor.close()
    yield from pending
