"""Possible duplicates of a person, and a supervisor's merge, from the pages.

The page lists what ``GET /api/v1/persons/{id}/duplicates`` answers (the same service)
and merges through the API's merge service: the rules (supervisor, one organisation,
open case, no pending transfer) are that service's, shown in the reader's language.
"""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.audit.models import AuditEntry
from casework.persons.models import Person
from tests.factories import World, add_case_management, build_world, make_person, make_referral
from tests.web.helpers import csrf_of, sign_in, web_client


@pytest.fixture
def world(session: Session) -> World:
    """Persons a (Gao) and a second registration of the same woman, with a referral."""
    world = add_case_management(session, build_world(session))
    world.persons["twin"] = make_person(
        session,
        world.user("caseworker_a"),
        registration_number="MLI-GAO-000124",
        full_name="Aminata Maiga",
        phone=None,
    )
    world.referrals["twin"] = make_referral(
        session, world.user("caseworker_a"), person_id=str(world.persons["twin"].id)
    )
    session.commit()
    return world


def duplicates_page(client: TestClient, world: World, lang: str = "en") -> str:
    response = client.get(f"/persons/{world.persons['a'].id}/duplicates?lang={lang}")
    assert response.status_code == 200, response.text[:500]
    return response.text


def merge(client: TestClient, world: World, token: str | None, **fields: str) -> object:
    data = {"duplicate_id": str(world.persons["twin"].id), "confirm": "yes", **fields}
    if token is not None:
        data["csrf_token"] = token
    return client.post(f"/persons/{world.persons['a'].id}/merge", data=data)


def test_a_caseworker_sees_the_candidates_without_a_merge_form(app: FastAPI, world: World) -> None:
    client = web_client(app)
    sign_in(client, "caseworker_a")
    person = client.get(f"/persons/{world.persons['a'].id}?lang=en").text
    assert f'href="/persons/{world.persons["a"].id}/duplicates"' in person
    html = duplicates_page(client, world)
    assert f'href="/persons/{world.persons["twin"].id}"' in html
    assert "MLI-GAO-000124" in html
    assert "Aminata Maiga" in html
    assert "same year of birth" in html
    assert "same sex" in html
    assert "/merge" not in html  # merging is a supervisor's
    french = duplicates_page(client, world, "fr")
    assert "Doublons possibles" in french
    assert "même année de naissance" in french
    assert "même sexe" in french


def test_a_supervisor_merges_from_the_page(app: FastAPI, world: World, session: Session) -> None:
    client = web_client(app)
    sign_in(client, "supervisor_a")
    html = duplicates_page(client, world)
    assert "A merge cannot be undone" in html
    token = csrf_of(html)
    response = merge(client, world, token, note="Registered twice")
    assert response.status_code == 303, response.text[:500]  # type: ignore[attr-defined]
    twin = session.get(Person, world.persons["twin"].id)
    session.refresh(twin)
    assert twin is not None
    assert twin.merged_into_id == world.persons["a"].id
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "merge")).one()
    assert entry.detail["moved"]["referrals"] == 1
    # The duplicate says where it went, and offers nothing to change.
    page = client.get(f"/persons/{world.persons['twin'].id}?lang=en").text
    assert "This person was merged into another record" in page
    assert f'href="/persons/{world.persons["a"].id}"' in page
    assert "/transitions" not in page
    assert "/assign" not in page
    assert "/consents/new" not in page
    assert "/referrals/new" not in page
    assert 'action="/tasks"' not in page
    assert 'action="/attachments' not in page
    french = client.get(f"/persons/{world.persons['twin'].id}?lang=fr").text
    assert "Ouvrir la fiche conservée" in french
    # The kept person has the referral and the history entry.
    kept = client.get(f"/persons/{world.persons['a'].id}?lang=en").text
    assert f"/referrals/{world.referrals['twin'].id}" in kept


def test_a_merge_without_csrf_or_by_a_caseworker_is_refused(
    app: FastAPI, world: World, session: Session
) -> None:
    supervisor = web_client(app)
    sign_in(supervisor, "supervisor_a")
    assert merge(supervisor, world, None).status_code == 403  # type: ignore[attr-defined]
    caseworker = web_client(app)
    token = sign_in(caseworker, "caseworker_a")
    assert merge(caseworker, world, token).status_code == 403  # type: ignore[attr-defined]
    twin = session.get(Person, world.persons["twin"].id)
    session.refresh(twin)
    assert twin is not None
    assert twin.merged_into_id is None


def test_a_refused_merge_is_explained_in_the_readers_language(
    app: FastAPI, world: World, session: Session
) -> None:
    client = web_client(app)
    token = sign_in(client, "supervisor_a")
    unconfirmed = client.post(
        f"/persons/{world.persons['a'].id}/merge?lang=fr",
        data={"duplicate_id": str(world.persons["twin"].id), "csrf_token": token},
    )
    assert unconfirmed.status_code == 422
    assert "Cochez la case" in unconfirmed.text
    itself = merge(client, world, token, duplicate_id=str(world.persons["a"].id))
    assert itself.status_code == 409  # type: ignore[attr-defined]
    assert "Une personne ne peut pas être fusionnée avec elle-même." in re.sub(
        "&#39;",
        "'",
        itself.text,  # type: ignore[attr-defined]
    )
    twin = session.get(Person, world.persons["twin"].id)
    session.refresh(twin)
    assert twin is not None
    assert twin.merged_into_id is None
