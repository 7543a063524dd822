"""/metrics is never public, and clients cannot mint label values.

Class: operational data that reveals activity (per-route counters show that an SGBV case
was just created) and unbounded metric labels chosen by clients.
"""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from fastapi.testclient import TestClient

from casework.cli import _serve_metrics
from casework.core.config import get_settings
from casework.main import create_app
from casework.reference.vocabularies import Role
from tests.factories import World, auth
from tests.servers import free_port

SCRAPER_TOKEN = "scraper-" + "s" * 40


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.admin], ids=str)
def test_metrics_refuse_every_role_but_admin(client: TestClient, world: World, role: Role) -> None:
    assert client.get("/metrics", headers=auth(world.by_role(role))).status_code == 403


def test_metrics_refuse_anonymous_and_api_keys(client: TestClient, world: World) -> None:
    anonymous = client.get("/metrics")
    assert anonymous.status_code == 401
    assert "casework_http_requests_total" not in anonymous.text
    key = client.get("/metrics", headers={"Authorization": f"Bearer {world.api_key_secret}"})
    assert key.status_code == 403


def test_metrics_admit_an_admin(client: TestClient, world: World) -> None:
    response = client.get("/metrics", headers=auth(world.user("admin")))
    assert response.status_code == 200
    assert "casework_http_requests_total" in response.text


def test_metrics_admit_the_configured_scraper_token_only(
    configure: object, session: object, world: World
) -> None:
    from tests.conftest import join_test_transaction

    configure(metrics_token=SCRAPER_TOKEN)  # type: ignore[operator]
    app = join_test_transaction(create_app(get_settings()), session)  # type: ignore[arg-type]
    with TestClient(app) as client:
        good = client.get("/metrics", headers={"Authorization": f"Bearer {SCRAPER_TOKEN}"})
        bad = client.get("/metrics", headers={"Authorization": f"Bearer {SCRAPER_TOKEN}x"})
    assert good.status_code == 200
    assert bad.status_code == 401


def test_invented_methods_share_one_label(client: TestClient, world: World) -> None:
    invented = [f"M{uuid.uuid4().hex[:6].upper()}" for _ in range(5)]
    for method in invented:
        assert client.request(method, "/health").status_code == 405
    body = client.get("/metrics", headers=auth(world.user("admin"))).text
    for method in invented:
        assert method not in body
    assert re.search(r'casework_http_requests_total\{method="other",route="/health"', body)
    methods = set(re.findall(r'casework_http_requests_total\{method="([^"]*)"', body))
    assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}


def test_a_separate_metrics_listener_serves_metrics_alone(client: TestClient) -> None:
    client.get("/health")
    port = free_port()
    _serve_metrics(f"127.0.0.1:{port}")
    response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    assert response.status_code == 200
    assert "casework_http_requests_total" in response.text
