"""NUL characters are refused wherever a client can put a string, on every route.

422, or 400 invalid_request at the OAuth 2.0 token endpoint.

Class: a character PostgreSQL cannot store in text (SQLite can), which turned body
fields, query filters and the login username into 500s on one database. Refused in one
place (``casework.core.nul``) before routing; the property tests go over every operation
of the OpenAPI document, every place a string can go, and random strings around the NUL.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import World, auth, incident_body

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, operations in app.openapi()["paths"].items()
        for method, operation in operations.items()
    ]


def _fill_path(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: quote(value, safe=""), path)


def _body_fields(app: FastAPI, operation: dict[str, Any]) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {})
    schema = (content.get("application/json") or {}).get("schema", {})
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = app.openapi()["components"]["schemas"][name]
    return sorted(schema.get("properties", {})) or ["anything"]


def with_nul() -> st.SearchStrategy[str]:
    text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
    return st.builds(lambda a, b: f"{a}\x00{b}", text, text)


def _assert_refused(response: Any) -> None:
    body = response.json()
    if response.url.path == "/api/v1/auth/token":
        # The OAuth 2.0 token endpoint refuses the OAuth way (RFC 6749 section 5.2).
        assert response.status_code == 400, response.text
        assert body["error"] == "invalid_request"
    else:
        assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert any(e["type"] == "string_nul" for e in body["errors"])


@SETTINGS
@given(data=st.data(), value=with_nul())
def test_a_nul_in_any_json_body_field_of_any_route_is_422(
    client: TestClient, app: FastAPI, world: World, data: st.DataObject, value: str
) -> None:
    writes = [op for op in _operations(app) if "requestBody" in op[2]]
    method, path, operation = data.draw(st.sampled_from(writes))
    field = data.draw(st.sampled_from(_body_fields(app, operation)))
    nested = data.draw(st.sampled_from(["plain", "list", "object", "key"]))
    payload: Any = {
        "plain": {field: value},
        "list": {field: ["ok", value]},
        "object": {field: {"inner": value}},
        "key": {value: "ok"},
    }[nested]
    response = client.request(
        method,
        _fill_path(path, "x"),
        content=json.dumps(payload),
        headers={**auth(world.user("admin")), "Content-Type": "application/json"},
    )
    _assert_refused(response)


@SETTINGS
@given(data=st.data(), value=with_nul())
def test_a_nul_in_any_query_parameter_of_any_route_is_422(
    client: TestClient, app: FastAPI, world: World, data: st.DataObject, value: str
) -> None:
    method, path, operation = data.draw(st.sampled_from(_operations(app)))
    names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
    name = data.draw(st.sampled_from(names or ["region"]))
    response = client.request(
        method,
        _fill_path(path, "x"),
        params={name: value},
        headers=auth(world.user("supervisor_a")),
    )
    _assert_refused(response)


@SETTINGS
@given(data=st.data(), value=with_nul())
def test_a_nul_in_any_path_parameter_is_422(
    client: TestClient, app: FastAPI, world: World, data: st.DataObject, value: str
) -> None:
    templated = [op for op in _operations(app) if "{" in op[1]]
    method, path, _operation = data.draw(st.sampled_from(templated))
    response = client.request(method, _fill_path(path, value), headers=auth(world.user("admin")))
    _assert_refused(response)


@SETTINGS
@given(username=with_nul(), encoding=st.sampled_from(["form", "multipart"]))
def test_a_nul_in_the_login_form_is_refused(
    client: TestClient, username: str, encoding: str
) -> None:
    form = {"username": username, "password": "whatever-password"}
    if encoding == "form":
        response = client.post("/api/v1/auth/token", data=form)
    else:
        response = client.post("/api/v1/auth/token", files={k: (None, v) for k, v in form.items()})
        # RFC 6749 takes only urlencoded forms: refused before any field is read.
        assert response.status_code == 400, response.text
        return
    _assert_refused(response)


def test_a_nul_in_a_kobo_submission_is_422(client: TestClient, world: World) -> None:
    response = client.post(
        f"/api/v1/integrations/kobo/{world.kobo_form}/submissions",
        json={"_uuid": "nul-1", "location/region": "gao\x00"},
        headers={"X-Kobo-Secret": "irrelevant"},
    )
    _assert_refused(response)


def test_an_escaped_backslash_is_not_a_nul(client: TestClient, world: World) -> None:
    body = incident_body(description="A literal \\u0000 typed by a monitor.")
    response = client.post("/api/v1/incidents", json=body, headers=auth(world.user("monitor_a")))
    assert response.status_code == 201, response.text
    assert response.json()["description"] == "A literal \\u0000 typed by a monitor."


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/api/v1/incidents", {"region": "ML07\x00"}),
        ("/api/v1/persons", {"registration_number": "\x00"}),
        ("/api/v1/actors/CVJR%00", {}),
    ],
)
def test_the_reported_cases_are_422(
    client: TestClient, world: World, url: str, params: dict[str, str]
) -> None:
    response = client.get(url, params=params, headers=auth(world.user("supervisor_a")))
    _assert_refused(response)
