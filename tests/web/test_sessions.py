"""Cookie sessions, CSRF, headers, languages and errors as pages (test client, both databases)."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.audit.models import AuditEntry
from casework.auth import service as auth_service
from casework.auth.schemas import UserUpdate
from casework.core.config import get_settings
from casework.web import sessions
from casework.web.core import PAGE_CSP
from tests.factories import PASSWORD, World, principal_of, token_for
from tests.web.helpers import csrf_of, sign_in, web_client


def test_sign_in_sets_a_hardened_cookie_and_lands_on_the_work_list(
    app: FastAPI, world: World
) -> None:
    client = web_client(app)
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": "caseworker_a", "password": PASSWORD, "csrf_token": token, "next": "/"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("cw_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" in cookie  # outside development
    home = client.get("/")
    assert home.status_code == 200
    assert "caseworker_a" in home.text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil"])
def test_sign_in_never_redirects_off_site(app: FastAPI, world: World, target: str) -> None:
    client = web_client(app)
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": "monitor_a", "password": PASSWORD, "csrf_token": token, "next": target},
    )
    assert response.headers["location"] == "/"


def test_pages_need_a_session(app: FastAPI, world: World) -> None:
    response = web_client(app).get("/referrals?status=sent")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Freferrals%3Fstatus%3Dsent"


def test_wrong_password_is_counted_audited_and_throttled(
    app: FastAPI, world: World, session: Session, configure: Callable[..., None]
) -> None:
    configure(login_max_failures=2)
    client = web_client(app)
    token = csrf_of(client.get("/login").text)
    form = {"username": "monitor_a", "password": "not the password", "csrf_token": token}
    assert client.post("/login", data=form).status_code == 401
    locked = client.post("/login", data=form)
    assert locked.status_code == 401
    locked = client.post("/login", data={**form, "password": PASSWORD})
    assert locked.status_code == 429
    assert "Trop de tentatives" in locked.text  # French by default
    failures = session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "login.failure", AuditEntry.username == "monitor_a"
        )
    ).all()
    assert len(failures) == 2


def test_a_post_without_the_csrf_token_is_refused(app: FastAPI, world: World) -> None:
    client = web_client(app)
    assert client.post("/login", data={"username": "a", "password": "b"}).status_code == 403
    sign_in(client, "monitor_a")
    response = client.post("/incidents", data={"incident_type": "extortion"})
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]
    forged = client.post("/incidents", data={"incident_type": "extortion", "csrf_token": "0" * 64})
    assert forged.status_code == 403


def test_another_sessions_token_does_not_pass(app: FastAPI, world: World) -> None:
    first, second = web_client(app), web_client(app)
    sign_in(first, "monitor_a")
    token_of_second = sign_in(second, "monitor_a")
    response = first.post("/logout", data={"csrf_token": token_of_second})
    assert response.status_code == 403


def _deactivate(session: Session, world: World, username: str) -> None:
    auth_service.update_user(
        session,
        world.user(username),
        UserUpdate(is_active=False),
        get_settings(),
        by=principal_of(world.user("admin")),
    )
    session.commit()


def test_deactivation_ends_the_session(app: FastAPI, world: World, session: Session) -> None:
    client = web_client(app)
    sign_in(client, "caseworker_a")
    assert client.get("/persons").status_code == 200
    _deactivate(session, world, "caseworker_a")
    assert client.get("/persons").status_code == 303


def test_changing_the_password_ends_the_other_sessions_only(app: FastAPI, world: World) -> None:
    here, elsewhere = web_client(app), web_client(app)
    token = sign_in(here, "caseworker_a")
    sign_in(elsewhere, "caseworker_a")
    api_token = token_for(world.user("caseworker_a"))
    response = here.post(
        "/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a brand new passphrase",
            "csrf_token": token,
        },
    )
    assert response.status_code == 200
    assert here.get("/persons").status_code == 200
    assert elsewhere.get("/persons").status_code == 303
    api = here.get("/api/v1/users/me", headers={"Authorization": f"Bearer {api_token}"})
    assert api.status_code == 401


def test_a_wrong_current_password_changes_nothing(app: FastAPI, world: World) -> None:
    client = web_client(app)
    token = sign_in(client, "caseworker_a")
    response = client.post(
        "/password",
        data={
            "current_password": "nope",
            "new_password": "a brand new passphrase",
            "csrf_token": token,
        },
    )
    assert response.status_code == 422
    assert 'id="current_password-error"' in response.text
    assert client.get("/persons").status_code == 200


def _cookie(world: World, **claims: Any) -> str:
    settings = get_settings()
    user = world.user("caseworker_a")
    payload = {
        "sub": str(user.id),
        "gen": user.token_generation,
        "sid": "s",
        "auth_time": int(time.time()),
        "aud": sessions.SESSION_AUDIENCE,
        "exp": int(time.time()) + 600,
        **claims,
    }
    return jwt.encode(payload, settings.signing_key(), algorithm="HS256")


def test_idle_and_old_sessions_end(app: FastAPI, world: World) -> None:
    client = web_client(app)
    client.cookies.set(sessions.SESSION_COOKIE, _cookie(world))
    assert client.get("/persons").status_code == 200
    for stale in (
        _cookie(world, exp=int(time.time()) - 1),  # idle past the timeout
        _cookie(world, auth_time=int(time.time()) - 13 * 3600),  # signed in too long ago
        _cookie(world, aud="casework"),  # an API token's audience
    ):
        fresh = web_client(app)
        fresh.cookies.set(sessions.SESSION_COOKIE, stale)
        assert fresh.get("/persons").status_code == 303


def test_each_page_renews_the_idle_timeout(app: FastAPI, world: World) -> None:
    client = web_client(app)
    sign_in(client, "caseworker_a")
    response = client.get("/persons")
    renewed = response.cookies.get(sessions.SESSION_COOKIE)
    assert renewed
    claims = jwt.decode(
        renewed,
        get_settings().signing_key(),
        algorithms=["HS256"],
        audience=sessions.SESSION_AUDIENCE,
    )
    assert claims["exp"] - time.time() > get_settings().web_idle_minutes * 60 - 30


def test_an_api_token_is_not_a_session_and_a_session_is_not_a_token(
    app: FastAPI, world: World
) -> None:
    client = web_client(app)
    client.cookies.set(sessions.SESSION_COOKIE, token_for(world.user("caseworker_a")))
    assert client.get("/persons").status_code == 303
    client = web_client(app)
    sign_in(client, "caseworker_a")
    cookie = client.cookies.get(sessions.SESSION_COOKIE)
    api = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {cookie}"})
    assert api.status_code == 401


def test_pages_forbid_inline_script_and_framing(app: FastAPI, world: World) -> None:
    client = web_client(app)
    sign_in(client, "supervisor_a")
    for path in ("/", "/incidents", "/incidents/new", "/referrals", "/persons", "/reports"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-security-policy"] == PAGE_CSP
        html = response.text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert "<style" not in html, path
        assert not re.search(r"\sstyle=", html), path
        assert not re.search(r"\son[a-z]+=", html), path
        assert "https://" not in html, path
        assert "http://" not in html.replace("http://www.w3.org/2000/svg", ""), path
    assert "unsafe-inline" not in PAGE_CSP
    assert "frame-ancestors 'none'" in PAGE_CSP


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        ("", None, None, "fr"),
        ("", None, "en-GB,en;q=0.9", "en"),
        ("", None, "de-DE, fr;q=0.5, en;q=0.8", "en"),
        ("?lang=fr", None, "en", "fr"),
        ("", "en", "fr", "en"),
        ("?lang=xx", None, "fr", "fr"),
    ],
)
def test_language_choice(
    app: FastAPI,
    world: World,
    query: str,
    cookie: str | None,
    accept: str | None,
    expected: str,
) -> None:
    client = web_client(app)
    if cookie:
        client.cookies.set(sessions.LANGUAGE_COOKIE, cookie)
    headers = {"Accept-Language": accept} if accept else {}
    response = client.get("/login" + query, headers=headers)
    assert f'<html lang="{expected}">' in response.text
    assert ("Se connecter" in response.text) == (expected == "fr")


def test_the_language_chosen_is_remembered(app: FastAPI, world: World) -> None:
    client = web_client(app)
    client.get("/login?lang=en")
    assert '<html lang="en">' in client.get("/login", headers={"Accept-Language": "fr"}).text


def test_dates_and_numbers_follow_the_reader(app: FastAPI, world: World) -> None:
    client = web_client(app)
    sign_in(client, "monitor_a")
    incident = world.incidents["a_gao"]
    french = client.get(f"/incidents/{incident.id}?lang=fr").text
    english = client.get(f"/incidents/{incident.id}?lang=en").text
    from babel.dates import format_date

    assert format_date(incident.occurred_on, "medium", locale="fr") in french
    assert format_date(incident.occurred_on, "medium", locale="en") in english


def test_out_of_scope_and_unknown_records_are_the_same_404_page(app: FastAPI, world: World) -> None:
    client = web_client(app)
    sign_in(client, "caseworker_b")
    other = client.get(f"/persons/{world.persons['a'].id}")
    missing = client.get(f"/persons/{uuid.uuid4()}")
    garbage = client.get("/persons/not-an-id")
    for response in (other, missing, garbage):
        assert response.status_code == 404
        assert "text/html" in response.headers["content-type"]
    assert world.persons["a"].full_name not in other.text


def test_static_files_are_cached_under_their_digest(app: FastAPI, world: World) -> None:
    client = web_client(app)
    html = client.get("/login").text
    css = re.search(r'href="(/static/[0-9a-f]{12}/app\.css)"', html)
    script = re.search(r'src="(/static/[0-9a-f]{12}/htmx\.min\.js)"', html)
    assert css
    assert script
    for url in (css.group(1), script.group(1)):
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    stale = client.get("/static/000000000000/app.css")
    assert stale.headers["cache-control"] == "no-cache"
    assert client.get("/static/x/../../pyproject.toml").status_code == 404
    assert client.get("/static/x/nothing.js").status_code == 404


def test_an_unknown_page_is_the_404_page_and_the_api_keeps_its_problems(
    app: FastAPI, world: World
) -> None:
    client = web_client(app)
    page = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert "text/html" in page.headers["content-type"]
    assert '<html lang="fr">' in page.text
    api = client.get("/api/v1/no-such-thing", headers={"Accept": "text/html"})
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/problem+json"
    plain = client.get("/no-such-page")
    assert plain.headers["content-type"] == "application/problem+json"
