"""Field encryption at rest (AES-256-GCM) and blind indexes (HMAC-SHA256).

Stored form of an encrypted value: ``v1:<key id>:<base64url(nonce || ciphertext+tag)>``.
The key id travels with each value, so several keys can be in the keyring at
once and ``casework rotate-key`` can re-encrypt everything under the active
one. The column's name is bound in as associated data: a ciphertext copied
into another column (or another row's column of a different kind) fails to
decrypt instead of showing up in the wrong place.

A blind index is a keyed hash of a normalised value (a registration number),
so exact lookups work without decrypting the table, and without the key the
index reveals nothing a dictionary attack could use.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Dialect, Text
from sqlalchemy.types import TypeDecorator

FORMAT_VERSION = "v1"
NONCE_BYTES = 12


class DecryptionError(Exception):
    """A stored value could not be decrypted (unknown key id, tampering, wrong column)."""


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, bytes]
    active: str
    blind_index_key: bytes

    @cached_property
    def _ciphers(self) -> dict[str, AESGCM]:
        # One cipher object per key, not per value: a work list decrypts fifty titles.
        return {key_id: AESGCM(key) for key_id, key in self.keys.items()}

    def encrypt(self, plaintext: str, context: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self.active].encrypt(nonce, plaintext.encode(), context.encode())
        payload = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{FORMAT_VERSION}:{self.active}:{payload}"

    def decrypt(self, stored: str, context: str) -> str:
        try:
            version, key_id, payload = stored.split(":", 2)
            if version != FORMAT_VERSION:
                raise DecryptionError(f"unknown format {version!r}")
            cipher = self._ciphers[key_id]
            raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
            nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
            return cipher.decrypt(nonce, sealed, context.encode()).decode()
        except KeyError as exc:
            raise DecryptionError(f"no key {exc} in the keyring") from None
        except (ValueError, InvalidTag) as exc:
            raise DecryptionError(f"cannot decrypt a {context} value") from exc

    def blind_index(self, value: str, purpose: str) -> str:
        normalised = "".join(value.split()).upper()
        message = f"{purpose}\x00{normalised}".encode()
        return hmac.new(self.blind_index_key, message, hashlib.sha256).hexdigest()


def key_id_of(stored: str) -> str:
    return stored.split(":", 2)[1]


def parse_keys(spec: str) -> dict[str, bytes]:
    """``"k2:<base64 32 bytes>,k1:<...>"`` -> {key id: key}."""
    keys: dict[str, bytes] = {}
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        key_id, _, encoded = item.partition(":")
        key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        if not key_id or len(key) != 32 or not key_id.isalnum():
            raise ValueError(
                "each encryption key is '<alphanumeric id>:<base64 of 32 random bytes>'"
            )
        keys[key_id] = key
    if not keys:
        raise ValueError("no encryption key given")
    return keys


def new_key_spec(key_id: str) -> str:
    return f"{key_id}:{base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}"


def _write_private(path: Path, content: str) -> None:
    path.touch(mode=0o600)
    path.write_text(content)


def development_key_material(data_dir: Path) -> tuple[str, str]:
    """Keys for development, generated once under data_dir (never used in production)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    keys_path, index_path = data_dir / "encryption_keys", data_dir / "blind_index_key"
    if not keys_path.exists():
        _write_private(keys_path, new_key_spec("dev1"))
    if not index_path.exists():
        _write_private(index_path, base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    return keys_path.read_text().strip(), index_path.read_text().strip()


@lru_cache(maxsize=8)
def build_keyring(keys_spec: str, active: str | None, blind_index_key: str) -> Keyring:
    keys = parse_keys(keys_spec)
    active_id = active or next(iter(keys))
    if active_id not in keys:
        raise ValueError(f"the active encryption key {active_id!r} is not in the keyring")
    index_key = base64.urlsafe_b64decode(blind_index_key + "=" * (-len(blind_index_key) % 4))
    if len(index_key) < 32:
        raise ValueError("the blind index key must be at least 32 random bytes (base64)")
    return Keyring(keys=keys, active=active_id, blind_index_key=index_key)


def keyring() -> Keyring:
    """The configured keyring; looked up once per settings object, since every encrypted
    value read asks for it (fifty times for one work list)."""
    global _current
    from casework.core.config import get_settings

    settings = get_settings()
    current = _current
    if current is None or current[0] is not settings:
        current = _current = (settings, settings.keyring())
    return current[1]


_current: tuple[object, Keyring] | None = None


class EncryptedText(TypeDecorator[str]):
    """A text column stored encrypted; Python code only ever sees plaintext."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keyring().encrypt(value, self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keyring().decrypt(value, self.context)
