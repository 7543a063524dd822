"""Forwarded headers are believed only from configured proxies; request ids are the server's.

Class: anything a client sends that ends up in the audit trail as "from where" or as the
request id. A client that is not a configured proxy (loopback included) cannot choose
either.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.audit.models import AuditEntry
from casework.core.config import get_settings
from casework.core.middleware import TrustedProxies
from casework.main import create_app
from tests.conftest import join_test_transaction

ROOT = Path(__file__).resolve().parents[2]


def _client(app: FastAPI, peer: str) -> httpx.Client:
    """A client whose TCP peer address is `peer` (as the server sees it)."""
    from fastapi.testclient import TestClient

    return TestClient(app, client=(peer, 40000))


@pytest.fixture
def make_app(session: Session) -> Iterator[Any]:
    def build(**settings: str) -> FastAPI:
        import os

        for name, value in settings.items():
            os.environ[f"CASEWORK_{name.upper()}"] = value
        get_settings.cache_clear()
        return join_test_transaction(create_app(get_settings()), session)

    yield build
    import os

    os.environ.pop("CASEWORK_TRUSTED_PROXIES", None)
    get_settings.cache_clear()


def _failed_login(client: httpx.Client, headers: dict[str, str]) -> httpx.Response:
    response = client.post(
        "/api/v1/auth/token", data={"username": "nobody", "password": "x"}, headers=headers
    )
    assert response.status_code == 400  # invalid_grant
    return response


def _last_login_entry(session: Session) -> AuditEntry:
    entry = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "login.failure")
        .order_by(AuditEntry.seq.desc())
    ).first()
    assert entry is not None
    return entry


@pytest.mark.parametrize("peer", ["127.0.0.1", "::1", "10.1.2.3", "203.0.113.9"])
def test_forwarded_for_is_ignored_from_any_unconfigured_peer_loopback_included(
    make_app: Any, session: Session, peer: str
) -> None:
    with _client(make_app(), peer) as client:
        response = _failed_login(
            client, {"X-Forwarded-For": "198.51.100.77", "X-Request-ID": "chosen-by-client"}
        )
    entry = _last_login_entry(session)
    assert entry.client_address == peer
    assert entry.request_id == response.headers["x-request-id"] != "chosen-by-client"


def test_a_configured_proxy_is_believed_and_its_request_id_kept(
    make_app: Any, session: Session
) -> None:
    app = make_app(trusted_proxies="10.0.0.0/8, 127.0.0.1")
    with _client(app, "127.0.0.1") as client:
        response = _failed_login(
            client,
            {
                # A client-written first hop, then what the proxies saw.
                "X-Forwarded-For": "1.1.1.1, 198.51.100.77, 10.0.0.7",
                "X-Request-ID": "0f3a9c2e7b1d4e5f8a6b9c0d1e2f3a4b",
            },
        )
    entry = _last_login_entry(session)
    assert entry.client_address == "198.51.100.77"  # the first untrusted hop from the right
    assert entry.request_id == "0f3a9c2e7b1d4e5f8a6b9c0d1e2f3a4b"
    assert response.headers["x-request-id"] == entry.request_id


def test_a_configured_proxy_cannot_smuggle_garbage(make_app: Any, session: Session) -> None:
    app = make_app(trusted_proxies="127.0.0.1")
    with _client(app, "127.0.0.1") as client:
        response = _failed_login(
            client, {"X-Forwarded-For": "evil\r\nname", "X-Request-ID": "bad id with spaces"}
        )
    entry = _last_login_entry(session)
    assert entry.client_address == "127.0.0.1"
    assert entry.request_id == response.headers["x-request-id"] != "bad id with spaces"


def test_the_client_request_id_is_kept_apart_in_the_access_log(
    make_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with _client(make_app(), "203.0.113.9") as client:
        response = client.get("/health", headers={"X-Request-ID": "field-app.42"})
    assert response.headers["x-request-id"] != "field-app.42"
    access = [r for r in caplog.records if r.name == "casework.access"]
    fields = access[-1].fields  # type: ignore[attr-defined]
    assert fields["client_request_id"] == "field-app.42"
    assert access[-1].request_id == response.headers["x-request-id"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("peer", "header", "expected"),
    [
        ("127.0.0.1", "9.9.9.9", "127.0.0.1"),  # nobody trusted by default
        ("10.0.0.2", "9.9.9.9, 10.0.0.3", "9.9.9.9"),
        ("10.0.0.2", "10.0.0.4, 10.0.0.3", "10.0.0.4"),  # every hop trusted: the first
        ("10.0.0.2", "not-an-ip", "10.0.0.2"),
        ("203.0.113.1", "9.9.9.9", "203.0.113.1"),
    ],
)
def test_trusted_proxies_resolution(peer: str, header: str, expected: str) -> None:
    proxies = TrustedProxies([] if peer == "127.0.0.1" else ["10.0.0.0/8"])
    assert proxies.client_of(peer, header) == expected


def test_a_bad_proxy_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEWORK_TRUSTED_PROXIES", "10.0.0.0/8, not-a-network")
    get_settings.cache_clear()
    with pytest.raises(ValueError, match="not-a-network"):
        get_settings()


def test_the_compose_proxy_is_the_one_trusted_address() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    proxy_ip = compose["services"]["proxy"]["networks"]["default"]["ipv4_address"]
    trusted = compose["services"]["app"]["environment"]["CASEWORK_TRUSTED_PROXIES"]
    assert trusted == proxy_ip
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in (ROOT / "deploy/nginx.conf").read_text()
    subnet = compose["networks"]["default"]["ipam"]["config"][0]["subnet"]
    import ipaddress

    assert ipaddress.ip_address(proxy_ip) in ipaddress.ip_network(subnet)
