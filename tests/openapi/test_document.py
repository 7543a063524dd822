"""What the document promises client authors, checked over every operation."""

from __future__ import annotations

import re
from typing import Any

from openapi_spec_validator import validate

from casework.core.errors import UNPROCESSABLE

Operation = tuple[str, str, dict[str, Any]]


def operations(document: dict[str, Any]) -> list[Operation]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)  # openapi-spec-validator: raises on the first violation


def test_every_operation_has_a_readable_unique_id_a_summary_and_a_description(
    document: dict[str, Any],
) -> None:
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids))
    for path, method, op in operations(document):
        assert re.fullmatch(r"[a-z][A-Za-z0-9]*", op["operationId"]), (path, method)
        assert op["summary"].strip(), (path, method)
        assert op["description"].strip(), (path, method)
    by_route = {(p, m): op["operationId"] for p, m, op in operations(document)}
    assert by_route[("/api/v1/auth/token", "post")] == "login"
    assert by_route[("/api/v1/incidents", "post")] == "createIncident"


def test_every_operation_has_exactly_one_tag_and_every_tag_is_described(
    document: dict[str, Any],
) -> None:
    # A router tag added to the route's own listed organisations and API keys twice.
    described = {tag["name"] for tag in document["tags"]}
    for path, method, op in operations(document):
        assert len(op["tags"]) == 1, (path, method, op["tags"])
        assert op["tags"][0] in described


def test_every_authenticated_post_declares_idempotency_key(document: dict[str, Any]) -> None:
    for path, method, op in operations(document):
        bearer = {"OAuth2PasswordBearer": []} in op.get("security", [])
        if method == "post" and bearer and path.startswith("/api/"):
            names = [p["name"] for p in op.get("parameters", [])]
            assert "Idempotency-Key" in names, path
            for status, response in op["responses"].items():
                if status.startswith("2"):
                    assert "Idempotency-Replayed" in response["headers"], (path, status)


def test_statuses_any_request_can_meet_are_declared(document: dict[str, Any]) -> None:
    for path, method, op in operations(document):
        responses = op["responses"]
        assert {"500", "405"} <= set(responses), (path, method)
        if path.startswith("/api/") and path != "/api/v1/auth/token":
            assert "406" in responses, (path, method)
        if op.get("security"):
            assert "401" in responses, (path, method)
        if "requestBody" in op:
            assert "413" in responses, (path, method)
            if path != "/api/v1/auth/token":
                assert {"415", "422"} <= set(responses), (path, method)
        for status, response in responses.items():
            assert "X-Request-ID" in response["headers"], (path, method, status)


def test_every_error_is_a_problem_and_nothing_else(document: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, _method, op in operations(document):
        for status, response in op["responses"].items():
            if int(status) >= 400:
                assert list(response["content"]) == ["application/problem+json"], (path, status)
                schema = response["content"]["application/problem+json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}


def test_the_problem_schema_declares_its_extension_members(document: dict[str, Any]) -> None:
    problem = document["components"]["schemas"]["Problem"]
    for member in ("errors", "allowed", "current", "missing", "current_version", "error"):
        assert member in problem["properties"], member


def test_response_headers_are_declared(document: dict[str, Any]) -> None:
    paths = document["paths"]
    created = paths["/api/v1/incidents"]["post"]["responses"]["201"]["headers"]
    assert {"ETag", "Location", "Idempotency-Replayed", "X-Request-ID"} <= set(created)
    assert "ETag" in paths["/api/v1/incidents/{incident_id}"]["get"]["responses"]["200"]["headers"]
    stale = paths["/api/v1/incidents/{incident_id}"]["patch"]["responses"]["412"]["headers"]
    assert "ETag" in stale
    assert "Retry-After" in paths["/api/v1/auth/token"]["post"]["responses"]["429"]["headers"]


def test_api_keys_are_a_security_scheme_of_the_reports(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["ApiKey"]["type"] == "http"
    report = document["paths"]["/api/v1/reports/aggregates"]["get"]
    assert {"ApiKey": []} in report["security"]
    incidents = document["paths"]["/api/v1/incidents"]["get"]
    assert {"ApiKey": []} not in incidents["security"]


def test_text_reports_are_described_with_their_media_types(document: dict[str, Any]) -> None:
    paths = document["paths"]
    for path, media_type in [
        ("/api/v1/reports/aggregates", "text/csv"),
        ("/api/v1/reports/aggregates.csv", "text/csv"),
        ("/api/v1/reports/sitrep", "text/markdown"),
        ("/api/v1/reports/sitrep.md", "text/markdown"),
    ]:
        content = paths[path]["get"]["responses"]["200"]["content"]
        assert content[media_type]["schema"]["type"] == "string"
    assert list(paths["/api/v1/reports/aggregates.csv"]["get"]["responses"]["200"]["content"]) == [
        "text/csv"
    ]


def _patterned(node: Any, where: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = []
    if isinstance(node, dict):
        if node.get("type") == "string" and "pattern" in node:
            found.append((where, node))
        for key, value in node.items():
            found += _patterned(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _patterned(value, f"{where}/{i}")
    return found


def test_every_patterned_input_has_a_real_example(document: dict[str, Any]) -> None:
    # "Try it out" otherwise sends strings generated from the pattern (region "hN7107...").
    missing = []
    for path, method, op in operations(document):
        for parameter in op.get("parameters", []):
            for where, schema in _patterned(parameter["schema"]):
                if "example" not in parameter and "examples" not in schema:
                    missing.append(f"{path} {method} {parameter['name']}{where}")
    for name, schema in document["components"]["schemas"].items():
        for prop, prop_schema in schema.get("properties", {}).items():
            for where, node in _patterned(prop_schema):
                if "examples" not in node and "examples" not in prop_schema:
                    missing.append(f"{name}.{prop}{where}")
    assert missing == []
    incident = document["components"]["schemas"]["IncidentCreate"]["properties"]
    assert incident["region"]["examples"] == ["ML07"]
    assert "ML0701" in str(incident["admin2"])


def test_the_422_vocabulary_is_documented() -> None:
    from pathlib import Path

    docs = (Path(__file__).parents[2] / "docs" / "http.md").read_text()
    for slug, title in UNPROCESSABLE.items():
        assert f"urn:casework:problem:{slug}" in docs
        assert title in docs
