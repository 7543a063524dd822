"""The streaming file format: round trips, and every tampering is detected."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casework.core import blobcrypto
from casework.core.crypto import NONCE_BYTES, DecryptionError, build_keyring, new_key_spec

KEYS = f"{new_key_spec('k1')},{new_key_spec('k2')}"
INDEX_KEY = "aW5kZXgta2V5LW9mLWF0LWxlYXN0LTMyLWJ5dGVzLi4uLi4="
RING = build_keyring(KEYS, "k1", INDEX_KEY)
CHUNK = 32  # small chunks, so that small inputs span several frames


def seal(plaintext: bytes, context: str = "blob", pieces: int = 1) -> bytes:
    out: list[bytes] = []
    encryptor = blobcrypto.Encryptor(RING, context, out.append, chunk_bytes=CHUNK)
    step = max(1, len(plaintext) // pieces)
    for start in range(0, len(plaintext), step):
        encryptor.write(plaintext[start : start + step])
    encryptor.close()
    return b"".join(out)


def open_(stored: bytes, context: str = "blob", split: int = 7) -> bytes:
    pieces = [stored[i : i + split] for i in range(0, len(stored), split)]
    return b"".join(blobcrypto.decrypt(RING, context, pieces))


def frames(stored: bytes) -> tuple[bytes, list[bytes]]:
    head = len(blobcrypto.header("k1", CHUNK))
    size = NONCE_BYTES + CHUNK + blobcrypto.TAG_BYTES
    body = stored[head:]
    return stored[:head], [body[i : i + size] for i in range(0, len(body), size)]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.integers(1, 9), st.integers(1, 50))
def test_round_trip_whatever_the_write_and_read_sizes(data: bytes, pieces: int, split: int) -> None:
    assert open_(seal(data, pieces=pieces), split=split) == data


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=1, max_size=200))
def test_no_plaintext_in_the_sealed_bytes(data: bytes) -> None:
    marker = b"AMINATA-TRAORE-" + data
    assert marker not in seal(marker)


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=CHUNK + 1, max_size=200), st.data())
def test_truncation_at_a_frame_boundary_is_detected(data: bytes, draw: st.DataObject) -> None:
    head, parts = frames(seal(data))
    keep = draw.draw(st.integers(0, len(parts) - 1))
    with pytest.raises(DecryptionError):
        open_(head + b"".join(parts[:keep]))


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=2 * CHUNK + 1, max_size=200))
def test_reordered_frames_are_detected(data: bytes) -> None:
    head, parts = frames(seal(data))
    parts[0], parts[1] = parts[1], parts[0]
    with pytest.raises(DecryptionError):
        open_(head + b"".join(parts))


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=1, max_size=200), st.data())
def test_any_flipped_bit_is_detected(data: bytes, draw: st.DataObject) -> None:
    stored = bytearray(seal(data))
    position = draw.draw(st.integers(0, len(stored) - 1))
    stored[position] ^= 1 << draw.draw(st.integers(0, 7))
    with pytest.raises(DecryptionError):
        open_(bytes(stored))


def test_a_blob_under_another_name_does_not_open() -> None:
    with pytest.raises(DecryptionError):
        open_(seal(b"%PDF-1.7 signed form", context="blob-1"), context="blob-2")


def test_reencrypt_moves_to_the_active_key() -> None:
    stored = seal(b"x" * 100, context="old")
    rotated = build_keyring(KEYS, "k2", INDEX_KEY)
    again = b"".join(blobcrypto.reencrypt(rotated, "old", "new", [stored]))
    assert blobcrypto.key_id_of(again) == "k2"
    assert b"".join(blobcrypto.decrypt(rotated, "new", [again])) == b"x" * 100
