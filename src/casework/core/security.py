"""Password hashing (Argon2 via pwdlib) and signed access tokens (PyJWT)."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import jwt
from pwdlib import PasswordHash

from casework.core.errors import ServiceUnavailable, TooManyRequests

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


class HashGate:
    """Bounds the Argon2 work of one process: a password check is CPU and memory by design,
    so unbounded concurrent logins starve every other request.

    At most ``total`` checks run at once, at most ``per_client`` for one client address.
    A login over the client's share is refused at once (429); one that finds every slot
    busy waits up to ``wait`` seconds, then is shed (503). Both carry ``Retry-After``.
    """

    def __init__(self, total: int, per_client: int, wait: float) -> None:
        self.total, self.per_client, self.wait = total, per_client, wait
        self._slots = threading.BoundedSemaphore(total)
        self._clients: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.running = 0
        self.peak = 0  # the most checks seen running at once (for tests and diagnosis)

    @contextmanager
    def slot(self, client: str | None) -> Iterator[None]:
        key = client or "-"
        with self._lock:
            if self._clients[key] >= self.per_client:
                raise TooManyRequests(
                    "Too many logins at once from your address; try again in a moment.",
                    headers={"Retry-After": "1"},
                )
            self._clients[key] += 1
        try:
            if not self._slots.acquire(timeout=self.wait):
                raise ServiceUnavailable(
                    "The server is busy checking passwords; try again in a moment.",
                    headers={"Retry-After": "1"},
                )
            try:
                with self._lock:
                    self.running += 1
                    self.peak = max(self.peak, self.running)
                yield
            finally:
                with self._lock:
                    self.running -= 1
                self._slots.release()
        finally:
            with self._lock:
                self._clients[key] -= 1
                if self._clients[key] <= 0:
                    del self._clients[key]


@lru_cache(maxsize=8)
def hash_gate(total: int, per_client: int, wait_ms: int) -> HashGate:
    """The process's gate for these settings (one per distinct configuration)."""
    return HashGate(total, per_client, wait_ms / 1000)


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
    """The token's claims, or None for anything expired, forged or malformed.

    A token's signature and claims never change, so a token that passed is
    remembered until it expires: each request then skips the HMAC and claim
    checks. Revocation is unaffected: the caller still checks the user's
    token generation in the database on every request.
    """
    remembered = _verified.get((token, key))
    if remembered is not None:
        claims, expires_at = remembered
        return claims if clock() < expires_at else None
    try:
        payload = jwt.decode(
            token,
            key,
            algorithms=[TOKEN_ALGORITHM],
            audience=TOKEN_AUDIENCE,
            options={"require": ["sub", "exp", "gen", "aud"]},
        )
        claims = TokenClaims(user_id=uuid.UUID(str(payload["sub"])), generation=int(payload["gen"]))
        expires_at = float(payload["exp"])
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
    _verified.put((token, key), (claims, expires_at))
    return claims


clock = time.time  # seconds since the epoch, as in the "exp" claim


class _Remembered:
    """A small bounded map, oldest entry out first, safe across worker threads."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: dict[tuple[str, str], tuple[TokenClaims, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> tuple[TokenClaims, float] | None:
        return self._entries.get(key)

    def put(self, key: tuple[str, str], value: tuple[TokenClaims, float]) -> None:
        with self._lock:
            if len(self._entries) >= self._size:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = value


_verified = _Remembered(size=4096)
