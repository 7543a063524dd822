"""Access tokens remembered after their first check still expire and still need the key."""

import uuid
from datetime import timedelta

import pytest

from casework.core import security

KEY = "token-test-key-" + "k" * 32


def test_a_remembered_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    user_id = uuid.uuid4()
    token = security.issue_access_token(
        user_id=user_id, generation=3, key=KEY, lifetime=timedelta(minutes=5)
    )
    claims = security.TokenClaims(user_id=user_id, generation=3)
    assert security.decode_access_token(token, key=KEY) == claims
    assert security.decode_access_token(token, key=KEY) == claims  # now from memory
    later = security.clock() + 301
    monkeypatch.setattr(security, "clock", lambda: later)
    # PyJWT reads the real clock, to which the token is still valid: only the
    # remembered expiry can refuse it here.
    assert security.decode_access_token(token, key=KEY) is None


def test_a_remembered_token_is_refused_under_another_key() -> None:
    token = security.issue_access_token(
        user_id=uuid.uuid4(), generation=0, key=KEY, lifetime=timedelta(minutes=5)
    )
    assert security.decode_access_token(token, key=KEY) is not None
    assert security.decode_access_token(token, key="another-key-" + "z" * 32) is None


def test_a_tampered_token_is_refused_after_the_genuine_one_was_remembered() -> None:
    token = security.issue_access_token(
        user_id=uuid.uuid4(), generation=0, key=KEY, lifetime=timedelta(minutes=5)
    )
    assert security.decode_access_token(token, key=KEY) is not None
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    assert security.decode_access_token(tampered, key=KEY) is None
