"""Cookie sessions and CSRF tokens of the web interface.

A session is a signed cookie, like an API access token and checked the same way
on every request: the user must be active and the cookie's token generation
must equal the user's (``User.token_generation``), so deactivation, a password
change or a change of role or scope ends the session at once, exactly as it
revokes API tokens. The cookie's audience differs from an access token's, so
neither can stand in for the other. Each answered page renews the cookie: it
expires after ``web_idle_minutes`` without use, and ``web_session_hours`` after
sign-in whatever happens.

CSRF: every form carries ``csrf_token``, an HMAC of the session's id (before
sign-in, of a random pre-session cookie). A POST without the right token is
refused with 403 before the page's code runs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from casework.core.config import Environment, Settings
from casework.core.security import TOKEN_ALGORITHM

SESSION_COOKIE = "cw_session"
PRE_SESSION_COOKIE = "cw_pre"
LANGUAGE_COOKIE = "cw_lang"
SESSION_AUDIENCE = "casework-web"


@dataclass(frozen=True)
class SessionClaims:
    user_id: uuid.UUID
    generation: int
    session_id: str
    signed_in_at: int


def issue(
    settings: Settings, *, user_id: uuid.UUID, generation: int, session_id: str, signed_in_at: int
) -> str:
    now = datetime.now(UTC)
    ends = min(
        now + timedelta(minutes=settings.web_idle_minutes),
        datetime.fromtimestamp(signed_in_at, UTC) + timedelta(hours=settings.web_session_hours),
    )
    payload = {
        "sub": str(user_id),
        "gen": generation,
        "sid": session_id,
        "auth_time": signed_in_at,
        "aud": SESSION_AUDIENCE,
        "iat": now,
        "exp": ends,
    }
    return jwt.encode(payload, settings.signing_key(), algorithm=TOKEN_ALGORITHM)


def new_session(settings: Settings, user_id: uuid.UUID, generation: int) -> str:
    return issue(
        settings,
        user_id=user_id,
        generation=generation,
        session_id=secrets.token_urlsafe(24),
        signed_in_at=int(time.time()),
    )


def read(settings: Settings, cookie: str | None) -> SessionClaims | None:
    """The claims of a valid, unexpired session cookie, else None (the user is checked apart)."""
    if not cookie:
        return None
    try:
        payload = jwt.decode(
            cookie,
            settings.signing_key(),
            algorithms=[TOKEN_ALGORITHM],
            audience=SESSION_AUDIENCE,
            options={"require": ["sub", "gen", "sid", "auth_time", "exp", "aud"]},
        )
        claims = SessionClaims(
            user_id=uuid.UUID(str(payload["sub"])),
            generation=int(payload["gen"]),
            session_id=str(payload["sid"]),
            signed_in_at=int(payload["auth_time"]),
        )
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
    if claims.signed_in_at + settings.web_session_hours * 3600 < time.time():
        return None
    return claims


def csrf_token(settings: Settings, secret: str) -> str:
    key = settings.signing_key().encode()
    return hmac.new(key, b"csrf:" + secret.encode(), hashlib.sha256).hexdigest()


def csrf_valid(settings: Settings, given: str | None, secrets_: list[str]) -> bool:
    if not given:
        return False
    return any(hmac.compare_digest(given, csrf_token(settings, s)) for s in secrets_ if s)


def new_pre_session() -> str:
    return secrets.token_urlsafe(24)


def cookie_options(settings: Settings) -> dict[str, object]:
    return {
        "httponly": True,
        "samesite": "lax",
        "secure": settings.env is not Environment.development,
        "path": "/",
    }
