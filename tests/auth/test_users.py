from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework.auth.models import Organization, User
from tests.factories import World, auth

USERS = "/api/v1/users"


def new_user(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "username": "monitor.kidal",
        "password": "a long enough password",
        "role": "monitor",
        "organization": "ORGA",
        "regions": ["ML08"],
    }
    body.update(overrides)
    return body


def test_admin_creates_user_without_exposing_the_password(
    client: TestClient, world: World, session: Session
) -> None:
    response = client.post(USERS, json=new_user(), headers=auth(world.user("admin")))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["username"] == "monitor.kidal"
    assert body["regions"] == ["ML08"]
    assert body["organization"] == "ORGA"
    assert response.headers["etag"] == '"1"'
    assert "password" not in response.text
    stored = session.scalar(select(User).where(User.username == "monitor.kidal"))
    assert stored is not None
    assert stored.password_hash.startswith("$argon2")
    assert "a long enough password" not in stored.password_hash


@pytest.mark.parametrize(
    ("overrides", "loc"),
    [
        ({"regions": []}, ["body", "regions"]),
        ({"regions": ["ML99"]}, ["body", "regions", 0]),
        ({"organization": None}, ["body", "organization"]),
        ({"role": "actor_focal_point", "organization": None, "regions": []}, ["body", "actor"]),
        ({"actor": "CVJR"}, ["body", "actor"]),
        ({"role": "superuser"}, ["body", "role"]),
        ({"password": "short"}, ["body", "password"]),
        ({"organization": "NOPE"}, ["body", "organization"]),
        ({"username": "bad name!"}, ["body", "username"]),
        ({"is_admin": True}, ["body", "is_admin"]),
    ],
)
def test_user_scope_must_fit_the_role(
    client: TestClient, world: World, session: Session, overrides: dict[str, Any], loc: list[Any]
) -> None:
    response = client.post(USERS, json=new_user(**overrides), headers=auth(world.user("admin")))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert loc in [error["loc"] for error in response.json()["errors"]]
    assert session.scalar(select(func.count()).where(User.username == "monitor.kidal")) == 0


def test_duplicate_username_is_409(client: TestClient, world: World) -> None:
    response = client.post(
        USERS, json=new_user(username="monitor_a"), headers=auth(world.user("admin"))
    )
    assert response.status_code == 409


def test_list_users_pages_with_a_cursor(client: TestClient, world: World) -> None:
    headers = auth(world.user("admin"))
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 5}
        if cursor:
            params["cursor"] = cursor
        page = client.get(USERS, params=params, headers=headers).json()
        seen += [u["username"] for u in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(world.users)
    assert len(seen) == len(set(seen))


def test_list_users_filters_by_role(client: TestClient, world: World) -> None:
    page = client.get(USERS, params={"role": "monitor"}, headers=auth(world.user("admin"))).json()
    assert {u["username"] for u in page["items"]} == {"monitor_a", "monitor_a2", "monitor_b"}


def test_user_patch_honours_if_match(client: TestClient, world: World) -> None:
    headers = auth(world.user("admin"))
    target = world.user("caseworker_a")
    etag = client.get(f"{USERS}/{target.id}", headers=headers).headers["etag"]
    first = client.patch(
        f"{USERS}/{target.id}", json={"regions": ["ML07"]}, headers={**headers, "If-Match": etag}
    )
    assert first.status_code == 200
    assert first.headers["etag"] != etag
    stale = client.patch(
        f"{USERS}/{target.id}", json={"regions": ["ML05"]}, headers={**headers, "If-Match": etag}
    )
    assert stale.status_code == 412
    assert client.get(f"{USERS}/{target.id}", headers=headers).json()["regions"] == ["ML07"]


def test_admin_cannot_lock_themselves_out(client: TestClient, world: World) -> None:
    admin = world.user("admin")
    response = client.patch(f"{USERS}/{admin.id}", json={"is_active": False}, headers=auth(admin))
    assert response.status_code == 409


def test_password_change_takes_effect_and_revokes_tokens(client: TestClient, world: World) -> None:
    target = world.user("caseworker_a")
    old_headers = auth(target)
    response = client.patch(
        f"{USERS}/{target.id}",
        json={"password": "brand new passphrase"},
        headers=auth(world.user("admin")),
    )
    assert response.status_code == 200
    assert client.get("/api/v1/users/me", headers=old_headers).status_code == 401
    login = client.post(
        "/api/v1/auth/token",
        data={"username": "caseworker_a", "password": "brand new passphrase"},
    )
    assert login.status_code == 200


def test_unknown_user_is_404(client: TestClient, world: World) -> None:
    response = client.get(
        f"{USERS}/00000000-0000-4000-8000-000000000000", headers=auth(world.user("admin"))
    )
    assert response.status_code == 404


def test_organizations_are_managed_by_admins(
    client: TestClient, world: World, session: Session
) -> None:
    headers = auth(world.user("admin"))
    created = client.post(
        "/api/v1/organizations", json={"code": "drc", "name": "Partner"}, headers=headers
    )
    assert created.status_code == 201
    assert created.json()["code"] == "DRC"
    assert (
        client.post(
            "/api/v1/organizations", json={"code": "DRC", "name": "Again"}, headers=headers
        ).status_code
        == 409
    )
    page = client.get("/api/v1/organizations", headers=headers).json()
    codes = [o["code"] for o in page["items"]]
    assert page["next_cursor"] is None
    assert "DRC" in codes
    assert session.scalar(select(func.count()).select_from(Organization)) == 3
