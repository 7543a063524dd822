"""The API's problem details in French under Accept-Language: fr (English otherwise)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from casework.core.config import get_settings
from casework.web.i18n import Translator
from casework.web.problems import DETAILS, PATTERNS, TITLES, translate_detail
from tests.factories import World, auth, person_body


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


# --- Problems answered outside the exception handlers (middleware, conventions) ------------

FR = {"Accept-Language": "fr"}


def french(response: Any, status: int) -> dict[str, Any]:
    """The problem of a response translated to French, with the headers that say so."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["content-language"] == "fr"
    assert "Accept-Language" in response.headers["vary"]
    assert int(response.headers["content-length"]) == len(response.content)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def test_a_body_over_the_limit_is_refused_in_french(client: TestClient, world: World) -> None:
    limit = get_settings().max_body_bytes
    declared = client.post(
        "/api/v1/incidents",
        content=b"x" * (limit + 1),
        headers={**auth(world.user("monitor_a")), **FR, "Content-Type": "application/json"},
    )
    body = french(declared, 413)
    assert body["title"] == "Contenu trop volumineux"
    assert body["detail"] == f"Le corps de la requête dépasse {limit} octets."
    assert body["type"] == "urn:casework:problem:too-large"

    def chunks() -> Iterator[bytes]:
        for _ in range(limit // 4096 + 2):
            yield b"x" * 4096

    streamed = client.post(
        "/api/v1/incidents",
        content=chunks(),
        headers={**auth(world.user("monitor_a")), **FR, "Content-Type": "application/json"},
    )
    assert french(streamed, 413)["detail"] == f"Le corps de la requête dépasse {limit} octets."
    english = client.post(
        "/api/v1/incidents",
        content=b"x" * (limit + 1),
        headers={**auth(world.user("monitor_a")), "Content-Type": "application/json"},
    )
    assert english.json()["detail"] == f"The request body is larger than {limit} bytes."
    assert "Accept-Language" in english.headers["vary"]


def test_a_nul_character_is_refused_in_french(client: TestClient, world: World) -> None:
    query = client.get(
        "/api/v1/persons?registration_number=A%00B",
        headers={**auth(world.user("caseworker_a")), **FR},
    )
    body = french(query, 422)
    assert body["title"] == "Saisie invalide"
    assert (
        body["detail"] == "La requête contient un caractère NUL (U+0000), qu'aucun champ n'accepte."
    )
    assert body["errors"][0]["loc"] == ["query", "registration_number"]
    token = client.post(
        "/api/v1/auth/token", data={"username": "a\x00b", "password": "x"}, headers=FR
    )
    body = french(token, 400)
    assert body["title"] == "Demande de jeton OAuth 2.0 refusée"
    assert body["error"] == "invalid_request"  # the OAuth members stay for programs
    assert body["error_description"].startswith("The request contains a NUL")


def test_idempotency_key_refusals_are_in_french(client: TestClient, world: World) -> None:
    headers = {**auth(world.user("caseworker_a")), **FR}
    invalid = client.post(
        "/api/v1/persons", json=person_body(), headers={**headers, "Idempotency-Key": "k" * 201}
    )
    body = french(invalid, 422)
    assert body["detail"] == "L'Idempotency-Key doit compter de 1 à 200 caractères ASCII visibles."
    key = {"Idempotency-Key": f"key-{uuid.uuid4()}"}
    first = client.post(
        "/api/v1/persons",
        json=person_body(registration_number="MLI-GAO-000991"),
        headers={**headers, **key},
    )
    assert first.status_code == 201, first.text
    other = client.post(
        "/api/v1/persons",
        json=person_body(registration_number="MLI-GAO-000992"),
        headers={**headers, **key},
    )
    body = french(other, 422)
    assert body["title"] == "Idempotency-Key réutilisée"
    assert body["detail"] == "Cette Idempotency-Key a servi pour une autre requête."


def test_content_negotiation_refusals_are_in_french(client: TestClient, world: World) -> None:
    headers = {**auth(world.user("caseworker_a")), **FR}
    refused = client.get("/api/v1/persons", headers={**headers, "Accept": "application/xml"})
    body = french(refused, 406)
    assert body["title"] == "Non acceptable"
    assert body["detail"] == (
        "Cette ressource est disponible en application/json ; Accept n'en admet aucun."
    )
    assert body["acceptable"] == ["application/json"]
    plain = client.post(
        "/api/v1/persons",
        content=b"{}",
        headers={**headers, "Content-Type": "text/plain"},
    )
    body = french(plain, 415)
    assert body["title"] == "Type de média non pris en charge"
    assert body["detail"] == (
        "Le corps doit être du JSON, envoyé avec Content-Type: application/json."
    )


def test_the_token_endpoint_refuses_in_french(client: TestClient, world: World) -> None:
    wrong = client.post(
        "/api/v1/auth/token",
        data={"username": "caseworker_a", "password": "not the password"},
        headers=FR,
    )
    body = french(wrong, 400)
    assert body["detail"] == "Nom d'utilisateur ou mot de passe incorrect."
    assert body["error_description"] == "Incorrect username or password."  # ASCII, RFC 6749
    as_json = client.post("/api/v1/auth/token", json={"username": "x"}, headers=FR)
    assert french(as_json, 400)["detail"].startswith(
        "La demande de jeton doit être un formulaire ("
    )


def test_a_replayed_problem_speaks_the_replaying_requests_language(
    client: TestClient, world: World
) -> None:
    headers = {**auth(world.user("caseworker_a")), "Idempotency-Key": f"key-{uuid.uuid4()}"}
    body = person_body()  # the registration number of persons["a"]: refused, 409
    first = client.post("/api/v1/persons", json=body, headers=headers)
    assert first.status_code == 409
    assert first.json()["detail"] == (
        "Your organisation already registered this registration number."
    )
    replayed = client.post("/api/v1/persons", json=body, headers={**headers, **FR})
    assert replayed.headers.get("idempotency-replayed") == "true"
    assert french(replayed, 409)["detail"] == (
        "Votre organisation a déjà enregistré ce numéro d'enregistrement."
    )


def test_an_unexpected_error_is_explained_in_french(app: FastAPI) -> None:
    """The 500 is rendered outside every middleware (Starlette's ServerErrorMiddleware)."""

    def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/api/v1/boom", boom)
    client = TestClient(app, raise_server_exceptions=False)
    response = client.get("/api/v1/boom", headers=FR)
    assert response.status_code == 500
    assert response.headers["content-language"] == "fr"
    detail = response.json()["detail"]
    assert detail.startswith("Une erreur inattendue"), detail
