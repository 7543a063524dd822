"""Setting up through the pages: organisations, actors and their webhooks, Kobo forms,
their secrets and quarantine, each through the same services as the API."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.actors.models import Actor
from casework.audit.models import AuditEntry
from casework.auth.models import Organization
from casework.integrations import kobo
from casework.integrations.models import KoboForm, KoboSubmission
from tests.factories import World, build_world
from tests.web.browser import DESKTOP, PHONE, LiveServer
from tests.web.helpers import csrf_of, sign_in, web_client

SECRET = re.compile(r'<p class="secret" id="new-secret">([^<]+)</p>')


@pytest.fixture
def world(session: Session) -> World:
    world = build_world(session)
    session.commit()
    return world


def admin(app: FastAPI) -> tuple[TestClient, str]:
    client = web_client(app)
    return client, sign_in(client, "admin")


def test_an_organisation_is_created_through_the_form(
    app: FastAPI, world: World, session: Session
) -> None:
    client, token = admin(app)
    created = client.post(
        "/organizations", data={"code": "cvx", "name": "Clinique", "csrf_token": token}
    )
    assert created.status_code == 303
    organization = session.scalar(select(Organization).where(Organization.code == "CVX"))
    assert organization is not None
    assert organization.name == "Clinique"
    assert "CVX" in client.get("/organizations").text
    again = client.post(
        "/organizations?lang=fr", data={"code": "CVX", "name": "Other", "csrf_token": token}
    )
    assert again.status_code == 409
    assert "Ce code est déjà pris." in again.text
    bad = client.post("/organizations", data={"code": "a b", "name": "", "csrf_token": token})
    assert bad.status_code == 422
    assert 'id="code-error"' in bad.text
    assert 'id="name-error"' in bad.text


def test_an_actor_is_created_and_edited_through_the_forms(
    app: FastAPI, world: World, session: Session
) -> None:
    client, token = admin(app)
    assert csrf_of(client.get("/actors/new").text) == token
    created = client.post(
        "/actors",
        data={
            "code": "shelter-gao",
            "name": "Abri Gao",
            "services": ["shelter", "livelihood"],
            "csrf_token": token,
        },
    )
    assert created.status_code == 303
    assert created.headers["location"] == "/actors/SHELTER-GAO?done=created"
    actor = session.scalar(select(Actor).where(Actor.code == "SHELTER-GAO"))
    assert actor is not None
    assert sorted(actor.services) == ["livelihood", "shelter"]
    assert "SHELTER-GAO" in client.get("/actors").text
    # Without services the API refuses it; the page says so beside the field.
    refused = client.post(
        "/actors", data={"code": "X1", "name": "No services", "csrf_token": token}
    )
    assert refused.status_code == 422
    assert 'id="services-error"' in refused.text
    page = client.get("/actors/SHELTER-GAO").text
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version
    edited = client.post(
        "/actors/SHELTER-GAO",
        data={
            "change": "details",
            "name": "Abri de Gao",
            "services": "shelter",
            "version": version.group(1),
            "csrf_token": token,
        },
    )
    assert edited.status_code == 303
    session.refresh(actor)
    assert actor.name == "Abri de Gao"
    assert actor.services == ["shelter"]
    # A form read before that change is stale: refused, nothing written.
    stale = client.post(
        "/actors/SHELTER-GAO",
        data={"change": "activity", "is_active": "false", "version": version.group(1)}
        | {"csrf_token": token},
    )
    assert stale.status_code == 412
    session.refresh(actor)
    assert actor.is_active


def test_the_actor_page_names_its_focal_points(app: FastAPI, world: World) -> None:
    client, _token = admin(app)
    page = client.get("/actors/CVJR").text
    assert f'href="/users/{world.user("focal_cvjr").id}"' in page


def test_a_webhook_to_a_private_address_shows_the_refusal_beside_the_field(
    app: FastAPI, world: World, session: Session
) -> None:
    client, token = admin(app)
    refused = client.post(
        "/actors/CVJR/webhook?lang=fr",
        data={"webhook_url": "https://10.1.2.3/events", "csrf_token": token},
    )
    assert refused.status_code == 422
    assert 'id="webhook_url-error"' in refused.text
    assert "adresses publiques" in refused.text
    assert 'value="https://10.1.2.3/events"' in refused.text  # kept to be corrected
    actor = session.scalar(select(Actor).where(Actor.code == "CVJR"))
    assert actor is not None
    assert actor.webhook_url is None
    assert actor.webhook_secret is None


def test_a_webhook_secret_is_shown_once(app: FastAPI, world: World, session: Session) -> None:
    client, token = admin(app)
    saved = client.post(
        "/actors/CVJR/webhook",
        data={"webhook_url": "https://8.8.8.8/events", "csrf_token": token},
    )
    assert saved.status_code == 200
    found = SECRET.search(saved.text)
    assert found
    actor = session.scalar(select(Actor).where(Actor.code == "CVJR"))
    assert actor is not None
    session.refresh(actor)
    assert actor.webhook_url == "https://8.8.8.8/events"
    assert actor.webhook_secret == found.group(1)
    assert found.group(1) not in client.get("/actors/CVJR").text
    removed = client.post("/actors/CVJR/webhook", data={"remove": "true", "csrf_token": token})
    assert removed.status_code == 303
    session.refresh(actor)
    assert actor.webhook_url is None
    assert actor.webhook_secret is None


def test_rotating_a_kobo_secret_shows_the_new_one_once(
    app: FastAPI, world: World, session: Session
) -> None:
    client, token = admin(app)
    rotated = client.post(f"/kobo-forms/{world.kobo_form}/secret", data={"csrf_token": token})
    assert rotated.status_code == 200
    found = SECRET.search(rotated.text)
    assert found
    assert kobo.form_for_secret(session, world.kobo_form, found.group(1)) is not None
    assert found.group(1) not in client.get(f"/kobo-forms/{world.kobo_form}").text
    form = session.scalar(select(KoboForm).where(KoboForm.code == world.kobo_form))
    assert form is not None
    assert session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "kobo.secret_rotated", AuditEntry.record_id == str(form.id)
        )
    )


def test_a_kobo_form_is_registered_and_its_mapping_edited(
    app: FastAPI, world: World, session: Session
) -> None:
    client, token = admin(app)
    fields = {
        "code": "gao-monitoring",
        "name": "Gao monitoring",
        "organization": "ORGA",
        "default_user": "monitor_a",
        "csrf_token": token,
    }
    not_json = client.post("/kobo-forms", data={**fields, "mapping": "{fields"})
    assert not_json.status_code == 422
    assert 'id="mapping-error"' in not_json.text
    other_org = client.post(
        "/kobo-forms",
        data={**fields, "default_user": "monitor_b", "mapping": '{"fields": {"region": "r"}}'},
    )
    assert other_org.status_code == 422
    assert 'id="default_user-error"' in other_org.text
    created = client.post(
        "/kobo-forms", data={**fields, "mapping": '{"fields": {"region": "location/region"}}'}
    )
    assert created.status_code == 200
    found = SECRET.search(created.text)
    assert found
    assert kobo.form_for_secret(session, "gao-monitoring", found.group(1)) is not None
    assert "gao-monitoring" in client.get("/kobo-forms").text
    unknown = client.post(
        "/kobo-forms/gao-monitoring/mapping",
        data={"mapping": '{"fields": {"colour": "c"}}', "csrf_token": token},
    )
    assert unknown.status_code == 422
    assert "unknown incident field" in unknown.text
    assert 'id="mapping-error"' in unknown.text
    replaced = client.post(
        "/kobo-forms/gao-monitoring/mapping",
        data={"mapping": '{"fields": {"region": "where/region"}}', "csrf_token": token},
    )
    assert replaced.status_code == 303
    form = session.scalar(select(KoboForm).where(KoboForm.code == "gao-monitoring"))
    assert form is not None
    session.refresh(form)
    assert form.mapping_version == 2
    assert form.mapping["fields"]["region"] == "where/region"


def test_the_quarantine_lists_submissions_and_reprocesses_them(
    app: FastAPI, world: World, session: Session
) -> None:
    client, token = admin(app)
    page = client.get("/kobo-quarantine").text
    assert "world-1" in page
    assert f'action="/kobo-quarantine/{world.kobo_submission}/reprocess"' in page
    again = client.post(
        f"/kobo-quarantine/{world.kobo_submission}/reprocess", data={"csrf_token": token}
    )
    assert again.status_code == 303
    assert again.headers["location"] == "/kobo-quarantine?done=still"
    submission = session.get(KoboSubmission, world.kobo_submission)
    assert submission is not None
    assert submission.state == "quarantined"
    missing = client.post(
        f"/kobo-quarantine/{uuid.uuid4()}/reprocess",
        data={"csrf_token": token},
        headers={"accept": "text/html"},
    )
    assert missing.status_code == 404


def test_posts_without_csrf_change_nothing(app: FastAPI, world: World, session: Session) -> None:
    client, _token = admin(app)
    refused = client.post("/organizations", data={"code": "NOCSRF", "name": "No token"})
    assert refused.status_code == 403
    assert session.scalar(select(Organization).where(Organization.code == "NOCSRF")) is None
    webhook = client.post("/actors/CVJR/webhook", data={"webhook_url": "https://8.8.8.8/x"})
    assert webhook.status_code == 403
    actor = session.scalar(select(Actor).where(Actor.code == "CVJR"))
    assert actor is not None
    assert actor.webhook_url is None


def test_the_admin_home_and_menu_link_the_setup_pages(app: FastAPI, world: World) -> None:
    client, _token = admin(app)
    home = client.get("/?lang=fr").text
    for href in ("/organizations", "/actors", "/kobo-forms", "/kobo-quarantine"):
        assert f'href="{href}"' in home
    assert "Formulaires Kobo" in home
    monitor = web_client(app)
    sign_in(monitor, "monitor_a")
    assert 'href="/kobo-forms"' not in monitor.get("/").text


def test_a_fixed_mapping_lets_a_quarantined_submission_become_an_incident(
    app: FastAPI, world: World, session: Session
) -> None:
    fields = {
        "occurred_on": "incident/date",
        "region": "location/region",
        "incident_type": "incident/type",
        "victims.male_adults": "victims/men",
    }
    form, _secret = kobo.create_form(
        session, "gao-v2", "Gao v2", world.org_a.id, world.user("monitor_a"), {"fields": fields}
    )
    payload = {
        "_uuid": "gao-v2-1",
        "incident/date": datetime.now(UTC).date().isoformat(),
        "where/region": "ML07",  # the form's new question path
        "incident/type": "extortion",
        "victims/men": "1",
    }
    submission = kobo.receive(session, form, payload).submission
    session.commit()
    assert submission.state == "quarantined"
    client, token = admin(app)
    assert "gao-v2-1" in client.get("/kobo-quarantine").text
    mapping = json.dumps({"fields": {**fields, "region": "where/region"}})
    saved = client.post(
        "/kobo-forms/gao-v2/mapping", data={"mapping": mapping, "csrf_token": token}
    )
    assert saved.status_code == 303
    done = client.post(f"/kobo-quarantine/{submission.id}/reprocess", data={"csrf_token": token})
    assert done.headers["location"] == "/kobo-quarantine?done=mapped"
    session.refresh(submission)
    assert submission.state != "quarantined"
    assert submission.incident_id is not None
    assert "gao-v2-1" not in client.get("/kobo-quarantine").text


@pytest.mark.parametrize(("language", "viewport"), [("en", DESKTOP), ("fr", PHONE)])
def test_the_setup_pages_in_a_browser(
    visit: Any, live_server: LiveServer, language: str, viewport: dict[str, int]
) -> None:
    """Every set-up page passes axe-core and its weight limit, in both languages and sizes."""
    tab = visit(language, viewport)
    tab.sign_in("admin")
    page = tab.page
    tab.goto("/organizations")
    tab.check("organizations")
    tab.goto("/actors")
    tab.check("actors")
    tab.goto("/actors/new")
    code = f"B{language}{viewport['width']}"
    page.fill("#f-code", code)
    page.fill("#f-name", "Abri")
    page.check("input[name=services][value=shelter]")
    tab.check("actor-form")
    tab.submit("main form button[type=submit]")
    assert f"/actors/{code.upper()}" in page.url
    tab.check("actor")
    page.fill("#f-webhook_url", "https://192.168.1.20/events")
    tab.submit(f"form[action='/actors/{code.upper()}/webhook'] button[type=submit]")
    assert page.locator("#webhook_url-error").count() == 1
    tab.check("actor-webhook-refused")
    tab.goto("/kobo-forms")
    tab.check("kobo-forms")
    tab.goto("/kobo-forms/new")
    tab.check("kobo-form-new")
    tab.goto(f"/kobo-forms/{live_server.world.kobo_form}")
    tab.check("kobo-form")
    tab.goto("/kobo-quarantine")
    tab.check("kobo-quarantine")
