"""Password hashing (Argon2 via pwdlib) and signed access tokens (PyJWT)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import jwt
from pwdlib import PasswordHash

TOKEN_ALGORITHM = "HS256"  # noqa: S105 - an algorithm name, not a secret
TOKEN_AUDIENCE = "casework"  # noqa: S105 - an audience claim, not a secret


@lru_cache
def password_hasher() -> PasswordHash:
    return PasswordHash.recommended()


def hash_password(password: str) -> str:
    return password_hasher().hash(password)


@lru_cache
def _dummy_hash() -> str:
    return hash_password("not-a-real-password-used-for-timing-only")


def verify_password(password: str, password_hash: str | None) -> tuple[bool, str | None]:
    """Check a password; returns (valid, new_hash_if_the_parameters_changed).

    With no stored hash (unknown user) it still runs one Argon2 verification so
    that response time does not reveal which usernames exist.
    """
    if password_hash is None:
        password_hasher().verify(password, _dummy_hash())
        return False, None
    return password_hasher().verify_and_update(password, password_hash)


@dataclass(frozen=True)
class TokenClaims:
    user_id: uuid.UUID
    generation: int


def issue_access_token(
    *, user_id: uuid.UUID, generation: int, key: str, lifetime: timedelta
) -> str:
    now = datetime.now(UTC)
    payload = {
        "sub": str(user_id),
        # Bumped on deactivation, role, scope or password change: older tokens die.
        "gen": generation,
        "aud": TOKEN_AUDIENCE,
        "iat": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(payload, key, algorithm=TOKEN_ALGORITHM)


def decode_access_token(token: str, *, key: str) -> TokenClaims | None:
    """The token's claims, or None for anything expired, forged or malformed."""
    try:
        payload = jwt.decode(
            token,
            key,
            algorithms=[TOKEN_ALGORITHM],
            audience=TOKEN_AUDIENCE,
            options={"require": ["sub", "exp", "gen", "aud"]},
        )
        return TokenClaims(user_id=uuid.UUID(str(payload["sub"])), generation=int(payload["gen"]))
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
