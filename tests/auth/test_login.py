from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.auth.models import LoginThrottle
from tests.factories import PASSWORD, World, auth, token_for

TOKEN_URL = "/api/v1/auth/token"


def login(client: TestClient, username: str, password: str = PASSWORD) -> Response:
    return client.post(TOKEN_URL, data={"username": username, "password": password})


def test_login_returns_a_bearer_token_that_identifies_the_user(
    client: TestClient, world: World
) -> None:
    response = login(client, "monitor_a")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 60 * 60
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == "monitor_a"
    assert me.json()["role"] == "monitor"
    assert me.json()["organization"] == "ORGA"
    assert me.json()["regions"] == ["ML07"]
    assert "password" not in me.text
    assert "hash" not in me.text


def test_username_is_case_insensitive(client: TestClient, world: World) -> None:
    assert login(client, "Monitor_A").status_code == 200


@pytest.mark.parametrize("username", ["monitor_a", "nobody"])
def test_wrong_credentials_are_invalid_grant_problems(
    client: TestClient, world: World, username: str
) -> None:
    # RFC 6749 section 5.2: 400 with "error": "invalid_grant", still an RFC 9457 problem.
    response = login(client, username, "wrong password")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["error"] == "invalid_grant"
    assert body["type"] == "urn:casework:problem:oauth-invalid-grant"
    assert body["detail"] == body["error_description"] == "Incorrect username or password."
    assert "access_token" not in body


@pytest.mark.parametrize(
    ("request_args", "error"),
    [
        ({"data": {"username": "monitor_a"}}, "invalid_request"),
        ({"data": {"password": PASSWORD}}, "invalid_request"),
        ({"json": {"username": "monitor_a", "password": PASSWORD}}, "invalid_request"),
        (
            {"content": f"username=monitor_a&password={PASSWORD}&password=other"},
            "invalid_request",
        ),
        (
            {"data": {"grant_type": "client_credentials", "username": "monitor_a"}},
            "unsupported_grant_type",
        ),
    ],
    ids=["no-password", "no-username", "json-body", "repeated-parameter", "other-grant"],
)
def test_malformed_token_requests_are_oauth_errors(
    client: TestClient, world: World, request_args: dict[str, Any], error: str
) -> None:
    headers = {}
    if "content" in request_args:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    response = client.post(TOKEN_URL, headers=headers, **request_args)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["error"] == error


def test_the_password_grant_is_accepted_with_its_grant_type(
    client: TestClient, world: World
) -> None:
    response = client.post(
        TOKEN_URL, data={"grant_type": "password", "username": "monitor_a", "password": PASSWORD}
    )
    assert response.status_code == 200


def test_failed_logins_are_throttled_in_the_database(
    client: TestClient, world: World, session: Session, configure: Any
) -> None:
    configure(login_max_failures=3, login_lockout_seconds=600)
    for _ in range(3):
        assert login(client, "monitor_a", "bad").status_code == 400
    # Locked now: even the right password is refused, with a Retry-After.
    response = login(client, "monitor_a")
    assert response.status_code == 429
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["error"] == "invalid_grant"
    assert 590 <= int(response.headers["retry-after"]) <= 600
    # The lock is shared state in the database, not in one worker's memory.
    throttle = session.scalar(select(LoginThrottle).where(LoginThrottle.username == "monitor_a"))
    assert throttle is not None
    assert throttle.locked_until is not None
    # Other usernames are unaffected.
    assert login(client, "monitor_b").status_code == 200


def test_unknown_usernames_are_throttled_like_known_ones(
    client: TestClient, world: World, configure: Any
) -> None:
    configure(login_max_failures=2)
    for _ in range(2):
        assert login(client, "ghost", "bad").status_code == 400
    assert login(client, "ghost", "bad").status_code == 429


def test_success_resets_the_failure_count(client: TestClient, world: World, configure: Any) -> None:
    configure(login_max_failures=3)
    for _ in range(2):
        login(client, "monitor_a", "bad")
    assert login(client, "monitor_a").status_code == 200
    for _ in range(2):
        login(client, "monitor_a", "bad")
    assert login(client, "monitor_a").status_code == 200


def test_deactivated_user_cannot_log_in(client: TestClient, world: World, session: Session) -> None:
    world.user("monitor_a").is_active = False
    session.commit()
    assert login(client, "monitor_a").status_code == 400


@pytest.mark.parametrize(
    "header",
    [
        "Bearer not-a-jwt",
        "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
        "Basic dXNlcjpwYXNz",
    ],
)
def test_garbage_tokens_are_401(client: TestClient, world: World, header: str) -> None:
    response = client.get("/api/v1/users/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_expired_token_is_401(client: TestClient, world: World) -> None:
    token = token_for(world.user("monitor_a"), lifetime=timedelta(seconds=-1))
    response = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_token_signed_with_another_key_is_401(client: TestClient, world: World) -> None:
    from casework.core.security import issue_access_token

    user = world.user("monitor_a")
    forged = issue_access_token(
        user_id=user.id, generation=0, key="another-key-" + "y" * 32, lifetime=timedelta(minutes=5)
    )
    response = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


def test_deactivation_revokes_issued_tokens(client: TestClient, world: World) -> None:
    monitor = world.user("monitor_a")
    headers = auth(monitor)
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    response = client.patch(
        f"/api/v1/users/{monitor.id}", json={"is_active": False}, headers=auth(world.user("admin"))
    )
    assert response.status_code == 200
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401


def test_role_change_revokes_issued_tokens(client: TestClient, world: World) -> None:
    monitor = world.user("monitor_a")
    headers = auth(monitor)
    response = client.patch(
        f"/api/v1/users/{monitor.id}",
        json={"role": "caseworker"},
        headers=auth(world.user("admin")),
    )
    assert response.status_code == 200
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401
    # A fresh login gets the new role.
    token = login(client, "monitor_a").json()["access_token"]
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["role"] == "caseworker"


def test_unrelated_update_keeps_tokens_valid(client: TestClient, world: World) -> None:
    monitor = world.user("monitor_a")
    headers = auth(monitor)
    response = client.patch(
        f"/api/v1/users/{monitor.id}", json={"role": "monitor"}, headers=auth(world.user("admin"))
    )
    assert response.status_code == 200
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200


def test_login_rehash_and_throttle_rows_stay_out_of_responses(
    client: TestClient, world: World, session: Session
) -> None:
    login(client, "monitor_a", "bad")
    assert login(client, "monitor_a").status_code == 200
    # A successful login clears the counter.
    assert session.get(LoginThrottle, "monitor_a") is None
