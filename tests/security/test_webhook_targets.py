"""Webhooks reach public addresses only: checked at save and at delivery, pinned, no redirects.

Class: server-side request forgery through an administrator-set URL (private, loopback,
link-local/metadata, multicast, reserved addresses, names resolving to them, redirects
to them), and webhook URLs shown to people who do not administer them.
"""

from __future__ import annotations

import ipaddress
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.core.config import Settings, get_settings
from casework.notifications import service as notifications
from casework.notifications import targets
from casework.notifications.models import DeliveryAttempt
from casework.reference.vocabularies import Role
from tests.factories import World, auth
from tests.notifications.test_webhooks import SECRET, Receiver, joined

NON_PUBLIC = [
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "169.254.0.0/16",  # link-local: 169.254.169.254 is the cloud metadata service
    "100.64.0.0/10",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "0.0.0.0/8",
    "127.0.0.0/8",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
    "::1/128",
]


def _save(client: TestClient, world: World, url: str) -> Any:
    return client.patch(
        "/api/v1/actors/CVJR",
        json={"webhook_url": url, "webhook_secret": SECRET},
        headers=auth(world.user("admin")),
    )


def _literal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    return f"[{ip}]" if ip.version == 6 else str(ip)


@pytest.fixture
def no_loopback(configure: Any) -> None:
    configure(webhook_allow_loopback="false")


class Redirector:
    """A receiver on loopback that answers 302 to another place, recording what it got."""

    def __init__(self, location: str) -> None:
        self.received: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append(dict(self.headers))
                self.send_response(302)
                self.send_header("Location", location)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://localhost:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_non_public_addresses_are_refused_at_save(
    client: TestClient, world: World, no_loopback: None, data: st.DataObject
) -> None:
    network = ipaddress.ip_network(data.draw(st.sampled_from(NON_PUBLIC)))
    ip = data.draw(st.ip_addresses(network=network))
    port = data.draw(st.integers(1, 65535))
    response = _save(client, world, f"https://{_literal(ip)}:{port}/hook")
    assert response.status_code == 422, (ip, response.text)
    assert response.json()["errors"][0]["loc"] == ["body", "webhook_url"]


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/latest/meta-data/",
        "https://[::ffff:127.0.0.1]/hook",  # IPv4-mapped loopback
        "https://[::ffff:10.0.0.1]/hook",
        "https://localhost/hook",  # a name resolving to loopback
        "http://localhost:8000/hook",
        "https://user:pass@1.1.1.1/hook",
        "https://no-such-host.invalid/hook",
    ],
)
def test_named_and_disguised_targets_are_refused(
    client: TestClient, world: World, no_loopback: None, url: str
) -> None:
    assert _save(client, world, url).status_code == 422


def test_a_public_https_target_is_accepted(client: TestClient, world: World) -> None:
    assert _save(client, world, "https://1.1.1.1/casework-hook").status_code == 200


def test_plain_http_is_refused_for_public_hosts(client: TestClient, world: World) -> None:
    assert _save(client, world, "http://1.1.1.1/hook").status_code == 422


def test_loopback_needs_the_explicit_setting_and_never_in_production(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert targets.check("http://127.0.0.1:9/x", allow_loopback=True).address.is_loopback
    with pytest.raises(targets.TargetRefused):
        targets.check("http://127.0.0.1:9/x", allow_loopback=False)
    assert Settings.model_fields["webhook_allow_loopback"].default is False
    for name, value in {
        "CASEWORK_ENV": "production",
        "CASEWORK_SECRET_KEY": "p" * 40,
        "CASEWORK_DATABASE_URL": "postgresql://u@h/db",
        "CASEWORK_WEBHOOK_ALLOW_LOOPBACK": "true",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    with pytest.raises(ValueError, match="WEBHOOK_ALLOW_LOOPBACK"):
        get_settings()


def test_delivery_checks_again_and_refuses(
    client: TestClient, world: World, session: Session, configure: Any
) -> None:
    receiver = Receiver([200])
    try:
        assert _save(client, world, receiver.url).status_code == 200  # allowed in tests
        client.post(
            f"/api/v1/referrals/{world.referrals['draft'].id}/transitions",
            json={"to": "sent"},
            headers=auth(world.user("caseworker_a")),
        )
        configure(webhook_allow_loopback="false")  # as if the name now resolved to loopback
        notifications.deliver_due(joined(session), notifications.http_poster())
        attempts = session.scalars(select(DeliveryAttempt)).all()
        assert attempts
        assert all(a.error and a.error.startswith("target refused") for a in attempts)
        assert receiver.received == []
    finally:
        receiver.close()


def test_delivery_is_pinned_to_the_checked_address_and_follows_no_redirect(
    client: TestClient, world: World, session: Session
) -> None:
    elsewhere = Receiver([200])
    hook = Redirector(elsewhere.url)
    try:
        named = hook.url  # http://localhost:<port>/hook
        assert _save(client, world, named).status_code == 200
        post = notifications.http_poster()
        status = post(named, b"{}", {"Content-Type": "application/json"})
        assert status == 302  # a failed attempt, not followed
        assert elsewhere.received == []
        # The name, though the connection went to the checked address.
        assert hook.received[0]["Host"] == named.split("/")[2]
    finally:
        hook.close()
        elsewhere.close()


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.reporting], ids=str)
def test_webhook_urls_are_shown_to_admins_only(
    client: TestClient, world: World, role: Role
) -> None:
    assert _save(client, world, "https://1.1.1.1/secret-path").status_code == 200
    headers = auth(world.by_role(role))
    one = client.get("/api/v1/actors/CVJR", headers=headers).json()
    listed = next(
        a
        for a in client.get("/api/v1/actors", headers=headers).json()["items"]
        if a["code"] == "CVJR"
    )
    expected = "https://1.1.1.1/secret-path" if role is Role.admin else None
    assert one["webhook_url"] == listed["webhook_url"] == expected
