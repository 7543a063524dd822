"""The API's problem details in French under Accept-Language: fr (English otherwise)."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from fastapi.testclient import TestClient

from casework.web.i18n import Translator
from casework.web.problems import DETAILS, PATTERNS, TITLES, translate_detail
from tests.factories import World, auth


def test_a_missing_record_is_explained_in_french(client: TestClient, world: World) -> None:
    headers = {**auth(world.user("caseworker_a")), "Accept-Language": "fr-ML, fr;q=0.9, en;q=0.5"}
    response = client.get(f"/api/v1/persons/{uuid.uuid4()}", headers=headers)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["content-language"] == "fr"
    assert "Accept-Language" in response.headers["vary"]
    body = response.json()
    assert body["detail"] == "Cette personne n'existe pas."
    assert body["title"] == "Introuvable"
    assert body["type"] == "urn:casework:problem:not-found"  # for programs: unchanged


def test_english_stays_the_default(client: TestClient, world: World) -> None:
    for language in (None, "en-GB", "de"):
        headers = auth(world.user("caseworker_a"))
        if language:
            headers["Accept-Language"] = language
        body = client.get(f"/api/v1/persons/{uuid.uuid4()}", headers=headers).json()
        assert body["detail"] == "No such person."
        assert body["title"] == "Not found"


def test_values_in_a_detail_are_kept(client: TestClient, world: World) -> None:
    headers = {**auth(world.user("monitor_a")), "Accept-Language": "fr"}
    body = client.get("/api/v1/persons", headers=headers).json()
    assert body["detail"] == "Le rôle monitor ne peut pas faire cela."
    person = world.persons["a"]
    stale = client.post(
        f"/api/v1/persons/{person.id}/transitions",
        json={"to": "closed", "note": "Left"},
        headers={
            **auth(world.user("caseworker_a")),
            "Accept-Language": "fr",
            "If-Match": '"99"',
        },
    )
    assert stale.status_code == 412
    assert stale.json()["detail"].startswith("L'enregistrement a changé depuis votre lecture")
    assert stale.headers["etag"]  # the problem's own headers survive


def test_validation_and_authentication_problems(client: TestClient, world: World) -> None:
    anonymous = client.get("/api/v1/persons", headers={"Accept-Language": "fr"})
    assert anonymous.status_code == 401
    assert anonymous.json()["title"] == "Authentification requise"
    assert "www-authenticate" in anonymous.headers
    invalid = client.post(
        "/api/v1/persons",
        json={"full_name": 3},
        headers={**auth(world.user("caseworker_a")), "Accept-Language": "fr"},
    )
    assert invalid.status_code == 422
    assert invalid.json()["detail"] == "La requête contient des champs invalides."
    assert invalid.json()["errors"]  # field errors stay for programs


def test_every_common_problem_has_french() -> None:
    french = Translator("fr")
    for message in DETAILS | TITLES | {message for _pattern, message in PATTERNS}:
        assert french.gettext(message) != message, message
    assert translate_detail("Something nobody translated.", "fr") == "Something nobody translated."


def test_pages_are_untouched(app: FastAPI) -> None:
    page = TestClient(app).get("/no-such-page", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
