from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from casework.core.db import create_db_engine, get_session
from casework.main import create_app


def test_unknown_route_is_a_404_problem(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert set(response.json()) >= {"type", "title", "status", "detail"}


def test_wrong_method_is_a_405_problem(client: TestClient) -> None:
    response = client.delete("/api/v1/incidents")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert "allow" in response.headers


def test_unexpected_exception_is_a_500_problem_without_internals(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app()

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom", headers={"X-Request-ID": "req-123"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "secret internal detail" not in response.text
    # The id is the server's own (a client's X-Request-ID never becomes it).
    assert "req-123" not in response.json()["detail"]
    request_id = response.json()["detail"].split("request id ")[1].split(" ")[0]
    assert len(request_id) == 32
    assert any(request_id in record.getMessage() for record in caplog.records)


def test_security_headers_and_request_id(client: TestClient) -> None:
    response = client.get("/health")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert len(response.headers["x-request-id"]) == 32
    # A client's own id is not adopted (tests/security/test_forwarded_headers.py).
    echoed = client.get("/health", headers={"X-Request-ID": "field-app.42"})
    assert len(echoed.headers["x-request-id"]) == 32
    # A hostile id is replaced, never echoed.
    hostile = client.get("/health", headers={"X-Request-ID": "x\r\nSet-Cookie: a=b"})
    assert hostile.headers["x-request-id"] != "x\r\nSet-Cookie: a=b"


def test_cors_is_closed_by_default(client: TestClient) -> None:
    response = client.get("/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers


def test_cors_can_be_opened_for_named_origins(configure: object) -> None:
    configure(cors_origins="https://dashboard.example, https://other.example")  # type: ignore[operator]
    with TestClient(create_app()) as client:
        allowed = client.get("/health", headers={"Origin": "https://dashboard.example"})
        refused = client.get("/health", headers={"Origin": "https://evil.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://dashboard.example"
    assert "access-control-allow-origin" not in refused.headers


def test_openapi_and_docs_are_served(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "/api/v1/incidents" in schema["paths"]
    assert "Problem" in schema["components"]["schemas"]
    assert client.get("/docs").status_code == 200


def test_ready_is_503_when_the_database_is_unreachable(tmp_path: object) -> None:
    app: FastAPI = create_app()
    broken = create_db_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")

    def broken_session() -> Iterator[Session]:
        with Session(bind=broken) as session:
            yield session

    app.dependency_overrides[get_session] = broken_session
    with TestClient(app) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get("/health").status_code == 200
