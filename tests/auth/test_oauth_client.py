"""A standard OAuth 2.0 client (Authlib) against the token endpoint.

RFC 6749 section 5.2 errors must reach such a client as errors: before, a failed
login's problem body was taken for a token.
"""

from __future__ import annotations

import pytest
from authlib.integrations.httpx_client import OAuth2Client, OAuthError
from fastapi.testclient import TestClient

from tests.factories import PASSWORD, World

TOKEN_URL = "http://testserver/api/v1/auth/token"


def oauth_client(client: TestClient) -> OAuth2Client:
    # The test client's transport: Authlib's client talks to the app in this process.
    return OAuth2Client(transport=client._transport, token_endpoint_auth_method="none")


def test_a_failed_login_raises_an_oauth_error(client: TestClient, world: World) -> None:
    with oauth_client(client) as oauth:
        with pytest.raises(OAuthError) as raised:
            oauth.fetch_token(TOKEN_URL, username="monitor_a", password="wrong password")
        assert raised.value.error == "invalid_grant"
        assert raised.value.description == "Incorrect username or password."
        assert oauth.token is None  # the error body was not taken for a token


def test_a_successful_login_gives_the_client_a_usable_token(
    client: TestClient, world: World
) -> None:
    with oauth_client(client) as oauth:
        token = oauth.fetch_token(TOKEN_URL, username="monitor_a", password=PASSWORD)
        assert token["token_type"] == "bearer"
        assert token["expires_in"] == 3600
        me = oauth.get("http://testserver/api/v1/users/me")
        assert me.status_code == 200
        assert me.json()["username"] == "monitor_a"
