"""Logs never hold a password, token, name, phone or narrative; metrics never hold ids."""

from __future__ import annotations

import json
import logging
import re

import pytest
from fastapi.testclient import TestClient

from casework.core.observability import JsonFormatter
from tests.factories import PASSWORD, World, auth, case_body

SECRETS = {
    "password": PASSWORD,
    "name": "Hawa Dicko",
    "phone": "+223 65 43 21 09",
    "registration": "MLI-TIM-778899",
    "narrative": "attacked near the well behind the school",
    "survivor": "TIM-2026-077",
}


def test_no_identifying_value_reaches_a_log_line(
    client: TestClient, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = client.post(
        "/api/v1/auth/token", data={"username": "caseworker_a", "password": PASSWORD}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    client.post(
        "/api/v1/auth/token", data={"username": "caseworker_a", "password": "wrong " + PASSWORD}
    )
    person = {
        "full_name": SECRETS["name"],
        "phone": SECRETS["phone"],
        "sex": "female",
        "registration_number": SECRETS["registration"],
        "region": "ML07",
    }
    client.post("/api/v1/persons", json=person, headers=headers)
    client.post("/api/v1/persons", json=person, headers=headers)  # 409: a duplicate
    client.get(
        "/api/v1/persons", params={"registration_number": SECRETS["registration"]}, headers=headers
    )
    client.post("/api/v1/persons", json={**person, "sex": "hawa"}, headers=headers)  # 422
    gbv = auth(world.user("gbv_a"))
    client.post(
        "/api/v1/sgbv-cases",
        json=case_body(survivor_code=SECRETS["survivor"], narrative=SECRETS["narrative"]),
        headers=gbv,
    )
    client.post(
        "/api/v1/sgbv-cases",
        json=case_body(survivor_code=SECRETS["survivor"], narrative=SECRETS["narrative"]),
        headers=gbv,
    )

    formatter = JsonFormatter()
    # The server's records; httpx's are the test client's own (it logs the URLs it sends).
    server = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    lines = [formatter.format(record) for record in server]
    assert any('"route": "/api/v1/persons"' in line for line in lines)  # the access log ran
    text = "\n".join(lines)
    for what, value in {**SECRETS, "token": token}.items():
        assert value not in text, f"the {what} reached a log line"


def test_log_lines_are_json_with_the_request_id(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="casework.access")
    client.get("/health", headers={"X-Request-ID": "trace-me-42"})
    record = next(r for r in caplog.records if r.name == "casework.access")
    line = json.loads(JsonFormatter().format(record))
    assert line["route"] == "/health"
    assert line["status"] == 200
    assert "duration_ms" in line


def test_metrics_count_by_route_template_never_by_id(client: TestClient, world: World) -> None:
    incident = world.incidents["a_gao"]
    client.get(f"/api/v1/incidents/{incident.id}", headers=auth(world.user("monitor_a")))
    client.get("/api/v1/incidents/not-a-uuid", headers=auth(world.user("monitor_a")))
    response = client.get("/metrics", headers=auth(world.user("admin")))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    body = response.text
    assert re.search(
        r'casework_http_requests_total\{method="GET",route="/api/v1/incidents/\{incident_id\}",'
        r'status="200"\} [1-9]',
        body,
    )
    assert "casework_http_request_duration_seconds_bucket" in body
    assert str(incident.id) not in body
    assert "not-a-uuid" not in body
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}", body)
