"""Users' e-mail address and language: set by an admin, validated, shown back."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import World, auth


def new_user(**fields: Any) -> dict[str, Any]:
    return {
        "username": f"u.{uuid.uuid4().hex[:8]}",
        "password": "long enough password",
        "role": "caseworker",
        "organization": "ORGA",
        **fields,
    }


def test_an_admin_sets_email_and_language(client: TestClient, world: World) -> None:
    admin = auth(world.user("admin"))
    created = client.post(
        "/api/v1/users", json=new_user(email="awa@orga.example.org", language="en"), headers=admin
    )
    assert created.status_code == 201, created.text
    assert (created.json()["email"], created.json()["language"]) == ("awa@orga.example.org", "en")
    url = f"/api/v1/users/{created.json()['id']}"
    changed = client.patch(url, json={"email": "awa.t@orga.example.org"}, headers=admin).json()
    assert (changed["email"], changed["language"]) == ("awa.t@orga.example.org", "en")
    removed = client.patch(url, json={"email": None, "language": None}, headers=admin).json()
    assert (removed["email"], removed["language"]) == (None, None)
    me = client.get("/api/v1/users/me", headers=auth(world.user("caseworker_a"))).json()
    assert me["email"] is None


@pytest.mark.parametrize(
    "address",
    [
        "not-an-address",
        "a@localhost",
        "two@@orga.example.org",
        "a b@orga.example.org",
        "a@orga.example.org\r\nBcc: all@example.org",
        "Awa <awa@orga.example.org>",
        "a,b@orga.example.org",
        "x" * 250 + "@example.org",
    ],
)
def test_addresses_are_validated(client: TestClient, world: World, address: str) -> None:
    admin = auth(world.user("admin"))
    response = client.post("/api/v1/users", json=new_user(email=address), headers=admin)
    assert response.status_code == 422, address
    patched = client.patch(
        f"/api/v1/users/{world.user('caseworker_b').id}", json={"email": address}, headers=admin
    )
    assert patched.status_code == 422, address


def test_only_known_languages(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/users", json=new_user(language="de"), headers=auth(world.user("admin"))
    )
    assert response.status_code == 422
