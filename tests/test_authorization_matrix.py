"""Every endpoint x every role, plus anonymous callers.

The expected status for each (endpoint, role) comes from the contract's role
table. ``test_matrix_covers_every_route`` fails when a route is added without a
row here, so the matrix cannot silently fall behind the API.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from casework.reference.vocabularies import Role
from tests.factories import World, auth, incident_body

A, S, M, C, G, F, R = (
    Role.admin,
    Role.supervisor,
    Role.monitor,
    Role.caseworker,
    Role.gbv_caseworker,
    Role.actor_focal_point,
    Role.reporting,
)
ALL = frozenset(Role)


@dataclass(frozen=True)
class Endpoint:
    method: str
    route: str  # the route's path template, as FastAPI knows it
    allowed: frozenset[Role]
    ok: int = 200
    path: Callable[[World], str] | None = None
    body: Callable[[World], Any] | None = None
    form: dict[str, str] = field(default_factory=dict)

    def url(self, world: World) -> str:
        return self.path(world) if self.path else self.route


def _incident_url(world: World) -> str:
    return f"/api/v1/incidents/{world.incidents['a_gao'].id}"


def _user_url(world: World) -> str:
    return f"/api/v1/users/{world.user('caseworker_b').id}"


MATRIX = [
    Endpoint("GET", "/api/v1/users/me", ALL),
    Endpoint("GET", "/api/v1/reference", ALL),
    Endpoint(
        "POST",
        "/api/v1/users",
        frozenset({A}),
        ok=201,
        body=lambda w: {
            "username": f"new.{uuid.uuid4().hex[:8]}",
            "password": "long enough password",
            "role": "caseworker",
            "organization": "ORGA",
        },
    ),
    Endpoint("GET", "/api/v1/users", frozenset({A})),
    Endpoint("GET", "/api/v1/users/{user_id}", frozenset({A}), path=_user_url),
    Endpoint(
        "PATCH",
        "/api/v1/users/{user_id}",
        frozenset({A}),
        path=_user_url,
        body=lambda w: {"regions": ["ML05"]},
    ),
    Endpoint(
        "POST",
        "/api/v1/organizations",
        frozenset({A}),
        ok=201,
        body=lambda w: {"code": f"O{uuid.uuid4().hex[:6]}", "name": "New partner"},
    ),
    Endpoint("GET", "/api/v1/organizations", frozenset({A})),
    Endpoint(
        "POST", "/api/v1/incidents", frozenset({S, M}), ok=201, body=lambda w: incident_body()
    ),
    Endpoint(
        "POST",
        "/api/v1/incidents/batch",
        frozenset({S, M}),
        body=lambda w: {"items": [incident_body()]},
    ),
    Endpoint("GET", "/api/v1/incidents", frozenset({S, M, C, G})),
    Endpoint("GET", "/api/v1/incidents/{incident_id}", frozenset({S, M, C, G}), path=_incident_url),
    Endpoint(
        "PATCH",
        "/api/v1/incidents/{incident_id}",
        frozenset({S, M}),
        path=_incident_url,
        body=lambda w: {"locality": "Ansongo"},
    ),
]

# Routes that need no token (their behaviour is tested elsewhere).
PUBLIC = {
    ("POST", "/api/v1/auth/token"),
    ("GET", "/health"),
    ("GET", "/ready"),
}


def test_matrix_covers_every_route(app: FastAPI) -> None:
    # The OpenAPI document is the public surface: every operation in it needs a row.
    routes = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    covered = {(e.method, e.route) for e in MATRIX} | PUBLIC
    assert routes == covered


@pytest.mark.parametrize("endpoint", MATRIX, ids=lambda e: f"{e.method} {e.route}")
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_role_matrix(client: TestClient, world: World, endpoint: Endpoint, role: Role) -> None:
    user = world.by_role(role)
    response = client.request(
        endpoint.method,
        endpoint.url(world),
        json=endpoint.body(world) if endpoint.body else None,
        headers=auth(user),
    )
    expected = endpoint.ok if role in endpoint.allowed else 403
    assert response.status_code == expected, response.text
    if expected == 403:
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("endpoint", MATRIX, ids=lambda e: f"{e.method} {e.route}")
def test_anonymous_is_401(client: TestClient, world: World, endpoint: Endpoint) -> None:
    response = client.request(
        endpoint.method,
        endpoint.url(world),
        json=endpoint.body(world) if endpoint.body else None,
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("path", ["/health", "/ready"])
def test_public_operations_need_no_token(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200
